"""Beijing time and China's working days: the one calendar every due time is counted on.

Department due times, promise dates, response-time figures and the dashboard all read the
clock and the calendar here, so a holiday cannot be a working day in one place and a day off
in another. Working days follow the State Council's schedule as published in the
``chinese-calendar`` package, make-up working days (调休) included. That package knows only
the years already published; for any other year a working day is Monday to Friday, and the
admin's extra holidays and extra working days in ``[calendar]`` of config/forumbot.toml fill
the gap. Such a year is logged once as a warning, never raised: a due time a little off is
better than a bot that stops drafting on 1 January.

The admin's dates apply in every year, so they also cover what the package cannot know (a
day the centre itself closes). Pure: no storage, no settings; the program hands the
configured dates to ``configure`` once at start.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar

log = logging.getLogger(__name__)

BEIJING = ZoneInfo("Asia/Shanghai")
END_OF_DAY = time(18)  # the centre closes at 18:00; a day's deadline is then, not midnight


@dataclass(frozen=True)
class _Extras:
    holidays: frozenset[date] = frozenset()
    workdays: frozenset[date] = frozenset()


_extras = _Extras()
_warned_years: set[int] = set()
_warned_lock = threading.Lock()


def configure(extra_holidays: Iterable[date] = (), extra_workdays: Iterable[date] = ()) -> None:
    """Set the admin's extra days off and extra working days (called once at start).

    Calling it again replaces both sets; calling it with nothing clears them.
    """
    global _extras
    _extras = _Extras(frozenset(extra_holidays), frozenset(extra_workdays))


def _official(day: date) -> bool | None:
    """The State Council's answer for ``day``, or None for a year the package does not know."""
    try:
        return bool(chinese_calendar.is_workday(day))
    except NotImplementedError:
        with _warned_lock:
            first = day.year not in _warned_years
            _warned_years.add(day.year)
        if first:
            log.warning(
                "no official holiday schedule for %d in chinesecalendar %s: counting Monday to "
                "Friday as working days, with calendar.extra_holidays and "
                "calendar.extra_workdays from the config file; upgrade chinesecalendar once "
                "the schedule is published",
                day.year,
                getattr(chinese_calendar, "__version__", "?"),
            )
        return None


def is_working_day(day: date) -> bool:
    """Whether the centre works on ``day`` (a date in Beijing)."""
    if day in _extras.workdays:
        return True
    if day in _extras.holidays:
        return False
    official = _official(day)
    return day.weekday() < 5 if official is None else official


def add_working_days(start: date, n: int) -> date:
    """The date ``n`` working days after ``start`` (``start`` itself for 0).

    ``start`` itself never counts, so one working day after a Friday is the Monday, and one
    after the eve of a holiday is the first working day after it.
    """
    if n < 0:
        raise ValueError(f"n must not be negative, got {n}")
    day = start
    while n:
        day += timedelta(days=1)
        if is_working_day(day):
            n -= 1
    return day


def beijing(dt: datetime) -> datetime:
    """``dt`` in Beijing time; a naive value is taken as UTC, as the database stores it."""
    aware = dt if dt.tzinfo is not None else dt.replace(tzinfo=UTC)
    return aware.astimezone(BEIJING)


def format_beijing(dt: datetime, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """A time as people at the centre read it: Beijing wall-clock time."""
    return beijing(dt).strftime(pattern)


def end_of_day(day: date) -> datetime:
    """18:00 Beijing on ``day``, in UTC: when a deadline on that day falls due."""
    return datetime.combine(day, END_OF_DAY, BEIJING).astimezone(UTC)


def working_days_from(now: datetime, days: int) -> datetime:
    """18:00 Beijing on the ``days``-th working day after ``now``'s Beijing date, in UTC.

    ``days`` 0 is 18:00 today, whatever the hour now.
    """
    return end_of_day(add_working_days(beijing(now).date(), days))
