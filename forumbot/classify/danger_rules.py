"""Phrases that mean danger to people now or soon, whatever the post's label.

Each rule is one kind of danger with the reason shown to agents and the patterns that name
it. The patterns are deliberately concrete ("燃气味", "困在电梯", "弄死你们"): a rule must be
defensible to the head of the centre, so a word that also has an everyday sense ("火大",
"跳楼价", "急死了", "120平") is excluded or needs its context. A match is set aside when the
words just before it deny or suppose it ("没有燃气味", "万一着火"), or when its sentence says
the danger is over ("上个月漏气已经修好了") or is a drill or inspection.

Pure: text in, matches out. Text is the output of ``forumbot.classify.normalize.clean``
(simplified, lower case).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class DangerRule:
    kind: str
    reason: str  # Chinese, for the agent and the alert
    pattern: re.Pattern[str]


def _rule(kind: str, reason: str, *patterns: str) -> DangerRule:
    return DangerRule(kind, reason, re.compile("|".join(f"(?:{p})" for p in patterns)))


_GAS = r"(?:燃气|煤气|天然气|液化气|瓦斯)"
_LIFT = r"(?:电梯|电梯轿厢|轿厢|升降梯)"
_FALLING_THING = (
    r"(?:瓷砖|外墙砖|墙砖|面砖|玻璃|天花板?|吊顶|石膏板|幕墙|外墙(?!涂料|漆|腻子)|窗户|窗框|窗扇|广告牌|"
    r"空调外机|石材|干挂石|外立面|雨棚|阳台板|屋檐|檐口|构件|水泥块|混凝土块|砖头|砖块)"
)
_FALL_VERB = r"(?:掉落|脱落|掉下|坠落|砸|塌|掉了下来|往下掉|掉下来|摇摇欲坠|要掉|快掉|松动)"

RULES: tuple[DangerRule, ...] = (
    _rule(
        "gas",
        "燃气泄漏或有燃气味",
        _GAS + r"(?:的)?(?:味|气味|泄漏|泄露|漏气|外泄|漏了)",
        r"闻到.{0,8}?" + _GAS,
        _GAS + r"(?:管|管道|表|阀门?|灶).{0,6}?(?:漏|嘶嘶|破)",
        r"一氧化碳|煤气中毒|燃气中毒",
        r"臭鸡蛋味.{0,10}?" + _GAS,
    ),
    _rule(
        "fire_smoke",
        "起火、冒烟或有焦糊味",
        r"(?<!打不)(?<!点不)(?<!打)(?<!群)(?<!群里)(?<!群又)(?<!群里又)着火(?!一样|似的|了一样)|起火|失火|火灾|火情|火苗|火光|明火|(?<!价格)(?<!价)烧起来|烧着了",
        r"(?<!气得)(?<!急得)(?<!恨得)(?<!得我)(?<!得人)(?<!气)(?<!头)(?<!头顶)(?<!点)冒(?:黑|白|青)?烟|浓烟|烟雾弥漫",
        r"焦糊味|烧焦味|糊味|焦味|烧塑料的?味|橡胶烧|电线烧",
        r"(?<!气)(?<!气得)(?<!我要)(?<!我快)爆炸(?!新闻|性新闻|性消息)|爆燃",
    ),
    _rule(
        "electrical",
        "漏电、电线裸露或电火花",
        r"漏电|触电|被电到|电到了?手|电了一下|麻手|带电",
        r"(?:电线|电缆|线头|线路).{0,6}?(?:裸露|外露|露在外|露出来|耷拉|垂|拖在地|泡在水|掉在地)",
        r"(?:裸露|外露)的?(?:电线|电缆|线头)",
        r"(?:插座|开关|电箱|配电箱|电表箱|电线|线路).{0,6}?(?:火花|冒火|打火|冒烟|烧黑|烧焦|冒蓝光|噼啪)",
        r"电火花|冒蓝光|蓝光一闪",
    ),
    _rule(
        "flooding_electrical",
        "水淹配电设施或电梯井",
        r"(?:配电房|配电室|配电间|电房|变电|强电井|电井|电缆井|电梯井|底坑|电表箱|配电箱|电箱)"
        r".{0,10}?(?:进水|淹|积水|泡水|泡在水|漫|灌水|渗水|漏水)",
        r"(?:进水|水淹|水漫|灌水).{0,6}?(?:配电房|配电室|电房|电梯井|配电箱|电箱)",
    ),
    _rule(
        "lift_trapped",
        "有人被困电梯",
        r"困在.{0,4}?" + _LIFT,
        _LIFT + r".{0,16}?(?:被困|困住|困人|关住|关人|卡住了?人|出不来|打不开门|困在里面)",
        r"(?:被困|困了|关在|卡在).{0,6}?" + _LIFT,
        r"困梯",
    ),
    _rule(
        "lift_fault",
        "电梯带故障运行（开门运行、溜梯、急坠）",
        _LIFT
        + r".{0,10}?(?:开着门|门没关|门开着|不关门|门没合上).{0,8}?(?:运行|走|上|下|升|降|跑|动)",
        _LIFT
        + r".{0,8}?(?:下坠|坠落|溜梯|冲顶|蹲底|急坠|突然掉|往下掉|掉了一层|直接掉|失控|自由落体)",
        _LIFT + r".{0,6}?门.{0,4}?夹(?:人|伤|到)",
        _LIFT + r".{0,10}?开(?:着)?门(?:运行|行驶|上下|升降|就走|就跑)",
    ),
    _rule(
        "falling_object",
        "高处物体坠落或有坠落危险",
        _FALLING_THING + r".{0,8}?" + _FALL_VERB,
        r"高空坠物|高空抛物|从楼上(?:掉|扔|砸)",
        r"砸(?:到|中|伤|坏|在)(?:了)?.{0,4}?(?:人|头|车|孩子|小孩|老人|路人|肩)|差点砸|险些砸",
    ),
    _rule(
        "structural",
        "承重结构开裂或裂缝扩大",
        r"(?:承重墙|承重柱|剪力墙|横梁|大梁|房梁|楼板|顶板|梁|柱子|结构墙).{0,8}?(?:裂|断|塌|弯|变形)",
        r"(?:裂缝|裂纹|墙缝).{0,10}?(?:变宽|越来越大|越来越宽|越来越长|扩大|宽了|大了一|在变大|长了)",
        r"(?:楼|房子|楼体|楼栋).{0,6}?(?:倾斜|下沉|歪了|晃动)",
    ),
    _rule(
        "manhole",
        "井盖缺失或损坏",
        r"(?:井盖|窨井盖|下水井盖|雨水井盖|检查井盖?).{0,8}?"
        r"(?:没了|丢了|丢失|不见|缺失|被偷|破|碎|坏|塌|松动|翘|掀开|移位|没盖|塌陷|敞开|断)",
        r"(?:没有|没|缺|少了)(?:盖|井盖)的?(?:井|窨井|下水井)|井口敞开|敞口的?井",
    ),
    _rule(
        "height_fall",
        "高处护栏损坏，有坠落危险",
        r"(?:栏杆|护栏|扶手|防护栏|围栏|栏板).{0,8}?(?:断|松|坏|倒|缺|掉|没了|晃|脱开|开焊|锈穿)",
        r"(?:天台|屋顶|楼顶|露台|连廊|平台).{0,8}?(?:没有|没|无)(?:护栏|围栏|栏杆)",
    ),
    _rule(
        "fire_exit",
        "消防通道或安全出口被堵、被锁",
        r"(?:消防通道|消防车道|安全出口|逃生通道|疏散通道|消防门|防火门|楼梯间|安全通道|消防楼梯)"
        r".{0,12}?(?:堵|锁|封|占|堆满|堆放|堆着|停满|上锁|焊死|链子|铁链|挡住|关死|打不开|杂物)",
        r"(?:锁|堵|封|焊)(?:死|住|上|了).{0,6}?(?:消防通道|安全出口|防火门|逃生通道|楼梯间)",
        r"消防栓.{0,6}?(?:没水|无水|被挡|被堵)",
    ),
    _rule(
        "injury",
        "有人受伤",
        r"受伤|摔伤|砸伤|烫伤|划伤|割伤|扭伤|夹伤|咬伤|擦伤|撞伤|骨折|骨裂|流血|缝了?.{0,2}?针",
        r"送医|送医院|进了医院|住院了|急诊|晕倒|昏倒|昏迷|不省人事|救护车|打了?120|叫了?120",
        r"被.{0,3}?(?:狗|猫)咬|狗咬人|摔倒.{0,8}?(?:起不来|疼|伤)|摔了一跤",
    ),
    _rule(
        "violence",
        "有人遭到暴力",
        r"殴打|打人|被打(?!扰|电话|印|折|卡|针|招呼|包|分)|挨打|动手打|打了我|打伤|推倒|推搡|扇.{0,2}?(?:耳光|巴掌)|踹了|掐住|围殴|"
        r"持刀|拿着?刀|砍人|拿棍|抄家伙|打起来了|大打出手",
    ),
    _rule(
        "threat",
        "威胁他人人身安全",
        r"(?:弄死|整死|搞死|打死|砍死|捅死|杀了|宰了|废了|办了)(?:你们|你|他们|他|她|那个)",
        r"要(?:你|你们|他|他们)的(?:命|狗命)|让你们?(?:好看|见血|付出代价)",
        r"找人(?:收拾|弄|砍|打|教训|堵)|带(?:着)?刀|放火烧|一把火烧了|炸了(?:你们|售楼处|物业|办公室)",
        r"同归于尽|血债血偿|鱼死网破.{0,6}?(?:刀|命)|走着瞧.{0,8}?(?:刀|命|血)",
        r"扬言.{0,10}?(?:炸药|汽油|硫酸|砍|杀|捅|烧|报复|弄死)|带(?:着)?(?:炸药|汽油|硫酸)",
        r"(?:知道|晓得)(?:你|你们|我)(?:家|孩子|儿子|女儿|住).{0,16}?(?:小心点|等着|走着瞧)",
        r"(?:打断|卸)(?:你|你们|他|她)的?(?:腿|手|一条腿|胳膊)|(?:泼|浇)(?:汽油|硫酸)|闹出人命",
        r"(?:跟|和)(?:你们|你|他们)拼(?:了|命)|出门小心点|小心(?:你的|你家)(?:孩子|老婆|家人)",
    ),
    _rule(
        "self_harm",
        "有人流露轻生念头",
        r"(?<!价)跳楼(?!价|甩卖|大甩卖|促销)|自杀|不想活|活不下去|轻生|寻短见|了结自己|割腕|"
        r"喝农药|吞安眠药|吃安眠药|从楼上跳|一死了之|死给你们看|结束(?:自己的)?生命|去死算了|"
        r"一了百了|活着(?:真|都|也)?没(?:什么|啥)?意思|遗书",
    ),
    _rule(
        "life_support",
        "有人依赖供电或供氧的医疗设备",
        r"(?:制氧机|呼吸机|透析|氧气机|吸氧|监护仪|氧气瓶|吸痰器|输液泵).{0,24}?(?:停电|断电|没电|停氧)",
        r"(?:停电|断电|没电).{0,24}?(?:制氧机|呼吸机|透析|吸氧|氧气机|吸痰器)",
    ),
    _rule(
        "ground_collapse",
        "路面或地面塌陷",
        r"塌陷|地陷|坍塌|塌方|天坑|(?:路面|地面|地砖|路基|人行道|车库顶板).{0,4}?(?:塌|陷|下沉|空了)",
        r"(?:掉进|摔进|陷进|跌进).{0,6}?(?:坑|洞|井)",
        r"(?:坑|基坑|洞).{0,8}?(?:没有|没|无)(?:围挡|护栏|警示|盖)",
    ),
    _rule(
        "other_danger",
        "其他危及人身安全的情况",
        r"马蜂窝|胡蜂窝|(?:发现|看到|看见)(?:一条)?(?:蛇|毒蛇)(?!皮)|毒蛇|"
        r"(?:食物|煤气|农药|药物)?中毒|误食|有毒气体|毒气",
    ),
    _rule(
        "child_risk",
        "儿童处于危险之中",
        r"(?:孩子|小孩|儿童|宝宝|娃).{0,10}?(?:掉进|掉下|坠落|落水|溺水|卡住|困住|爬出窗)",
        r"溺水|(?:泳池|水池|景观池|水塘).{0,10}?(?:没有|没|无)(?:围栏|护栏|救生员|盖)",
    ),
)

# Words just before a match that deny it or make it hypothetical. (The text is normalised:
# a full-width comma is an ASCII one by then.)
_DENIED = re.compile(
    r"(?:没有|没|无|不是|并非|未|不会|防止|预防|防|以免|避免|万一|如果|要是|假如|一旦|"
    r"担心会|怕会|会不会|是否有|有没有)[^,，。！？!?；;]{0,3}$"
)
# A sentence that says the danger is over, or is a drill, an inspection, a notice.
_OVER = re.compile(
    r"已经?(?:修好|修复|处理好|处理完|解决|排除|换好|更换|救出|送回|恢复)|修好了|处理好了|"
    r"演练|年检|安全检查|巡检通知|消防检查|培训|宣传|讲座|知识|科普"
)
# A post that tells of a danger that is over: thanks, a follow-up story, an old event.
_PAST_STORY = re.compile(
    r"救出来|没事|查清楚|填上了|清走了|清理了|回填|已处理|虚惊|上次|上个月|去年|"
    r"几年前|以前|那次|后来|后怕|修好|处理好|装了|加了|换了新|表扬|感谢|谢谢大家|点赞|"
    r"摘掉了|抓走了|"
    r"没有泄漏|不是我们这边|报警器要装|怎么做|"
    # a danger elsewhere, read about: not one here
    r"看新闻|新闻(?:说|里|上)|别的小区|其他小区|别的地方|外地"
)
# "未回填", "还没修好": the words of a story that is over, denied, say it is not.
_NOT_YET = re.compile(r"(?:未|没|没有|不|尚未|还没)$")
_STILL = re.compile(r"又|再次|还是|仍然|依然|还在|还有|反复|复发|至今|到现在|现在还")
_SENTENCE_END = re.compile(r"[。！？!?；;\n]")


@dataclass(frozen=True)
class DangerMatch:
    kind: str
    reason: str
    span: str  # the words that matched, as written in the cleaned text


def _sentence(text: str, start: int, end: int) -> str:
    left = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    right = _SENTENCE_END.search(text, end)
    return text[left : right.start() if right else len(text)]


def _set_aside(text: str, start: int, end: int) -> bool:
    if _DENIED.search(text[max(0, start - 8) : start]):
        return True
    sentence = _sentence(text, start, end)
    return bool(_OVER.search(sentence)) and not _STILL.search(sentence)


def _told_as_over(text: str) -> bool:
    return any(
        not _NOT_YET.search(text[max(0, m.start() - 2) : m.start()])
        for m in _PAST_STORY.finditer(text)
    )


def find_danger(text: str) -> list[DangerMatch]:
    """Every rule that names a present danger in ``text`` (first match of each kind), in the
    order the owner wrote them: the first is what the post is about. A post that tells of a
    danger that is over (thanks, a story about last month) names none, unless it says the
    danger is back or still there."""
    if _told_as_over(text) and not _STILL.search(text):
        return []
    found: list[tuple[int, DangerMatch]] = []
    for rule in RULES:
        for match in rule.pattern.finditer(text):
            if match.end() == match.start() or _set_aside(text, match.start(), match.end()):
                continue
            found.append((match.start(), DangerMatch(rule.kind, rule.reason, match.group(0))))
            break
    return [m for _, m in sorted(found, key=lambda pair: pair[0])]


KIND_NAMES_ZH = {rule.kind: rule.reason for rule in RULES} | {"model": "可能危及人身安全"}
