"""Find the promises with a time in a reply, and when each falls due.

When the centre publishes “工程部将于三个工作日内上门查看”, someone has to check that it
happened: forgetting a promise is one of the taboos of complaint handling. The publisher turns
each promise found here into a follow-up with a due time. Pure logic: the caller passes `now`.
How a phrase becomes a due time is ``time_phrases``; this module decides which phrases are
promises of ours.

Not taken: "尽快" and other promises without a time; times that look back ("3天前" is "three
days ago", "上周五"); anything inside a quote of someone else's post; deadlines set for the
owner ("请您在10月15日前提交材料"); a point in time in a clause about what the owner did
("您周五前反映的问题"); a date or weekday without 前/之前 unless a word of intent
(将/会/预计/安排…) comes before it in the clause. Ambiguous "N日前" (also "N days ago") is
never read as a date.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from forumbot.drafting.time_phrases import BARE, INTENT, PERIOD, POINT, RULES, Context, normalise
from forumbot.workcalendar import BEIJING


@dataclass(frozen=True)
class Promise:
    excerpt: str  # the phrase that carries the time, e.g. "三个工作日内"
    span: tuple[int, int]  # [start, end) in the reply text
    due: datetime  # timezone-aware, in UTC: the end of the promised period
    sentence: str  # the whole sentence containing the promise (what was promised)


# --- is it ours, and is it ahead? ---------------------------------------------------------

_SENTENCE_END = "。!?;\n"
_CLAUSE_END = _SENTENCE_END + ",，"
_INTENT = re.compile(
    r"将|会|预计|计划|争取|安排|保证|承诺|确保|一定|最迟|最晚|不晚于|不迟于|力争|负责|约定"
)
_OWNER_TASK = re.compile(r"(?:请|麻烦|烦请|需要|需|须)(?:您|你|业主)|^\s*请")
_OWNER_DID = re.compile(r"(?<![为给向与帮替系知])(?:您|你)(?![的好])")  # the owner as subject
_LOOKS_BACK = re.compile(r"(?:已|曾)(?:经)?(?:于|在)?\s*$")


def _clause_before(norm: str, start: int) -> str:
    begin = max((norm.rfind(c, 0, start) for c in _CLAUSE_END), default=-1) + 1
    return norm[begin:start]


def _is_ours_and_ahead(norm: str, start: int, strictness: str) -> bool:
    """Rule out the owner's deadlines, what the owner did, and what is already done."""
    before = _clause_before(norm, start)
    if _OWNER_TASK.search(before):
        return False
    if strictness == PERIOD:
        return True
    if _LOOKS_BACK.search(before):
        return False
    has_intent = bool(_INTENT.search(before))
    if strictness == INTENT and not has_intent:
        return False
    return has_intent or not _OWNER_DID.search(before)


def _strictness(m: re.Match[str], declared: str) -> str:
    if declared != BARE:
        return declared
    groups = m.groupdict()
    return POINT if groups.get("suffix") or groups.get("which") else INTENT


def _sentence(text: str, norm: str, start: int, end: int) -> str:
    begin = max((norm.rfind(c, 0, start) for c in _SENTENCE_END), default=-1) + 1
    stops = [i for c in _SENTENCE_END if (i := norm.find(c, end)) != -1]
    stop = min(stops, default=len(norm))
    if stop < len(norm) and norm[stop] != "\n":
        stop += 1  # keep the full stop that ends it
    return text[begin:stop].strip()


def extract_promises(
    text: str,
    now: datetime,
    *,
    tz: ZoneInfo = BEIJING,
) -> list[Promise]:
    """Every promise with a time in a reply, in the order written, each with its due time.

    `now` must be timezone-aware; it is when the reply is published, so "明天" is the day after.
    """
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be timezone-aware")
    ctx = Context(now, now.astimezone(tz).date(), tz)
    norm = normalise(text)
    found: list[tuple[int, int, datetime]] = []
    for pattern, strictness, resolver in RULES:
        for m in pattern.finditer(norm):
            start, end = m.span()
            if not _is_ours_and_ahead(norm, start, _strictness(m, strictness)):
                continue
            due = resolver(m, ctx)
            if due is not None:
                found.append((start, end, due))
    promises: list[Promise] = []
    taken_until = -1
    for start, end, due in sorted(found, key=lambda f: (f[0], -f[1])):
        if start < taken_until:
            continue  # part of a longer phrase already taken ("明天下午" inside "明天下午3点前")
        taken_until = end
        sentence = _sentence(text, norm, start, end)
        promises.append(Promise(text[start:end], (start, end), due, sentence))
    return promises
