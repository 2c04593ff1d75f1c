"""Check a reply draft before a person approves it.

A tired agent approving a reply that argues with an owner, pushes the matter elsewhere, makes
excuses, judges the writer, stays vague, promises too much or repeats the writer's personal
data in public does real harm; these are the taboos of complaint handling. Each rule returns
findings with the offending span in the text as written, so the console can underline it.

Matching runs on a normalised copy (traditional -> simplified, NFKC per character, format
characters and spaces between Chinese characters dropped) that keeps, for every character, its
offset in the original text. Words inside a quote of someone else's post are not the agent's
own, so only the personal-data rule looks at them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from forumbot.drafting.reply_text import NormalText as _Text
from forumbot.drafting.reply_text import normalise as _normalise
from forumbot.drafting.reply_text import without_quotes as _without_quotes

BLOCK, WARN = "block", "warn"


@dataclass(frozen=True)
class Finding:
    rule: str
    severity: str  # "block" or "warn"
    message: str
    span: tuple[int, int]  # [start, end) in the reply as written
    excerpt: str


# --- phrase tables ----------------------------------------------------------------------------

YOU = "(?:您|你)"
NOT_END = r"[^。!?;\n]"  # inside one sentence (NFKC has made ！？； ASCII)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程"
    "苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛"
    "郝龚邵万钱严覃武戴莫孔向汤欧常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申耿关兰焦"
)
SURNAME = f"[{SURNAMES}]"
HONORIFIC = "(?:老先生|老太太|先生|女士|小姐|阿姨|叔叔|大爷|大妈|奶奶|爷爷|太太|某)"

BLAME_WRITER = (
    rf"(?<!不)(?<!非)是{YOU}自己{NOT_END}{{0,15}}?(?:造成|导致|引起|弄坏|弄的|搞的|所致)",
    rf"{YOU}自己{NOT_END}{{0,12}}?(?:造成|导致|引起|所致)的",
    rf"{YOU}(?:应该|应当|本应|本该|早该|早就应该|当初应该|本来就应该)(?:先|早|提前|事先|自己|仔细)",
    rf"{YOU}(?:并)?(?:没有|没|未|不)(?:按时|(?:按|按照|遵守|遵照|依照)"
    r"(?:规定|要求|流程|程序|说明|约定|合同|规范))",
    r"(?:业主|住户|您|你)(?:自行|私自|擅自|违规)(?:改造|改动|装修|拆改|搭建|加建|改装|封闭|拆除|改)"
    rf"{NOT_END}{{0,20}}?(?:导致|造成|引起|所致)",
    rf"{YOU}(?:私自|擅自|违规)(?:改造|改动|拆改|搭建|加建|改装|拆除)",
    rf"(?:这|那|此事)?(?<!不)(?<!非)(?:是|属于){YOU}(?:自己|个人|本人)?的(?:责任|问题|原因|过错|失误|过失)",
    rf"责任(?:在于|在|属于|归){YOU}",
    rf"{YOU}(?:自己|个人)?(?:负|承担)(?:全部)?责任",
    r"(?:早就|早已|早都|之前就|以前就|当时就|明明)(?:已经|已)?"
    r"(?:通知|告知|公示|提醒|说明|告诉|讲|说|公告|写)(?:过|了|得很清楚)?",
    rf"(?:已经|已)?(?:多次|反复|一再)?(?:通知|告知|提醒|告诉)过(?:{YOU}|大家|业主|各位)",
    r"(?:合同|协议|公告|通知)(?:上|里|中)?(?:已经|早就)?(?:写|注明|约定|说)(?:得|的)?(?:很|非常)?(?:清楚|明白)",
    rf"{YOU}(?:当时|明明|早就|自己)(?:已经|都)?签(?:了|过|的)?字(?:确认)?(?:过|了)?",
    rf"{YOU}(?:理解|搞|弄|看|记|想)错了|{YOU}(?:的理解)?(?:有误|误会了)",
    r"(?<!并)(?:不是|并非)我们的(?:问题|责任|错)|我们(?:并)?没有(?:任何)?(?:责任|过错)",
    rf"怪谁|怨谁|怪不得|{YOU}自己(?:不|没)(?:看|注意|小心|检查|问)",
    r"不属实|与事实不符|不是事实",
)

ELSEWHERE = (
    r"(?:开发商|物业(?:公司)?|施工(?:单位|方|队)?|销售(?:部|人员)?|售楼(?:处|部)|银行|政府(?:部门)?"
    r"|街道(?:办)?|居委会?|社区|住建(?:局|委|部门)?|房管(?:局|部门)?|(?:相关|有关|其他|别的)部门"
    r"|厂家|总包(?:单位)?|承建(?:方|单位)|装修公司|律师|法院|消协|别人)"
)
PUSH_ELSEWHERE = (
    r"(?:不归|不属于|不在)(?:我们|我司|我方|本公司|我们公司|客服|我部门|本部门|我)"
    r"(?:的职责范围|的管理范围|的工作范围|的服务范围|的范围|的职责|职责范围|职责|管辖|管|负责|处理)",
    r"(?:与|和|跟)(?:我司|我们|我方|本公司|我们公司|公司|客服)(?:无关|没有关系|没关系|无涉|不相干)",
    r"(?:不关|不干)(?:我们|我司|我)(?:的)?事",
    r"不是(?:我们|我司|我)(?:负责|管|处理)的",
    r"(?:我们|我)(?:也)?管不了",
    r"(?:自己|自行)(?:去|再)?(?:找|联系|咨询|问|询问|投诉|反映|对接|协商|解决|处理)"
    rf"(?!我们|我司|我|客服|本中心|本公司|工作人员|管家|专属){ELSEWHERE}?",
    rf"去(?:找|问|联系|咨询|询问|投诉)(?:一下)?{ELSEWHERE}",
    rf"(?:找|问){ELSEWHERE}去",
    r"这是(?:开发商|物业|施工单位|施工方|销售|其他部门|别的部门|政府|厂家|总包)(?:的)?(?:事情|事|问题|责任)",
    r"(?:找|问|跟)(?:我们|我)(?:说|反映)?(?:也)?没(?:有)?用",
    r"(?:这|此事)?不是我(?:负责|经手|管)的",
)

EXCUSE = (
    r"(?:人手|人员|人力)(?:不足|不够|紧张|短缺|有限)",
    r"(?:最近|近期|这段时间|这阵子|目前)?(?:太忙|比较忙|很忙|工作量大|事情太?多|业务繁忙|工作繁忙"
    r"|咨询量大|投诉量大|忙不过来)",
    r"正常现象",
    r"(?:这|这种情况|此类情况|这种现象|这个现象)(?:是|属于|属|都是)?(?:很)?正常(?:的|情况)",
    r"(?:新房|新楼|新小区|新交付的房子)(?:都|普遍|难免)?(?:会|难免)(?:有|出现)",
    r"在所难免|难免会|不可避免|难以避免",
    r"(?:系统|网络|电脑|技术|天气|下雨|雨季|疫情|政策|上级|领导|总部|流程|客观)(?:的)?原因",
    r"(?:由于|因为)(?:天气|下雨|雨天|降雨|台风|疫情|政策|材料|供应商|厂家)[^。!?;\n]{0,10}?(?:无法|没法|不能)",
    r"我们也(?:没办法|没有办法|很无奈|无能为力)",
    r"这是(?:公司|上级|上面|总部)(?:的)?规定|我们也是按(?:规定|流程|制度)办事",
    r"我是新来的|我刚来|(?:暂时|目前)(?:还)?(?:没有|没)(?:空|时间)",
)

JUDGE_WRITER = (
    r"无理取闹|别有用心|胡搅蛮缠|蛮不讲理|不讲道?理|恶意(?:炒作|投诉|中伤|诽谤|抹黑|攻击|造谣|差评)",
    r"炒作|造谣|传谣|谣言|污蔑|诬陷|诽谤|抹黑|无中生有|夸大其词|小题大做|吹毛求疵|鸡蛋里挑骨头",
    r"借题发挥|博眼球|蹭热度|水军|职业(?:投诉|索赔|打假)|另有目的|动机不纯|别有企图|居心叵测",
    r"刁民|无赖|找茬|没事找事|闹事|碰瓷|敲诈|讹诈|贪小便宜|得寸进尺|撒泼|矫情|玻璃心|神经病|你有病",
    r"素质(?:太|很|真|比较|实在)?(?:低|差|不高|有待提高|问题)|(?:没|没有|有点|缺乏|注意)(?:一下)?素质",
    rf"(?:{YOU}|业主|楼主)(?:的)?素质",
    r"想多要|多要(?:点|些)?(?:赔偿|钱)|讹钱",
    rf"(?:{YOU}|楼主|业主)(?:这种|这样的)(?:人|业主)|{YOU}(?:的)?(?:态度|语气)(?:很|太|非常)?(?:不好|恶劣|差|有问题)",
    rf"(?:请|希望)?{YOU}?(?:不要|别)(?:激动|情绪化|闹|胡说|乱说|乱讲|夸大|污蔑|诬陷|造谣)",
    rf"{YOU}(?:太)?(?:激动|情绪化)了|{YOU}想(?:太)?多了",
)

OVERPROMISE = (
    r"(?<!不)(?<!无法)(?<!难以)(?<!不能)(?<!不敢)保证(?!金|书|期)",
    r"(?<!不)(?<!不说)绝对(?!值|没有[^。!?;\n]{0,3}意思|不是[^。!?;\n]{0,3}(?:意思|故意))|百分之一?百|百分百|100\s*%|万无一失|毫无问题|绝无",
    rf"(?<!不)一定(?:全部|都|会|能|可以|按时|彻底|完全|妥善|(?:给|帮|为|让){YOU}?)",
    r"(?<!不)肯定(?:不会|会|能|可以|没问题|给|帮|让|解决)",
    r"永远不会|再也不会|绝不会再|不会再(?:出现|发生|有|漏水?|渗水?|坏|犯|让)",
    r"彻底(?:解决|根治|杜绝)|根治|杜绝|完全解决|全部(?:解决|赔偿|承担|满足|修好|修复)|包(?:您|你)满意",
    r"所有(?:的)?(?:问题|损失|费用|要求)[^。!?;\n]{0,6}?(?:解决|承担|赔偿|负责|满足)",
)

PLACEHOLDER = (r"【[^】\n]{0,40}?(?:待|请)[^】\n]{0,40}?(?:补充|填写)[^】\n]{0,40}】|此处填写",)

VAGUE_PROMISE = re.compile(
    r"(?<!请)(?<!请您)(?<!请你)(?:尽快|尽早|尽速)(?:为您|给您|帮您)?"
    r"(?:处理|解决|跟进|安排|核实|落实|答复|回复|反馈|联系|修复|整改)?"
    r"|(?:会|将)(?:在)?第一时间"
    r"|(?:会|将|一定会)(?:持续|积极|认真|继续|进一步|及时|抓紧)?(?:跟进|处理|解决|关注|落实|反馈|安排)"
    r"(?:的|此事|该问题|这个问题)?"
    r"|正在(?:积极|加紧|全力)?(?:处理|跟进|核实|协调|解决|研究|排查|调查|了解)中?"
    r"|(?:处理|跟进|核实|协调)中"
    rf"|(?:会|将)(?:给|给予){YOU}(?:一个)?(?:满意的|合理的)?(?:答复|交代|说法|回复|解释)"
    r"|(?:反映|反馈|上报|提交|转交|转达)(?:给|至|到)?(?:相关|有关)(?:部门|领导|人员|负责人)"
    r"|(?:近期|过几天|过段时间|改天|回头|后续|稍后)(?:我们)?(?:会|将|再)"
    r"(?:跟进|处理|解决|联系|安排|答复|回复|反馈)?"
)
_NUM = r"(?:\d+|[一二两三四五六七八九十半]+)"
TIME_EXPRESSION = re.compile(
    rf"{_NUM}\s*个?\s*(?:工作日|自然日|日|天|小时|钟头|分钟|周|星期|礼拜|月)"
    rf"|(?:\d{{4}}年)?{_NUM}月{_NUM}(?:日|号)|{_NUM}(?:日|号)(?:前|之前|以前)"
    r"|今天|今日|今晚|明天|明日|后天|明早|明晚|当天|当日|次日|下班前|上午|下午|晚上\d"
    r"|(?:本|这|下个?)(?:周|星期)[一二三四五六日天末]?|(?:周|星期)[一二三四五六日天末]"
    r"|本月|下个?月|月底|月初|月中|年底|\d{1,2}:\d{2}|\d{1,2}(?:点|时)(?:前|之前|半)?"
)
NAMED_ACTOR = (
    r"(?:工程部|工程(?:维修)?(?:中心|团队|人员|师傅)|维修(?:部|班|师傅|人员|工程师|团队)"
    r"|物业(?:服务)?(?:中心|公司|管家|经理|项目部)|客服(?:中心|专员|经理|人员)|管家"
    r"|项目(?:部|经理|负责人)|销售(?:部|经理|顾问)|置业顾问|财务(?:部|人员)|交付(?:中心|团队|部)"
    r"|设计(?:部|院)|规划部|法务(?:部)?|营销(?:部|中心)|总包(?:单位)?|施工单位|监理|专人|工作人员|工程师|师傅"
    rf"|{SURNAME}(?:经理|工程师|师傅|主管|专员|管家|工))"
)
CONCRETE_ACTION = (
    r"(?:上门|致电|电话联系|联系您|与您联系|回访|现场|检测|勘查|勘察|查看|维修|修复|更换|答复您|回复您"
    r"|书面答复|公示|张贴|短信|约您|预约|入户|复查|测量)"
)
NAMED_STEP = re.compile(
    rf"{NAMED_ACTOR}{NOT_END}{{0,20}}?{CONCRETE_ACTION}|{CONCRETE_ACTION}{NOT_END}{{0,6}}?{NAMED_ACTOR}"
)

MOBILE = re.compile(r"(?<![\d*])(?:\+?86[\s-]?)?1[3-9]\d(?:[\s-]?\d){8}(?![\d*])")
ID_NUMBER = re.compile(
    r"(?<![\dA-Za-z])\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx]"
    r"(?![\dA-Za-z])"
)
EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
ROLE_MAILBOX = re.compile(
    r"(?:service|kefu|support|customer|cs|info|complaints?|tousu|help|contact|hr|admin|noreply"
    r"|no-reply|feedback|pr|media|webmaster)@",
    re.I,
)
_FLAT_BUILDING = r"(?:\d+|[一二三四五六七八九十]+|[A-Z])\s*(?:栋|幢|号楼|座|#楼?)"
FLAT = re.compile(
    rf"(?<![\d-])(?:{_FLAT_BUILDING}\s*(?:\d+\s*单元)?\s*-?\d{{3,4}}\s*(?:室|号|房)?"
    r"|\d+\s*单元\s*-?\d{3,4}\s*(?:室|号|房)?|\d{1,2}-\d{1,2}-\d{3,4}|\d{3,4}\s*(?:室|房))(?![\d-])"
)
HONOURED_NAME = re.compile(  # 张先生, 王建国先生; not 向这位女士
    rf"{SURNAME}(?:(?![这那位的各和与及给对向为])[\u4e00-\u9fff]){{0,2}}?{HONORIFIC}"
)
_NAME_END = r"(?=[,，。、;；:：!?\s\d]|您好|$)"
POST_FULL_NAME = re.compile(
    rf"(?:我是|我叫|本人|业主|姓名[:：]?|联系人[:：]?)\s*({SURNAME}[\u4e00-\u9fff]{{1,2}}){_NAME_END}"
)
FLAT_OWNER = re.compile(  # "3栋1502业主王建国", "1502室王建国业主": a full name beside a flat
    rf"(?:{FLAT.pattern})\s*的?\s*(?:(?:业主|住户)\s*{SURNAME}[\u4e00-\u9fff]{{1,2}}{_NAME_END}"
    rf"|{SURNAME}[\u4e00-\u9fff]{{1,2}}(?:业主|住户))"
)
LONG_NUMBER = re.compile(r"(?<![\d*])\d(?:[\s-]?\d){6,}(?![\d*])")
COMPANY_NUMBER = re.compile(r"(?:400|800|95\d|12345)")

# --- messages -----------------------------------------------------------------------------

MESSAGES = {
    "blame_writer": "这句话在指责或反驳业主，公开回复里争对错只会激化矛盾。请先致歉、表示理解，"
    "再说明我们接下来怎么做；确实需要业主配合的地方，用“麻烦您……”“建议您……”提出。",
    "push_elsewhere": "这句话把问题推给了别的部门或单位（推诿）。请由我们接手：写明已转交哪个部门、"
    "由谁在什么时间前答复业主，不要让业主自己去找。",
    "excuse": "这句话像是在找借口，业主看到只会更不满。请删去理由，"
    "直接致歉，并说明补救措施和完成时间。",
    "judge_writer": "这句话在评判业主本人，公开回复中绝不能出现。"
    "请就事论事，只回应业主反映的问题。",
    "vague_no_next_step": "只说了“会尽快处理”“已反馈相关部门”之类的话，全文却没有具体时间，"
    "也没写明由谁做什么。"
    "请写清下一步，例如“工程部将在3个工作日内上门查看，并电话联系您”。",
    "overpromise": "这是我们未必做得到的承诺，做不到会再次失信于业主。"
    "请改为能兑现的具体承诺，例如“我们将在本周五前完成复查并告知您结果”。",
    "unfilled_placeholder": "回复里还留着待填写的占位内容。"
    "请先补上相关部门的答复，或删去这一段，再提交审批。",
}
PERSONAL_MESSAGES = {
    "mobile": "回复里出现了手机号码，这是业主的个人信息，不能公开。请删除或打码（如138****5678），"
    "需要联系时改用私信或电话。",
    "id": "回复里出现了身份证号码，这是业主的敏感个人信息，绝不能公开。请立即删除。",
    "email": "回复里出现了个人邮箱地址，不能公开。请删除，需要联系时改用私信。",
    "flat_name": "门牌号和姓名同时出现，别人一看就知道是哪位业主。公开回复请删去门牌号或姓名，"
    "具体信息改在私信中沟通。",
    "echo_number": "回复复述了业主帖子里的号码（电话、合同号等），"
    "这是业主的个人信息。请删除，改用私信沟通。",
    "echo_name": "回复里出现了业主在帖子中留下的真实姓名。公开回复请称呼“您”或“X先生/女士”。",
}
SEVERITY = {"excuse": WARN}


def _compile(patterns: Iterable[str]) -> tuple[re.Pattern[str], ...]:
    # Kept apart, not joined into one alternation, so overlapping phrases ("肯定不会" and
    # "不会再出现") each match and merge into one span covering both.
    return tuple(re.compile(p) for p in patterns)


PHRASE_RULES: tuple[tuple[str, tuple[re.Pattern[str], ...]], ...] = (
    ("blame_writer", _compile(BLAME_WRITER)),
    ("push_elsewhere", _compile(PUSH_ELSEWHERE)),
    ("excuse", _compile(EXCUSE)),
    ("judge_writer", _compile(JUDGE_WRITER)),
    ("overpromise", _compile(OVERPROMISE)),
    ("unfilled_placeholder", _compile(PLACEHOLDER)),
)
_STAFF_BEFORE_QUALITY = re.compile(r"(?:员工|人员|服务|团队|我们|我司|管家|保安|客服|自身|专业)$")
# A sentence that says in so many words that we cannot promise is honest, not an overpromise
# ("我们没法保证下个月一定拿到，但……"; "绝对安全我们不敢保证").
_DISCLAIMS = re.compile(
    r"(?:没法|无法|不能|不敢|难以|没办法|不可能|很难|不好)"
    r"(?:向您|替[^。!?;\n]{0,6}?|随口|轻易|对您|给您|单方面)?(?:作出|做出|打|给出|完全|绝对)?"
    r"(?:保证|承诺|说|打包票|作保证|给出)|不是我们能[^。!?;\n]{0,6}?保证|保证(?:安全|质量|供暖|保暖)"
    # "没有人能完全保证不发生", "谁都没法绝对保证"; "……我们做不到"; a deposit "用来保证…"
    r"|(?:没人|没有人|谁都|谁也)(?:能|敢|可以)?(?:没法|不能)?(?:完全|绝对)?保证"
    r"|做不到|办不到|(?:用来|用于|为了)保证"
)
# "您不需要自己去找…", "请先不要自行处理": telling the owner they need not act.
_NEED_NOT = re.compile(r"(?:不需要|不用|不必|无需|不要|别)[^。!?;\n]{0,3}$")
_SENTENCE_START = re.compile(r"[^。!?;\n]*$")

# --- rules ----------------------------------------------------------------------------------

_Hit = tuple[str, str, int, int]  # rule, message, start, end (normalised offsets)


def _phrase_hits(own: _Text) -> list[_Hit]:
    hits = []
    for rule, patterns in PHRASE_RULES:
        for m in (m for pattern in patterns for m in pattern.finditer(own.text)):
            quality = m.group().find("素质")
            if quality >= 0 and _STAFF_BEFORE_QUALITY.search(own.text[: m.start() + quality]):
                continue  # "提高员工素质" is about us, not the writer
            if _excused(rule, own.text, m.start(), m.end()):
                continue
            hits.append((rule, MESSAGES[rule], m.start(), m.end()))
    return hits


def _sentence_of(text: str, start: int, end: int) -> str:
    left = start - len(_SENTENCE_START.search(text[:start]).group())  # type: ignore[union-attr]
    right = re.search(r"[。!?;\n]", text[end:])
    return text[left : end + (right.start() if right else len(text) - end)]


def _excused(rule: str, text: str, start: int, end: int) -> bool:
    """Matches that read the other way round in their sentence."""
    if rule == "overpromise":
        return bool(_DISCLAIMS.search(_sentence_of(text, start, end)))
    if rule == "push_elsewhere":
        return bool(_NEED_NOT.search(text[max(0, start - 6) : start]))
    if rule == "blame_writer":
        return text[max(0, start - 1) : start] == "让"  # "让您误会了": our fault, not theirs
    return False


def _vague_hits(own: _Text) -> list[_Hit]:
    if TIME_EXPRESSION.search(own.text) or NAMED_STEP.search(own.text):
        return []
    message = MESSAGES["vague_no_next_step"]
    return [
        ("vague_no_next_step", message, m.start(), m.end())
        for m in VAGUE_PROMISE.finditer(own.text)
    ]


def _digits(s: str) -> str:
    return re.sub(r"\D", "", s)


def _post_facts(post_raw: str | None) -> tuple[set[str], set[str], set[str]]:
    """Numbers, full names and e-mail addresses the writer gave in their own post."""
    if not post_raw:
        return set(), set(), set()
    post = _normalise(post_raw).text
    numbers = {
        d
        for m in LONG_NUMBER.finditer(post)
        if len(d := _digits(m.group())) >= 7 and not COMPANY_NUMBER.match(d)
    }
    names = {m.group(1) for m in POST_FULL_NAME.finditer(post)}
    names = {n for n in names if not re.search(f"{HONORIFIC}$|(?:老师|师傅|经理|总|工)$", n)}
    emails = {m.group().lower() for m in EMAIL.finditer(post)}
    return numbers, names, emails


def _personal_hits(full: _Text, post_raw: str | None) -> list[_Hit]:
    text = full.text
    numbers, names, emails = _post_facts(post_raw)
    hits: list[_Hit] = []

    def add(kind: str, start: int, end: int) -> None:
        hits.append(("personal_data", PERSONAL_MESSAGES[kind], start, end))

    for m in ID_NUMBER.finditer(text):
        add("id", m.start(), m.end())
    for m in MOBILE.finditer(text):
        add("mobile", m.start(), m.end())
    for m in EMAIL.finditer(text):
        if m.group().lower() in emails or not ROLE_MAILBOX.match(m.group()):
            add("email", m.start(), m.end())
    for m in LONG_NUMBER.finditer(text):
        if _digits(m.group()) in numbers:
            add("echo_number", m.start(), m.end())
    name_spans = [m.span() for m in HONOURED_NAME.finditer(text)]
    for name in names:
        for m in re.finditer(re.escape(name), text):
            add("echo_name", m.start(), m.end())
            name_spans.append(m.span())
    for m in FLAT_OWNER.finditer(text):
        add("flat_name", m.start(), m.end())
    for flat in FLAT.finditer(text):
        for n_start, n_end in name_spans:
            start, end = min(flat.start(), n_start), max(flat.end(), n_end)
            gap = text[min(flat.end(), n_end) : max(flat.start(), n_start)]
            if len(gap) <= 12 and not re.search(r"[。!?;\n]", gap):
                add("flat_name", start, end)
    return hits


def _merge(hits: list[_Hit]) -> list[_Hit]:
    """One finding per rule for overlapping or touching matches, with the first one's message."""
    merged: list[_Hit] = []
    for rule, message, start, end in sorted(hits, key=lambda h: (h[0], h[2], -h[3])):
        if merged and merged[-1][0] == rule and start <= merged[-1][3]:
            last = merged[-1]
            merged[-1] = (rule, last[1], last[2], max(last[3], end))
        else:
            merged.append((rule, message, start, end))
    return merged


def check_reply(text: str, *, post_raw: str | None = None, meaning: bool = True) -> list[Finding]:
    """Every problem in a reply draft, sorted by where it starts in the text: the phrase
    rules, and (``meaning``) the model that reads what each sentence means."""
    agents_words = _without_quotes(text, post_raw)  # the post is normalised once, for both
    own = _normalise(agents_words)
    full = _normalise(text)
    findings = []
    for source, hits in (
        (own, _phrase_hits(own) + _vague_hits(own)),
        (full, _personal_hits(full, post_raw)),
    ):
        for rule, message, start, end in _merge(hits):
            s, e = source.span(start, end)
            findings.append(Finding(rule, SEVERITY.get(rule, BLOCK), message, (s, e), text[s:e]))
    if meaning:
        from forumbot.drafting.checker_model import MESSAGES as MEANINGS
        from forumbot.drafting.checker_model import meaning_hits

        concrete = bool(TIME_EXPRESSION.search(own.text) or NAMED_STEP.search(own.text))
        for hit in meaning_hits(agents_words):
            if hit.taboo == "vague_promise" and concrete:
                continue  # "我们会尽快" beside a time and a step is not an empty promise
            message = f"{MEANINGS.get(hit.taboo, hit.taboo)}（模型判断，把握 {hit.score:.0%}）"
            span = (hit.start, hit.end)
            findings.append(
                Finding(
                    f"meaning_{hit.taboo}", hit.severity, message, span, text[span[0] : span[1]]
                )
            )
    return sorted(findings, key=lambda f: (f.span, f.rule))


def blocking(findings: Sequence[Finding]) -> bool:
    """True when the draft must not be approved as it stands."""
    return any(f.severity == BLOCK for f in findings)


def finding_json(f: Finding) -> dict[str, object]:
    """The shape of one finding in the ``lint-reply --jsonl`` output (DESIGN.md)."""
    return {
        "rule": f.rule,
        "severity": f.severity,
        "message": f.message,
        "span": [f.span[0], f.span[1]],
        "excerpt": f.excerpt,
    }
