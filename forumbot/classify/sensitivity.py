"""Sensitive matters: what a supervisor must read before the company answers in public.

Large sums, threats of the media or the courts, accusations of fraud or bribery, leaked
personal data, complaints about deleted posts, the police or officials, collective action.
A sensitive post is answered like any other, but its reply needs a second approval by a
supervisor (the two-person rule, enforced by the publisher).

Rules, not a model: each kind is a short list of phrases a supervisor can read and argue
with. Pure: cleaned text (``forumbot.classify.normalize.clean``) in, findings out.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Amounts of money from which a dispute is handled by a supervisor (yuan).
LARGE_SUM_YUAN = 100_000

_KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "media": (
        "扬言找媒体或曝光",
        (
            r"媒体|记者|曝光|电视台|报社|报纸|上新闻|上热搜|热搜|发微博|微博上|抖音上?曝|自媒体|"
            r"央视|焦点访谈|新闻热线|网络上?曝|发到网上|舆论",
        ),
    ),
    "legal": (
        "提到起诉、律师或仲裁",
        (
            r"起诉|诉讼|法院|律师|律师函|仲裁|打官司|法律途径|法律手段|法律责任|告上法庭|告你们|"
            r"告到底|上诉|立案|诉至|民事赔偿|维权到底",
        ),
    ),
    "fraud_bribery": (
        "指控欺诈、受贿或回扣",
        (
            r"诈骗|欺诈|骗子|骗局|骗钱|坑蒙拐骗|行贿|受贿|贿赂|回扣|好处费|收红包|塞红包|吃拿卡要|"
            r"黑幕|贪污|中饱私囊|私吞|挪用|暗箱操作|勾结|串通",
        ),
    ),
    "personal_data": (
        "个人信息泄露",
        (
            r"(?:信息|电话|号码|手机号|身份证|住址|个人资料|资料|隐私).{0,6}?"
            r"(?:泄露|泄漏|被卖|外泄|被公开|流出|卖给|被曝|被贴)",
            r"(?:卖|泄露|泄漏|倒卖)了?(?:我的|业主的?)(?:信息|电话|资料|隐私)|骚扰电话.{0,12}?(?:知道|叫出|报出)",
        ),
    ),
    "deleted_post": (
        "投诉帖子被删或被禁言",
        (
            r"删帖|删我的?帖|(?:帖子|帖|回复|评论).{0,6}?(?:被删|删了|删除了|没了|不见了|被屏蔽|被隐藏)|"
            r"删了我的|禁言|封号|被封了",
        ),
    ),
    "police_officials": (
        "涉及警方或政府部门",
        (
            r"报警|报了警|(?<!\d)110(?!\d)|派出所|警察|公安|民警|住建局|住建委|住建部门|房管局|"
            r"街道办|居委会主任|信访|上访|(?<!\d)12345(?!\d)|市长热线|纪委|监察委|人大代表|政协委员|"
            r"市场监管局|消协|消费者协会|(?:找|向|到|去)政府|政府部门.{0,4}?(?:投诉|反映|举报)",
        ),
    ),
    "collective_action": (
        "业主集体行动",
        (
            r"集体维权|维权群|联名|拉横幅|横幅|集体(?:投诉|上访|去|行动|拒交|退房|起诉)|"
            r"组织业主|上百(?:位|名|户|个)?业主|几十(?:位|名|户|个)业主|全体业主.{0,6}?(?:要求|投诉|拒交)|"
            r"业主们?.{0,4}?(?:一起|联合|集体)去|堵门|围堵|静坐",
        ),
    ),
}


@dataclass(frozen=True)
class SensitiveMatch:
    kind: str
    reason: str
    span: str


_COMPILED = {
    kind: (reason, re.compile("|".join(f"(?:{p})" for p in patterns)))
    for kind, (reason, patterns) in _KINDS.items()
}
_CN_LARGE = re.compile(
    r"(?:几|十几|几十|数十|上百|几百|数百|上千|几千|上万)万|百万|千万|上亿|几亿"
    # written out: 十万, 二十万, 三十五万, 两百万, 一千万 (ten thousand yuan times ten or more)
    r"|(?:[一二两三四五六七八九]?十[一二三四五六七八九]?|[一二两三四五六七八九]百[一二三四五六七八九十]*)万"
)
_AMOUNT = re.compile(
    r"(\d+(?:\.\d+)?)\s*(万|w(?![a-z])|元|块)(?!平|方|平米|平方|人|户|步|公里|次|字|个|套|辆|吨|粉)"
)
_NOT_MONEY_BEFORE = re.compile(r"(?:面积|平米|平方|公里|人口|户数|粉丝|阅读|浏览)[^，。]{0,4}$")
KIND_NAMES_ZH = {kind: reason for kind, (reason, _) in _KINDS.items()} | {"money": "涉及大额款项"}


def _large_sum(text: str) -> str | None:
    match = _CN_LARGE.search(text)
    if match:
        return match.group(0)
    for match in _AMOUNT.finditer(text):
        if _NOT_MONEY_BEFORE.search(text[max(0, match.start() - 8) : match.start()]):
            continue
        value = float(match.group(1))
        unit = match.group(2)
        yuan = value * 10_000 if unit in ("万", "w") else value
        if yuan >= LARGE_SUM_YUAN:
            return match.group(0)
    return None


def find_sensitive(text: str) -> list[SensitiveMatch]:
    """Every sensitive kind ``text`` touches, with the words that show it."""
    found = []
    money = _large_sum(text)
    if money:
        found.append(SensitiveMatch("money", KIND_NAMES_ZH["money"], money))
    for kind, (reason, pattern) in _COMPILED.items():
        match = pattern.search(text)
        if match:
            found.append(SensitiveMatch(kind, reason, match.group(0)))
    return found
