"""Whether two cases are one matter at one place: a pure decision, no storage.

An incident groups cases from different owners (often in different topics) about the same
fault at the same place within a window of time: "地库又淹了" from four owners of one
community. The place is the community (and building) named in the title or text; the matter
is the fault words they share, or, failing those, how alike the texts are.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta

from forumbot.classify.normalize import clean, to_simplified

COMMUNITY = re.compile(
    r"([\u4e00-\u9fff]{2,6}?(?:小区|家园|花园|公馆|公寓|广场|名邸|雅居|山庄|新村|新城|华庭|国际|"
    r"苑|园|府|庭|湾|郡|里|城|院|堡))"
)
# "冰箱里", "小区里", "心里", "医院": words that end like a community and are not one.
NOT_A_NAME = re.compile(
    r"(?:[箱区群心道家楼屋房库梯间村城店这那哪公厅车门水管面手眼夜]里|"
    r"[医法学剧影戏]院|电影院|住院|大院|城里|城城)$"
)
BUILDING = re.compile(r"(\d{1,3}|[一二三四五六七八九十]{1,3})\s*(?:栋|号楼|幢|座)")
# What owners write just before a community's name and is never part of it ("我们翠湖花园",
# "住在翠湖花园", "昨天下雨翠湖花园"): cut off, so that every owner names the place alike.
LEADING = re.compile(
    r"^.*(?:我们|我家|咱们|俺们|大家|本人|请问|问下|请教|想问|位于|昨天|昨晚|今天|今早|前天|"
    r"最近|刚才|下雨|暴雨|大雨|业主|[的在住是了们我])"
)
# Words that are not a community even though they end like one.
NOT_PLACES = frozenset({"花园", "家园", "公园", "小区", "校园", "乐园", "庭院", "城市"})
# Faults, each a family of words owners use for it.
FAULTS: dict[str, tuple[str, ...]] = {
    "flooding": ("淹", "积水", "倒灌", "进水", "泡水"),
    "leak": ("漏水", "渗水", "滴水", "渗漏", "水渍"),
    "water_supply": ("停水", "水压", "没水", "水小", "供水"),
    "power": ("停电", "跳闸", "断电", "没电"),
    "lift": ("电梯", "困人", "梯"),
    # a lift out of order (not "电梯广告" or "电梯厅门口"): a fault two owners can share
    "lift_fault": (
        "电梯坏",
        "电梯又坏",
        "电梯停",
        "电梯又停",
        "电梯故障",
        "困人",
        "困在电梯",
        "关在电梯",
        "电梯不动",
        "电梯停运",
        "电梯三天两头",
    ),
    "gas": ("燃气", "煤气", "天然气"),
    "heating": ("暖气", "供暖", "地暖"),
    "noise": ("噪音", "噪声", "吵", "隔音"),
    "window": ("漏风", "窗户关不严", "窗框变形", "推拉门变形"),
    "smell": ("异味", "臭味", "臭"),
    "crack": ("裂缝", "开裂", "空鼓", "裂了", "墙裂"),
    "access": ("门禁", "道闸", "刷卡"),
    "parking": ("车位", "停车", "地库", "车库"),
    # "交房" alone is often only a time ("交房不到一年"): the delay is the fault
    "delivery": (
        "延期交房",
        "交房延期",
        "逾期交房",
        "延迟交房",
        "推迟交房",
        "交房推迟",
        "逾期",
        "延期交付",
        "交房一拖再拖",
        "还没交房",
        "交不了房",
        "还交不了",
    ),
    "certificate": ("房产证", "不动产证", "办证"),
}
MIN_SIMILARITY = 0.35


@dataclass(frozen=True)
class CaseText:
    """What the match needs of a case."""

    id: int
    owner: str
    topic_id: int
    label: str | None
    text: str
    opened_at: datetime


def _joined(matches: Iterable[re.Match[str]]) -> Iterator[str]:
    """Names that follow each other read as one: "碧桂园" + "凤凰城" is "碧桂园凤凰城"."""
    name, end = "", -1
    for m in matches:
        if name and m.start() == end:
            name += m.group(1)
        else:
            if name:
                yield name
            name = m.group(1)
        end = m.end()
    if name:
        yield name


def place_of(text: str) -> str | None:
    """The community named in ``text`` (with the building, if one is named)."""
    plain = to_simplified(clean(text))
    names = (LEADING.sub("", m) for m in _joined(COMMUNITY.finditer(plain)))
    community = next(
        (m for m in names if m not in NOT_PLACES and len(m) >= 3 and not NOT_A_NAME.search(m)),
        None,
    )
    if community is None:
        return None
    building = BUILDING.search(plain)
    return f"{community}{building.group(1)}栋" if building else community


def community_of(place: str | None) -> str | None:
    return None if place is None else re.sub(r"(\d{1,3}|[一二三四五六七八九十]{1,3})栋$", "", place)


def same_community(a: str | None, b: str | None) -> bool:
    """One community however it is named: "凤凰城" is "碧桂园凤凰城" said short."""
    if a is None or b is None:
        return False
    return a == b or (min(len(a), len(b)) >= 3 and (a.endswith(b) or b.endswith(a)))


def faults_of(text: str) -> frozenset[str]:
    plain = to_simplified(clean(text))
    return frozenset(name for name, words in FAULTS.items() if any(w in plain for w in words))


def _bigrams(text: str) -> Counter[str]:
    plain = re.sub(r"[^\u4e00-\u9fff0-9a-z]", "", to_simplified(clean(text)).lower())
    return Counter(plain[i : i + 2] for i in range(len(plain) - 1))


def similarity(a: str, b: str) -> float:
    """Cosine similarity of character bigrams (0..1)."""
    x, y = _bigrams(a), _bigrams(b)
    dot = sum(x[k] * y[k] for k in x.keys() & y.keys())
    norm = math.sqrt(sum(v * v for v in x.values())) * math.sqrt(sum(v * v for v in y.values()))
    return dot / norm if norm else 0.0


def same_matter(a: CaseText, b: CaseText, window: timedelta) -> bool:
    """Two owners' cases on one matter at one place, close enough in time."""
    if a.owner.casefold() == b.owner.casefold() or abs(a.opened_at - b.opened_at) > window:
        return False
    if not same_community(community_of(place_of(a.text)), community_of(place_of(b.text))):
        return False
    shared = faults_of(a.text) & faults_of(b.text)
    if shared - {"parking", "lift"}:
        return True  # parking/lift alone name a place in the building, not a fault
    return similarity(a.text, b.text) >= MIN_SIMILARITY


def spike(opened: list[datetime], now: datetime, count: int, hours: float) -> bool:
    """Whether ``count`` or more cases of one incident opened within ``hours`` of each other
    (any such span up to ``now``: a burst the bot took in late, after a pause, still counts)."""
    times = sorted(t for t in opened if t <= now)
    span = timedelta(hours=hours)
    return any(
        times[i + count - 1] - times[i] <= span for i in range(max(len(times) - count + 1, 0))
    )
