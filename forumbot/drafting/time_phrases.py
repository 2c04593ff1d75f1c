"""Time phrases in a reply ("三个工作日内", "本周五前", "明天下午3点前") and when each falls due.

The parsing half of ``promises``: normalisation that keeps every offset, numbers in digits or
Chinese, and one rule per kind of phrase with the resolver that turns it into a time.

How a phrase becomes a due time (dates in Beijing time, `due` in UTC):

- A day ends at 18:00 local, when the centre closes. "N个工作日内", "N天内", "本周五前",
  "10月15日前" and "月底前" fall due at 18:00 on their last day; ending the day then rather than
  at midnight means a follow-up is never raised too late.
- "N个工作日内": 18:00 on the Nth working day after today, whatever the hour now, on China's
  calendar (`forumbot.workcalendar`): public holidays are skipped, make-up Saturdays count.
- "N小时内", "N分钟内": exactly `now` plus that time.
- "N天内"/"N日内", "N周内", "N个月内", "半年内": that many calendar days, weeks or months
  after today.
- 上午/早上/中午 end at 12:00, 下午/下班前 at 18:00, 晚上 at 21:00; a clock time
  ("明天下午3点前") is taken as said, a bare 1 to 6 o'clock ("明天3点前") as the afternoon.
- "本周X"/"周X前": X of this week (weeks start on Monday), or of next week if that day has
  gone: "本周五" said on a Saturday cannot mean the Friday just gone. "下周X": X of next
  week; "下周"/"下周内" alone, next week's Friday; "本周内"/"周末前", this week's Friday.
- "M月D日" without a year: the year that puts the date between about two months ago and ten
  months ahead, so a date just gone stays in this year (the promise is already late) and
  "1月10日前" said in December means next January. "N号前": day N of this month, or of next
  month if it has gone.
- A range ("3至5个工作日内", "两三天内") is due at its far end.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from forumbot.workcalendar import END_OF_DAY, add_working_days

NOON = time(12)
EVENING = time(21)


# --- normalisation that keeps every offset ----------------------------------------------------

_TRADITIONAL = dict(
    zip(
        "個內週號後點時鐘頭兩禮於將會預計劃爭這當間遲盡確證諾負責請煩須經業務",
        "个内周号后点时钟头两礼于将会预计划争这当间迟尽确证诺负责请烦须经业务",
        strict=True,
    )
)
_QUOTE = re.compile(r"\[quote[^\]]*\].*?\[/quote\]|^[ \t]*>[^\n]*", re.I | re.S | re.M)


def normalise(text: str) -> str:
    """Simplified characters, ASCII digits and punctuation; same length as the text.

    A quote of someone else's post becomes line breaks: no promise of ours is inside it, and
    no sentence of ours runs through it.
    """
    out = []
    for ch in text:
        ch = _TRADITIONAL.get(ch, ch)
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded if len(folded) == 1 else ch)
    return _QUOTE.sub(lambda m: "\n" * len(m.group()), "".join(out))


# --- numbers ------------------------------------------------------------------------------

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4}
_DIGITS |= {"五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN = "零〇一二两三四五六七八九十"
NUM = rf"(?:\d{{1,4}}|[{_CN}]{{1,4}})"
NUM_RANGE = rf"(?<![\d{_CN}第.月]){NUM}(?:\s*[-~至到]\s*{NUM})?"


def _number(word: str) -> int | None:
    """12, 十二, 二十, 两; a run of two digits ("两三", "三五") is a range: its larger end."""
    if word.isascii() and word.isdigit():
        return int(word)
    if "十" in word:
        tens, _, ones = word.partition("十")
        if (
            len(tens) > 1
            or len(ones) > 1
            or (tens and tens not in _DIGITS)
            or (ones and ones not in _DIGITS)
        ):
            return None
        return (_DIGITS[tens] if tens else 1) * 10 + (_DIGITS[ones] if ones else 0)
    if len(word) > 2 or any(c not in _DIGITS for c in word):
        return None
    return max(_DIGITS[c] for c in word)


def _upper(words: str) -> int | None:
    """The far end of "3", "3-5", "三至五"."""
    parts = [_number(w.strip()) for w in re.split(r"[-~至到]", words)]
    return max(p for p in parts if p is not None) if None not in parts else None


# --- phrases ------------------------------------------------------------------------------

BEFORE = r"(?:之前|以前|前)"
WITHIN = r"(?:之内|以内|内)"
PART = r"(?P<part>上午|早上|中午|下午|晚上|下班)?"
CLOCK = (
    rf"(?:\s*(?P<hour>\d{{1,2}}|[{_CN}]{{1,3}})\s*(?:点|时)(?P<minute>半|\d{{1,2}}分?|[{_CN}]{{1,3}}分)?"
    r"|\s*(?P<hh>\d{1,2}):(?P<mm>\d{2}))"
)
WHEN = rf"{PART}{CLOCK}?"

# How strictly a phrase is checked before it counts as our promise (see _is_ours_and_ahead).
PERIOD = "period"  # "三个工作日内": looks ahead by itself
POINT = "point"  # "本周五前", "明天": ahead, unless the clause is about what the owner did
INTENT = "intent"  # "10月15日", "周五": needs a word of intent (将/会/安排…) before it
BARE = "bare"  # POINT with 前/之前 or 本/这/下 in front, else INTENT


@dataclass(frozen=True)
class Context:
    now: datetime
    today: date
    tz: ZoneInfo

    def at(self, day: date, when: time) -> datetime:
        return datetime.combine(day, when, tzinfo=self.tz).astimezone(UTC)


def _time_of_day(m: re.Match[str], implied: str | None = None) -> time | None:
    """The hour a part of day or a clock time stands for; None for an impossible time.

    `implied` is the part of day a word carries by itself (明晚: 晚上).
    """
    part = m.group("part") or implied
    if m.group("hh"):
        hour, minute = int(m.group("hh")), int(m.group("mm"))
    elif m.group("hour"):
        hour = _number(m.group("hour"))
        word = (m.group("minute") or "").rstrip("分")
        minute = 30 if word == "半" else (_number(word) if word else 0)
        if hour is None or minute is None:
            return None
        if (part in ("下午", "晚上") and hour < 12) or (part == "中午" and hour < 3):
            hour += 12
        elif part == "晚上" and hour == 12:
            hour = 24
    else:
        return {"上午": NOON, "早上": NOON, "中午": NOON, "晚上": EVENING}.get(part, END_OF_DAY)
    if not part and 1 <= hour <= 6:
        hour += 12  # a bare "3点" in office hours is the afternoon
    if hour == 24 and minute == 0:
        return time(23, 59)
    return time(hour, minute) if hour < 24 and minute < 60 else None


def _working_days(m: re.Match[str], ctx: Context) -> datetime | None:
    n = _upper(m.group("n"))
    return None if n is None else ctx.at(add_working_days(ctx.today, n), END_OF_DAY)


def _hours(m: re.Match[str], ctx: Context) -> datetime | None:
    n = _upper(m.group("n")) if m.group("n") else 0
    if n is None:
        return None
    half = m.group("half") or m.group("halfonly")
    minutes = n * (1 if m.group("unit") == "分钟" else 60) + (30 if half else 0)
    return (ctx.now + timedelta(minutes=minutes)).astimezone(UTC)


def _add_months(day: date, months: int) -> date:
    year, month = divmod(day.month - 1 + months, 12)
    year += day.year
    return date(year, month + 1, min(day.day, calendar.monthrange(year, month + 1)[1]))


def _calendar(m: re.Match[str], ctx: Context) -> datetime | None:
    if m.group("halfmonth"):
        return ctx.at(ctx.today + timedelta(days=15), END_OF_DAY)
    if m.group("halfyear"):
        return ctx.at(_add_months(ctx.today, 6), END_OF_DAY)
    n = _upper(m.group("n"))
    if n is None:
        return None
    unit = m.group("unit")
    if unit == "月":
        return ctx.at(_add_months(ctx.today, n), END_OF_DAY)
    days = n * 7 if unit in ("周", "星期", "礼拜") else n
    return ctx.at(ctx.today + timedelta(days=days), END_OF_DAY)


_DAY_OFFSET = {"今天": 0, "今日": 0, "当天": 0, "今晚": 0, "明天": 1, "明日": 1, "明早": 1}
_DAY_OFFSET |= {"明晚": 1, "后天": 2, "大后天": 3}


def _day_word(m: re.Match[str], ctx: Context) -> datetime | None:
    word = m.group("day")
    if word in ("今天", "今日", "当天") and not (m.group("suffix") or m.group("part") == "下班"):
        return None  # "您今天上午反映的问题": a bare today is as likely past as future
    when = _time_of_day(m, {"今晚": "晚上", "明晚": "晚上", "明早": "上午"}.get(word))
    return None if when is None else ctx.at(ctx.today + timedelta(days=_DAY_OFFSET[word]), when)


def _after_work(m: re.Match[str], ctx: Context) -> datetime | None:
    return ctx.at(ctx.today, END_OF_DAY)


def _part_of_today(m: re.Match[str], ctx: Context) -> datetime | None:
    when = _time_of_day(m)
    return None if when is None else ctx.at(ctx.today, when)


_WEEKDAY = {"一": 0, "二": 1, "三": 2, "四": 3, "五": 4, "六": 5, "日": 6, "天": 6, "末": 4}
_WEEKDAY |= {str(i + 1): i for i in range(7)}


def _week(m: re.Match[str], ctx: Context) -> datetime | None:
    which, day, suffix = m.group("which") or "", m.group("wd"), m.group("suffix")
    if day == "末" and not (suffix and "内" not in suffix):
        return None  # "周末前" is before the weekend; a bare "周末" says no time
    if not day and not (which.startswith("下") or (which and suffix and "内" in suffix)):
        return None
    weekday = _WEEKDAY[day] if day else 4
    monday = ctx.today - timedelta(days=ctx.today.weekday())
    target = monday + timedelta(days=weekday)
    # 下周X is next week's; 本周五 said on a Saturday can only mean the coming Friday.
    if which.startswith("下") or target < ctx.today:
        target += timedelta(days=7)
    when = _time_of_day(m)
    return None if when is None else ctx.at(target, when)


def _month_end(m: re.Match[str], ctx: Context) -> datetime | None:
    month = _add_months(
        ctx.today.replace(day=1), 1 if (m.group("which") or "").startswith("下") else 0
    )
    last = calendar.monthrange(month.year, month.month)[1]
    return ctx.at(month.replace(day=last), END_OF_DAY)


def _year_end(m: re.Match[str], ctx: Context) -> datetime | None:
    year = ctx.today.year + (1 if m.group("which") == "明" else 0)
    return ctx.at(date(year, 12, 31), END_OF_DAY)


def _nearest_year(month: int, day: int | None, today: date) -> date | None:
    """The date between about two months ago and ten months ahead (day None: month's end)."""
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidate = date(year, month, day or calendar.monthrange(year, month)[1])
        except ValueError:  # 2月29日 in a year without one
            continue
        if today - timedelta(days=61) <= candidate < today + timedelta(days=304):
            return candidate
    return None


def _date(m: re.Match[str], ctx: Context) -> datetime | None:
    month = _number(m.group("m"))
    day = _number(m.group("d")) if m.group("d") else None
    if month is None or not 1 <= month <= 12 or (m.group("d") and day is None):
        return None
    target: date | None
    if m.group("y"):
        year = int(m.group("y"))
        try:
            target = date(year, month, day or calendar.monthrange(year, month)[1])
        except ValueError:
            return None
    else:
        target = _nearest_year(month, day, ctx.today)
    when = _time_of_day(m)
    return None if target is None or when is None else ctx.at(target, when)


def _day_of_month(m: re.Match[str], ctx: Context) -> datetime | None:
    day = _number(m.group("d"))
    if day is None or not 1 <= day <= 31:
        return None
    month = ctx.today.replace(day=1)
    if day < ctx.today.day:
        month = _add_months(month, 1)
    last = calendar.monthrange(month.year, month.month)[1]
    return ctx.at(month.replace(day=min(day, last)), END_OF_DAY)


Resolver = Callable[[re.Match[str], Context], datetime | None]
RULES: tuple[tuple[re.Pattern[str], str, Resolver], ...] = (
    (re.compile(rf"(?P<n>{NUM_RANGE})\s*个?\s*工作日\s*{WITHIN}"), PERIOD, _working_days),
    (
        re.compile(
            rf"(?:(?P<n>{NUM_RANGE})\s*个?\s*(?P<half>半)?|(?<![{_CN}\d])(?P<halfonly>半))\s*个?\s*"
            rf"(?P<unit>小时|钟头|分钟)\s*{WITHIN}"
        ),
        PERIOD,
        _hours,
    ),
    (
        re.compile(
            rf"(?:(?P<n>{NUM_RANGE})\s*个?\s*(?P<unit>自然日|天|日|周|星期|礼拜|月)"
            rf"|(?<![{_CN}\d])(?:(?P<halfmonth>半\s*个?\s*月)|(?P<halfyear>半\s*年)))\s*{WITHIN}"
        ),
        PERIOD,
        _calendar,
    ),
    (
        re.compile(
            rf"(?P<day>今天|今日|当天|今晚|明天|明日|明早|明晚|大后天|(?<![之以然最随往落])后天){WHEN}"
            rf"(?P<suffix>{BEFORE}|{WITHIN})?"
        ),
        POINT,
        _day_word,
    ),
    (re.compile(rf"(?<![今明天日午])下班{BEFORE}"), POINT, _after_work),
    (
        re.compile(rf"(?<![天日晚早])(?P<part>上午|中午|下午|晚上){CLOCK}{BEFORE}"),
        POINT,
        _part_of_today,
    ),
    (
        re.compile(
            rf"(?:(?P<which>本|这个?|下个?)|(?<![上个每]))(?:周|星期|礼拜)"
            rf"(?P<wd>[一二三四五六日天末1-7])?{WHEN}(?P<suffix>{BEFORE}|{WITHIN})?"
        ),
        BARE,
        _week,
    ),
    (
        re.compile(
            rf"(?:(?P<which>本|这个?|下个?)|(?<![上个每半\d{_CN}]))月(?:底|末|{WITHIN})"
            rf"{BEFORE}?"
        ),
        POINT,
        _month_end,
    ),
    (
        re.compile(
            rf"(?:(?P<which>今|本|明)|(?<![去上前个每半\d{_CN}]))年(?:底|末|{WITHIN}){BEFORE}?"
        ),
        POINT,
        _year_end,
    ),
    (
        re.compile(
            rf"(?:(?P<y>\d{{4}})\s*年\s*)?(?<![\d{_CN}])(?P<m>{NUM})\s*月\s*"
            rf"(?:(?P<d>{NUM})\s*[日号]|底|末){WHEN}(?P<suffix>{BEFORE})?"
        ),
        BARE,
        _date,
    ),
    (re.compile(rf"(?<![\d{_CN}月])(?P<d>{NUM})\s*号\s*{BEFORE}"), POINT, _day_of_month),
)
