"""What a reply must show it read: the owner's matter, where, since when, the questions they
asked and what they already tried. Pure: post text in, a reading out.

Only what the owner wrote in the post is used, as they wrote it: the building and unit may be
named ("3栋2单元楼梯间"), a phone number, an ID or a flat number never (the reply is public).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from forumbot.classify.normalize import clean

_PLACE = re.compile(
    r"(?:[\u4e00-\u9fff]{2,4}(?:苑|园|府|小区|花园|家园|公馆|华庭|新村))?"
    r"(?:\d{1,3}|[一二三四五六七八九十]{1,3})\s*(?:栋|号楼|幢|座)(?:\s*\d{1,2}\s*单元)?"
    r"(?:的)?(?:[\u4e00-\u9fff]{0,3}?(?:楼梯间|楼道|电梯|地下室|车库|大堂|门口|天台|屋顶|外墙|走廊))?"
    r"|(?:地下车库|地库|[东南西北]门(?:外|口)?|中心花园|游乐场|会所|大门口|消防通道|绿化带)"
)
_SINCE = re.compile(
    r"(?:从|自)?(?:今年|去年|上个?月|上周|上星期|前天|昨天|昨晚|今天早上|今早|入住以来|交房以来)"
    r"(?:\d{1,2}月份?)?(?:开始|起|以来)?"
    # a duration counts only when it says how long: "已经一个月了", "两周以来", "从三天前开始"
    r"|(?:从|自|已经|都|快|有)(?:\d{1,2}|[一二三四五六七八九十两几半])+\s*(?:个)?多?"
    r"(?:天|周|星期|个月|月|年)多?(?:了|以来|前)?(?:开始|起)?"
    r"|(?:\d{1,2}|[一二三四五六七八九十两几半])+\s*(?:个)?多?(?:天|周|星期|个月|月|年)多?(?:了|以来)"
)
_QUESTION_END = re.compile(r"[?？]$|(?:吗|呢|么)[。.!！]?$")
_ASKS = re.compile(
    r"怎么|什么时候|啥时候|何时|谁负责|谁来|能不能|可不可以|是不是|为什么|多久|哪里|如何"
)
_TRIED = re.compile(
    r"(?:报修|打(?:了)?(?:\d+|[一二三四五六七八九十几两])?次?电话|打电话|找过|找了|联系过|反映过|"
    r"投诉过|问过|催过|催了)[^，。！？!?,;；\n]{0,14}"
)
_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]?")
_PRIVATE = re.compile(r"\d{7,}|\d{3,4}\s*室|\d{3,4}号房|身份证")
# Words a reply must not quote back, however the owner put it.
_RUDE = re.compile(
    r"死了|去死|死人|垃圾|狗|滚|他妈|妈的|tm|tmd|傻|脑残|废物|骗子|混蛋|王八|畜生|蠢|智障|"
    r"黑心|不要脸|流氓|强盗|土匪|吃屎|尼玛|nm|sb|cnm",
    re.IGNORECASE,
)
_SUGGESTS = re.compile(r"建议|提议|希望(?:增加|增设)|能不能(?:增设|加装)")
# Titles that say nothing about the matter.
_EMPTY_TITLE = re.compile(
    r"^(?:求助|投诉|问题|咨询|建议|请问|急|紧急|吐槽|曝光|求解|来人|在吗|有人吗)+$"
)
MATTER_CHARS = 28
QUESTION_CHARS = 30
DETAIL_CHARS = 24


@dataclass(frozen=True)
class Reading:
    matter: str  # what, in the owner's words
    place: str | None
    since: str | None
    questions: tuple[str, ...]
    tried: tuple[str, ...]
    from_body: bool  # whether ``matter`` (or place / since) comes from the body, not the title
    detail: str | None = None  # the body's first words, when the matter came from the title


_FULL_WIDTH = str.maketrans(
    {",": "，", "?": "？", "!": "！", ";": "；", ":": "：", "(": "（", ")": "）"}
)


def _clip(text: str, limit: int) -> str:
    """Shortened for a reply, with Chinese punctuation (cleaning made it ASCII)."""
    text = text.strip(" ，,。.！!？?；;：:~～…").translate(_FULL_WIDTH)
    return text if len(text) <= limit else text[:limit].rstrip("，、的") + "…"


def _safe(text: str | None) -> str | None:
    """``text`` if a public reply may quote it: no personal data, no insults."""
    if text is None or _PRIVATE.search(text) or _RUDE.search(text):
        return None
    return text


def _sentences(text: str) -> list[str]:
    return [m.group().strip() for m in _SENTENCE.finditer(text) if m.group().strip()]


def questions_of(body: str) -> tuple[str, ...]:
    """Up to two questions the owner asks, as they asked them."""
    found = []
    for sentence in _sentences(body):
        clauses = [c.strip() for c in re.split(r"[，,；;]", sentence) if c.strip()]
        for i, clause in enumerate(clauses):
            if len(clause) < 4 or _safe(clause) is None:
                continue
            last = i == len(clauses) - 1
            if _QUESTION_END.search(clause) or (_ASKS.search(clause) and last):
                found.append(_clip(clause, QUESTION_CHARS))
                break
    return tuple(dict.fromkeys(found))[:2]


def read_post(raw: str, title: str | None = None, post_number: int = 1) -> Reading:
    """The owner's matter as a reply should restate it."""
    body = clean(raw)
    head = clean(title or "") if post_number <= 1 else ""
    first = next(iter(_sentences(body)), "")
    first_clause = re.split(r"[，,；;]", first)[0] if first else ""
    if head and len(head) >= 4 and not _EMPTY_TITLE.match(head):
        matter, from_body = _clip(head, MATTER_CHARS), False
    else:
        matter, from_body = _clip(first_clause or first, MATTER_CHARS), True
    place = _safe(m.group().strip() if (m := _PLACE.search(body)) else None)
    since = _safe(m.group().strip() if (m := _SINCE.search(body)) else None)
    if place and place in matter:
        place = None
    if since and since in matter:
        since = None
    tried = tuple(dict.fromkeys(_clip(m.group(), 18) for m in _TRIED.finditer(body)))[:2]
    told = from_body or bool(place or since)
    detail = None
    if not told and first_clause and first_clause not in head and len(first_clause) >= 4:
        detail = _safe(_clip(first_clause, DETAIL_CHARS))
    return Reading(_safe(matter) or "", place, since, questions_of(body), tried, told, detail)


def restatement(reading: Reading, question: bool = False) -> str:
    """The opening sentence: the owner's own matter, where and since when."""
    if not reading.matter:
        return ""
    where = f"{reading.place}" if reading.place else ""
    since = f"（您提到：{reading.since}）" if reading.since else ""
    if _SUGGESTS.search(reading.matter):
        verb, thanks = "提出的", "，谢谢您的建议。"
    elif question:
        verb, thanks = "问到的", "，谢谢您来问。"
    else:
        verb, thanks = "反映的", "，我们已经收到，谢谢您告诉我们。"
    detail = f"，您提到“{reading.detail}”" if reading.detail else ""
    place = f"，地点在{where}" if where else ""
    return f"您好，您{verb}“{reading.matter}”{place}{since}{detail}{thanks}"


def department_brief(reading: Reading) -> str:
    """What the department needs in one glance instead of an empty note."""
    lines = [f"业主反映：{reading.matter}"]
    if reading.place:
        lines.append(f"地点：{reading.place}")
    if reading.since:
        lines.append(f"起始：{reading.since}")
    if reading.questions:
        lines.append("业主的问题：" + "；".join(f"“{q}”" for q in reading.questions))
    if reading.tried:
        lines.append("业主已做过：" + "；".join(reading.tried))
    return "\n".join(lines)
