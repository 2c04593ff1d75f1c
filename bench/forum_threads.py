"""A generated owners' forum with its ground truth, for bench/cases.py.

2,000 topics over 90 days, each opened by a different owner about one matter (a fault or a
question) in one of 24 communities. Habits are drawn per topic, independently, as on a real
complaints board where most topics get no reply at all: 30% get neighbours' me-too replies
(1 to 5), 10% the owner's follow-ups (1 or 2), 10% bystanders' advice or chat (1 or 2), 5% a
second owner's different matter (sometimes with its own me-too), 3% abuse.

Planted incidents: 40, each 2 to 6 owners in different topics of one community, one fault,
within 8 hours. Near misses around them: the same fault in another community at the same
hours, the same community with another fault, the same matter a month later. Every other
matter is placed so that no two share a community and a fault within 7 days, so the ground
truth has no accidental incidents. Texts are drawn from this file's own fragment tables (fixed
seed), written the way owners write: short community names, some traditional characters,
quotes, bumps, emoji. They are not written to what forumbot's rules recognise.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

OPENER, UPDATE, SUPPORTER, CHATTER, ABUSE = "opener", "update", "supporter", "chatter", "abuse"
SECOND = "second_matter"  # an opener that is not the topic's first post
ROLES = (OPENER, SECOND, UPDATE, SUPPORTER, CHATTER, ABUSE)
COMPLAINTS, SUGGESTIONS, PROPERTY = 5, 6, 7  # the seeded sandbox's categories


def _options(text: str) -> tuple[str, ...]:
    return tuple(text.split("|"))


COMMUNITIES = _options(
    "花城海棠苑|锦绣江南|碧水湾|翠柏苑|金色家园|四季花城|城市花园|阳光新城|万科城|保利香槟国际|"
    "融创壹号院|绿地世纪城|中海锦城|碧桂园凤凰城|龙湖春江郦城|东湖名邸|南山雅居|滨江华庭|星河湾|"
    "御景山庄|和平新村|幸福里|紫荆公寓|天鹅堡"
)
# How owners shorten some of them.
ALIASES = {"花城海棠苑": "海棠苑", "碧桂园凤凰城": "凤凰城", "龙湖春江郦城": "春江郦城"}
ALIASES |= {"保利香槟国际": "香槟国际", "绿地世纪城": "世纪城"}


@dataclass(frozen=True)
class Fault:
    """One kind of matter: how owners title it, tell it, echo it and raise it in passing."""

    name: str
    category: int
    titles: tuple[str, ...]
    bodies: tuple[str, ...]
    same: str  # a neighbour's "mine too" ("车库也进水了")
    aside: str  # a second owner's own matter in a few words
    again: str  # the owner's "today it happened again"
    shared: bool  # can hit many owners at once (an incident)


# Per fault: "name category [shared] same|aside|again", its titles, then bodies (one a line).
_FAULT_TABLE = """
地库积水 complaints shared 车库也进水了|地库车位一下雨就积水|车库又淹了
{c}地库又积水了|一下雨{c}地下车库就被淹|{c}负一层车库倒灌，车都泡水了|地库积水严重，物业在干嘛？
昨晚一场大雨，{c}地下车库又积水了，{b}那边的水没过脚踝，好几辆车的轮子都泡在水里，排水泵是不是坏了？
{c}负二层车库入口的截水沟根本不起作用，雨水直接往下灌，我的车停在{b}下面，底盘都泡了。
今天早上下地库取车，{b}电梯厅门口一片积水，物业只放了个警示牌，也没人来抽水。
这已经是今年第{n}次地库积水了，每次都说排水系统在检修，到底什么时候能彻底解决？

电梯故障 complaints shared 电梯也停了|{b}的电梯天天坏|电梯又停了
{c}{b}电梯又坏了|{b}电梯三天两头停运|电梯困人，物业半小时才到|{c}电梯故障频繁，谁来管管
{c}{b}的电梯这个月已经坏了{n}次，今天早上又停了，家里老人住{f}楼，只能爬楼梯。
昨天晚上我和孩子被困在{b}的电梯里将近四十分钟，按了紧急按钮没人应答，最后打119才出来。
{b}两部电梯只有一部能用，早高峰排队要等十分钟，维保公司到底有没有按时保养？
电梯运行的时候一直咯噔咯噔响，门也关不严，坐着心里发慌，请物业尽快找人检查。

外墙渗水 complaints 墙也渗水|卧室外墙渗水|墙又湿了一大片
{c}{b}外墙渗水|下雨卧室墙面渗水发霉|外墙渗水快一年了没人修
我家是{c}{b}{r}，每次下雨卧室靠外墙那面墙就渗水，墙皮起泡发黑，衣柜背板都霉了。
{b}{r}客厅外墙渗水，雨下大一点窗台下面就湿一大片，报修{n}次了，物业说要等开发商维保。
外墙渗水问题从去年交房就有，开发商说过了保修期，可是我们交房才一年多，这合理吗？

停水 property shared 也没水|这两天一直停水|又停水了
{c}又停水了，没有任何通知|{b}从早上开始就没水|停水也不提前说一声？
{c}今天早上六点开始停水，到现在还没来，物业群里一句通知都没有，孩子上学连脸都没法洗。
{b}这周已经停了{n}次水了，每次都是突然停，问物业就说是管道抢修，能不能提前通知？
家里水龙头一滴水都没有，打物业电话一直占线，请问{c}什么时候恢复供水？

噪音 complaints shared 晚上也吵得睡不着|楼下烧烤店太吵|昨晚又吵到两点
{c}夜间施工噪音扰民|楼下商铺噪音太大，晚上没法睡|{b}旁边工地天天半夜施工
{c}旁边的工地每天晚上施工到十二点多，打桩的声音整栋楼都在震，老人孩子根本睡不着。
{b}楼下新开的烧烤店每天闹到凌晨两点，排风机的声音也很大，跟物业说了{n}次没用。
我家{b}{r}，晚上十一点以后外面还在施工，电钻声一阵一阵的，能不能管一管？

交房延期 complaints shared 也还没收到交房通知|买的二期到现在还没交房|售楼处又说要推迟
{c}二期交房延期，什么时候能交房？|合同写的交房时间早就过了|交房一拖再拖，开发商给个说法
我们买的是{c}二期{b}，合同约定{m}月底交房，现在已经超过{d}天了，开发商一句解释都没有。
交房时间一推再推，售楼处只说在等验收，请问逾期交房的违约金怎么算？
租的房子下个月到期了，{c}的房子还交不了，每个月多出来的房租谁来承担？

物业费 suggestions shared 物业费也被多收了|物业费被多收了三个月|催费电话又打来了
{c}物业费凭什么涨价|物业费的收费标准是多少？|物业费明细能不能公示
今天收到通知，{c}物业费从每平米{p}元涨到{q}元，也没开业主大会，服务反而越来越差，凭什么涨？
请问{c}的物业费是按建筑面积还是套内面积算的？我家{b}{r}，每个月收{y}元，感觉不太对。
物业费每年收这么多，公共收益和支出从来不公示，希望物业把明细贴出来。

房产证 suggestions shared 也没拿到证|房产证一直办不下来|去问了还是说等通知
{c}房产证什么时候能办下来|交房两年了还没拿到房产证|不动产证办理进度？
{c}交房已经两年了，房产证到现在还没办下来，孩子明年要上学，没证没法落户，急死了。
请问{c}{b}的不动产证什么时候能领？之前说年底，现在又说要等开发商补资料。
我们几户一起去问过不动产登记中心，说开发商的大证还没办好，到底什么时候能把手续办完？

停电 property shared 也停电了|老是停电|又停电了
{c}{b}又停电了|三天两头停电，冰箱里的东西都坏了|停电没有通知
{c}{b}今天下午两点突然停电，到晚上八点还没来电，冰箱里的东西全化了，物业也不说原因。
这个月{b}已经停了{n}次电，每次都说是线路跳闸，是不是配电房设备老化了？
家里正开着电脑上班，突然停电，文件都没保存，问物业说是{b}的总闸坏了。

门禁 property shared 门禁也刷不开|门禁卡刷不开|门禁还是坏的
{c}门禁坏了一个星期|{b}单元门禁刷不开|门禁形同虚设，外人随便进
{c}{b}的单元门禁坏了一个星期，门一直开着，谁都能进，晚上一个人回家心里发毛。
新换的人脸识别门禁十次有八次识别不了，带着孩子拎着东西在门口站半天，物业说在调试。
{b}门禁卡昨天开始全部刷不开，物业让我们重新登记办卡，还要收{y}元工本费，这合理吗？

垃圾清运 property shared 也臭得不行|楼下垃圾没人清|垃圾又堆满了
{c}垃圾站臭气熏天|垃圾好几天没人清运|{b}楼下垃圾堆成山
{c}{b}楼下的垃圾桶已经三天没人清了，垃圾溢出来，天气一热臭味飘到楼上，窗户都不敢开。
小区门口的垃圾中转站一到晚上就臭得不行，我家{b}正对着，夏天简直没法住人。
垃圾分类搞了半年，清运反而越来越慢，{b}门口的厨余垃圾桶经常招苍蝇。

车位被占 property 车位也经常被占|车位被占|车位今天又被占了
{c}车位被占，物业不管|自己买的车位天天被别人停|地库车位被外来车辆占用
我在{c}地库买的车位这个月被占了{n}次，打物业电话说联系不上车主，让我自己想办法。
{b}下面的固定车位老是被外面的车停，保安也不拦，花了二十多万买的车位自己用不上。
晚上回来车位上又停了一辆没见过的车，挪车电话也不留，请物业管一管外来车辆进地库的事。

路灯 property shared 门口的路灯也不亮|门口路灯坏了|路灯还是不亮
{c}路灯坏了好多天|{b}门口一到晚上黑漆漆的|小区路灯不亮，老人摔了一跤
{c}{b}到南门那段路的路灯坏了快两个星期，晚上一片漆黑，我妈昨天晚上散步摔了一跤。
小区里好几盏路灯都不亮了，{b}门口那盏闪了一个月，跟物业说了{n}次，一直没人来换。
晚上下班从车库走到{b}，一路都是黑的，女孩子一个人走很害怕，希望尽快修好路灯。

墙面裂缝 complaints 墙上也裂了|墙上裂了好几道缝|裂缝又长了
{c}{b}墙面开裂|新房客厅墙上出现裂缝|楼道墙体裂缝越来越大
我家{c}{b}{r}，交房不到一年，客厅和卧室的墙上都出现了斜着的裂缝，最长的有一米多。
{b}楼道里的墙体裂缝越来越大，有的地方能塞进一根手指，请开发商派人来鉴定一下安全不安全。
卫生间墙砖空鼓开裂，掉下来一块差点砸到孩子，维保说要排期，已经等了{d}天。

暖气不热 property shared 暖气也不热|暖气不热|今天还是冰的
{c}暖气不热|供暖一个星期了家里还是冰的|{b}暖气片温度太低
{c}已经开始供暖一个星期了，我家{b}{r}的暖气片摸着就是温的，室内只有十五六度，老人孩子都感冒了。
交了{y}元取暖费，家里暖气一点都不热，物业说要放气，放了还是不行。
{b}高层的暖气普遍不热，低层又热得开窗，是不是管网没调平衡？
"""


def _faults() -> tuple[Fault, ...]:
    categories = {"complaints": COMPLAINTS, "suggestions": SUGGESTIONS, "property": PROPERTY}
    faults = []
    for block in _FAULT_TABLE.strip().split("\n\n"):
        head, titles, *bodies = block.splitlines()
        name, category, *shared, echoes = head.split()
        same, aside, again = echoes.split("|")
        category_id, options = categories[category], _options(titles)
        faults.append(
            Fault(name, category_id, options, tuple(bodies), same, aside, again, bool(shared))
        )
    return tuple(faults)


FAULTS = _faults()
PREFIXES = ("", "", "", "各位邻居好，", "急！", "@物业客服 ", "麻烦物业看一下：", "求助：")
HISTORY = _options(
    "||报修了{n}次都没人来。|打了好几次客服电话，都说登记了。|在业主群里说了也没人理。"
)
ASKS = _options("|请尽快处理！|希望物业给个说法。|到底有没有人管？|麻烦尽快安排人来看看，谢谢。")
# A neighbour's "me too", bump or agreement; "[quote]" quotes the post it supports.
ME_TOO = _options(
    "+1|+1，同样的情况|同问|同问，蹲一个答复|顶|顶顶顶|顶一下，让物业看到|帮顶|dd|同上|同樣的問題|"
    "楼主说的对|楼上说得对|一样|我家也是|我家也是，{b}{same}|我们{b}也是这样|同求解决|蹲结果|蹲一个后续|"
    "坐等物业回复|+10086|👍👍|🙋|一模一样，{b}{same}|我也遇到了，{b}{r}，{same}|同問，{b}也一樣|"
    "[quote]|[quote]|支持楼主，必须解决|我們這棟也是|我家都係咁|俺家也这样|{same}，气死了|"
    "+1 {b}也是，好几天了|mark，等结果|楼主加油，我们都支持你|同一个问题，物业一直拖"
)
QUOTE_TAILS = _options("一模一样|+1|同问|我家也是|顶上去")
FOLLOW_UPS = _options(
    "补充一下：今天{again}，还是没人来|已经第三次报修了，什么时候来修？|"
    "更新：物业今天来看过了，说要等材料，先这样吧|还是没人管，自己顶一下|"
    "今天又打了客服电话，说已经登记了，让我等通知|一个星期过去了，还是没有任何消息|"
    "补充一下位置：{b}{r}，麻烦尽快|@物业客服 能不能回复一下？|"
    "更新：今天已经修好了，谢谢物业|再说一次，{again}，到底管不管？|"
    "自己顶一下，别沉了|物业刚打电话来，说明天上午来人看|補充：今天又發生了，還是沒人處理|"
    "照片发不上来，现场情况跟我上面说的一样|感谢各位邻居支持，我再去物业前台问问|"
    "来人看了一眼就走了，说不归他们管|都{d}天了，还要等多久？"
)
BYSTANDERS = _options(
    "楼主可以直接打12345|建议找住建局|建议楼主找街道办反映，比在这里发帖管用|"
    "打12345投诉，一般三天内就有人联系|拍照录像留好证据，以后维权用得上|"
    "楼主最好书面报修，让物业签字留底|这种事找业委会比找物业有用|物业就是这样，习惯就好|"
    "楼主哪栋的？|我们小区去年也有这种事，后来找了电视台才解决|"
    "要看购房合同怎么约定的，可以咨询一下律师|别指望物业了，自己找人修吧|"
    "這種情況可以打市長熱線|找媒体曝光一下就有人管了|楼主留个联系方式，拉个群一起维权|"
    "物业前台电话是多少？|发帖没用的，直接去物业办公室堵人|隔壁小区物业处理得挺快的，差距啊"
)
SECOND_MATTERS = _options(
    "我家的问题不一样，我家是{aside}|借楼问一下，{b}{r}{aside}，找谁处理？|"
    "顺便反映一下，{b}{r}{aside}，报修{n}次了|不是同一个问题，我家{aside}，也没人管|"
    "跟楼主不一样，我是{aside}，打电话也没人接|蹭个帖：{b}{aside}，物业能不能看一下|"
    "另外{b}{r}{aside}，拖了{n}个星期了|借樓反映：{b}{r}{aside}，麻煩處理"
)
ABUSES = _options(
    "物业一群废物，全都该死|垃圾开发商，骗子，全家不得好死|你们这帮吸血鬼，拿钱不干事的狗东西|"
    "物业经理就是个傻X，滚出我们小区|一群猪都比你们会管理|管理员是死了吗？开发商的走狗"
)
SURNAMES = _options("wang|li|zhang|liu|chen|yang|huang|zhao|wu|zhou|xu|sun|ma|zhu|hu|guo|he|gao")
GIVEN = _options("wei|fang|na|min|jing|li|qiang|lei|jun|yang|yong|yan|jie|juan|tao|ming|chao|xia")


@dataclass
class Matter:
    """One owner's matter: a topic's first post, or a second owner's post in a topic."""

    id: int
    topic: int
    fault: Fault
    community: str
    at: datetime
    owner: str
    incident: int | None = None
    near_miss: str | None = None  # other_community, other_fault, month_later
    anchor: int | None = None  # the incident a near miss is near


@dataclass
class GenPost:
    key: int
    topic: int  # the generator's topic number (the forum gives its own id)
    username: str
    raw: str  # "{topic}" in a quote is the forum's topic id, filled in when posted
    at: datetime
    role: str  # what the post truly is: one of ROLES
    matter: int | None  # the matter it opens, adds to or supports (chatter: the topic's)
    title: str | None = None
    category: int | None = None
    reply_to: GenPost | None = None  # the post it answers, when it says so
    post_number: int = 0


@dataclass
class Forum:
    posts: list[GenPost] = field(default_factory=list)  # in time order
    matters: dict[int, Matter] = field(default_factory=dict)  # in the order they were placed
    incidents: dict[int, list[int]] = field(default_factory=dict)  # incident -> matter ids


class _Writer:
    def __init__(self, rng: random.Random) -> None:
        self.rng, self.names = rng, set()

    def username(self) -> str:
        r = self.rng
        while True:
            name = f"{r.choice(SURNAMES)}{r.choice(GIVEN)}{r.choice(('', '_', ''))}"
            name += str(r.randint(1, 9999))
            if name not in self.names:
                self.names.add(name)
                return name

    def values(self, community: str, fault: Fault) -> dict[str, object]:
        """One owner's facts (building, room, counts), used for every part of one post."""
        r = self.rng
        b = f"{r.randint(1, 32)}{r.choice(('栋', '栋', '号楼', '幢', '栋2单元', '座'))}"
        values: dict[str, object] = {
            "c": community, "b": b, "r": f"{r.randint(2, 33)}0{r.randint(1, 4)}",
            "n": r.choice("两三四五六"), "f": r.randint(12, 33), "m": r.randint(1, 12),
            "d": r.randint(20, 200), "p": "2.8", "q": "3.5", "y": r.randint(60, 900),
        }  # fmt: skip
        for name in ("same", "aside", "again"):
            values[name] = getattr(fault, name).format(**values)
        return values

    def fill(self, text: str, community: str, fault: Fault) -> str:
        return text.format(**self.values(community, fault))

    def opener(self, fault: Fault, community: str | None) -> tuple[str, str]:
        """Title and text; ``community`` None: the owner does not say where they live."""
        r = self.rng
        place = community or ""
        if community and community in ALIASES and r.random() < 0.2:
            place = ALIASES[community]
        values = self.values(place, fault)
        title = r.choice(fault.titles).format(**values)
        body = r.choice(fault.bodies).format(**(values | {"c": place or "小区"}))
        if community and place not in title + body:
            lead = r.choice(("我是{c}的业主，", "{c}{b}业主反映：", "{c}这边，"))
            body = lead.format(**values) + body
        tail = (r.choice(HISTORY) + r.choice(ASKS)).format(**values)
        raw = r.choice(PREFIXES) + body + tail
        if r.random() < 0.04:
            raw = raw.replace("这", "這").replace("说", "說").replace("问题", "問題")
        return title, raw


def _window_clear(forum: Forum, community: str, fault: Fault, at: datetime) -> bool:
    """No other matter of this community and fault within 7 days: no accidental incident."""
    return all(
        m.community != community or m.fault is not fault or abs(m.at - at) > timedelta(days=7)
        for m in forum.matters.values()
    )


def generate(
    seed: int = 20261124, topics: int = 2000, incidents: int = 40, end: datetime | None = None
) -> Forum:
    """The forum, its posts in time order, with what each post truly is."""
    rng = random.Random(seed)
    writer = _Writer(rng)
    end = end or datetime.now(UTC).replace(microsecond=0)
    start = end - timedelta(days=90)
    shared = [f for f in FAULTS if f.shared]
    forum = Forum()

    def place(fault: Fault, community: str, at: datetime | None, **truth: int | str) -> None:
        if at is not None:
            n = len(forum.matters)
            owner = writer.username()
            forum.matters[n] = Matter(n, n, fault, community, at, owner, **truth)  # type: ignore[arg-type]

    def clear_time(fault: Fault, community: str, lo: datetime, hi: datetime) -> datetime | None:
        for _ in range(50):
            at = lo + (hi - lo) * rng.random()
            if _window_clear(forum, community, fault, at):
                return at
        return None

    for incident in range(incidents):
        while True:
            fault, community = rng.choice(shared), rng.choice(COMMUNITIES)
            base = clear_time(fault, community, start + timedelta(days=2), end - timedelta(hours=9))
            if base is not None:
                break
        first = len(forum.matters)
        for _ in range(rng.randint(2, 6)):
            place(fault, community, base + timedelta(hours=8 * rng.random()), incident=incident)
        forum.incidents[incident] = list(range(first, len(forum.matters)))
        hours = (base, base + timedelta(hours=8))
        if rng.random() < 0.5:
            other = rng.choice([c for c in COMMUNITIES if c != community])
            at = clear_time(fault, other, *hours)
            place(fault, other, at, near_miss="other_community", anchor=incident)
        if rng.random() < 0.5:
            other_fault = rng.choice([f for f in FAULTS if f is not fault])
            at = clear_time(other_fault, community, *hours)
            place(other_fault, community, at, near_miss="other_fault", anchor=incident)
        if rng.random() < 0.5:
            later = base + timedelta(days=rng.uniform(25, 40))
            if later > end:
                later = base - timedelta(days=rng.uniform(25, 40))
            if start < later < end and _window_clear(forum, community, fault, later):
                place(fault, community, later, near_miss="month_later", anchor=incident)
    while len(forum.matters) < topics:
        fault, community = rng.choice(FAULTS), rng.choice(COMMUNITIES)
        place(fault, community, clear_time(fault, community, start, end - timedelta(hours=1)))
    for matter in sorted(forum.matters.values(), key=lambda m: m.at):
        _topic(forum, writer, matter, end)
    forum.posts.sort(key=lambda p: p.at)
    numbers: dict[int, int] = {}
    for i, post in enumerate(forum.posts):
        post.key = i
        numbers[post.topic] = numbers.get(post.topic, 0) + 1
        post.post_number = numbers[post.topic]
    for post in forum.posts:  # a quote names the post it quotes by its number
        if post.reply_to is not None:
            post.raw = post.raw.replace("{post}", str(post.reply_to.post_number))
    return forum


def _topic(forum: Forum, writer: _Writer, matter: Matter, end: datetime) -> None:
    """The topic ``matter`` opens and the replies it draws."""
    rng = writer.rng
    named = matter.incident is not None or matter.near_miss is not None or rng.random() < 0.75
    title, raw = writer.opener(matter.fault, matter.community if named else None)
    t, cap = matter.topic, end - timedelta(minutes=1)
    first = GenPost(0, t, matter.owner, raw, matter.at, OPENER, matter.id, title)
    first.category = matter.fault.category
    posts = [first]

    def later(hours: float, after: datetime) -> datetime:
        return min(after + timedelta(hours=rng.expovariate(1 / hours)), cap)

    def me_too(target: Matter, post: GenPost) -> GenPost:
        """A neighbour's support of ``target``, whose post is ``post``."""
        form = rng.choice(ME_TOO)
        answers = post if post is not first else None
        if form == "[quote]":  # as Discourse writes a quote; {topic} is filled when posted
            line = post.raw[: rng.randint(12, 30)]
            head = f'[quote="{target.owner}, post:{{post}}, topic:{{topic}}"]'
            text = f"{head}\n{line}\n[/quote]\n\n{rng.choice(QUOTE_TAILS)}"
            answers = post
        else:
            text = writer.fill(form, target.community, target.fault)
        at = later(10 if post is first else 8, post.at)
        return GenPost(0, t, writer.username(), text, at, SUPPORTER, target.id, reply_to=answers)

    if rng.random() < 0.30:
        posts += [me_too(matter, first) for _ in range(rng.randint(1, 5))]
    if rng.random() < 0.10:
        for _ in range(rng.randint(1, 2)):
            text = writer.fill(rng.choice(FOLLOW_UPS), matter.community, matter.fault)
            at = min(matter.at + timedelta(days=rng.uniform(0.3, 10)), cap)
            posts.append(GenPost(0, t, matter.owner, text, at, UPDATE, matter.id))
    if rng.random() < 0.10:
        for _ in range(rng.randint(1, 2)):
            text = rng.choice(BYSTANDERS)
            at = later(6, matter.at)
            posts.append(GenPost(0, t, writer.username(), text, at, CHATTER, matter.id))
    if rng.random() < 0.05:  # of a fault no other owner here had within 7 days
        at = min(matter.at + timedelta(hours=rng.uniform(2, 120)), cap)
        free = [f for f in FAULTS if _window_clear(forum, matter.community, f, at)]
        free = [f for f in free if f is not matter.fault]
        if free:
            other = rng.choice(free)
            second = Matter(len(forum.matters), t, other, matter.community, at, writer.username())
            forum.matters[second.id] = second
            text = writer.fill(rng.choice(SECOND_MATTERS), matter.community, other)
            own = GenPost(0, t, second.owner, text, at, SECOND, second.id)
            posts.append(own)
            if rng.random() < 0.5:
                posts.append(me_too(second, own))
    if rng.random() < 0.03:
        at = later(12, matter.at)
        posts.append(GenPost(0, t, writer.username(), rng.choice(ABUSES), at, ABUSE, None))
    forum.posts.extend(posts)


if __name__ == "__main__":  # `make bench` runs every script here: the forum's own figures
    import json
    from collections import Counter

    made = generate()
    roles = Counter(p.role for p in made.posts)
    print(json.dumps({"bench": "forum_threads", "posts": len(made.posts), "roles": roles}))
