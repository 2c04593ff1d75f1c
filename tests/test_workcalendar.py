"""China's working days and Beijing time, as every due time the centre works to counts them.

2026 is a year the State Council has published: National Day runs 1-7 October, with
Sunday 20 September and Saturday 10 October as make-up working days; the Spring Festival
runs 15-23 February, with Saturdays 14 and 28 February as make-up working days.
Years far ahead (2091, 2099) are years no package can know yet.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from click.testing import CliRunner

from forumbot import workcalendar
from forumbot.cli import cli
from forumbot.config import ConfigError, load_settings
from forumbot.drafting.promises import extract_promises
from forumbot.web import create_app
from forumbot.workcalendar import (
    BEIJING,
    add_working_days,
    format_beijing,
    is_working_day,
    working_days_from,
)


def beijing(*args: int) -> datetime:
    return datetime(*args, tzinfo=BEIJING)


@pytest.fixture(autouse=True)
def fresh_calendar() -> Iterator[None]:
    """Each test starts, and leaves, with no extra days configured."""
    workcalendar.configure()
    yield
    workcalendar.configure()


# --- the official calendar ---------------------------------------------------------------


@pytest.mark.parametrize("day", [date(2026, 10, 1) + timedelta(days=i) for i in range(7)])
def test_national_day_2026_is_not_a_working_day(day: date) -> None:
    assert not is_working_day(day)


def test_make_up_days_of_national_day_2026_are_working_days() -> None:
    assert date(2026, 10, 10).weekday() == 5 and is_working_day(date(2026, 10, 10))
    assert date(2026, 9, 20).weekday() == 6 and is_working_day(date(2026, 9, 20))
    assert not is_working_day(date(2026, 10, 17))  # an ordinary Saturday
    assert is_working_day(date(2026, 10, 8))


def test_a_department_asked_on_the_eve_of_national_day_is_due_after_it() -> None:
    # Wednesday 30 September, 15:00: the 8th, the 9th and make-up Saturday the 10th.
    due = working_days_from(beijing(2026, 9, 30, 15, 0), 3)
    assert due == beijing(2026, 10, 10, 18, 0)
    assert due.tzinfo is UTC and due == datetime(2026, 10, 10, 10, 0, tzinfo=UTC)


def test_the_day_is_taken_in_beijing_whatever_the_zone_of_now() -> None:
    # 17:00 UTC on 30 September is already 01:00 on 1 October in Beijing.
    assert working_days_from(datetime(2026, 9, 30, 17, 0, tzinfo=UTC), 1) == beijing(
        2026, 10, 8, 18, 0
    )
    assert working_days_from(datetime(2026, 9, 30, 15, 0, tzinfo=UTC), 1) == beijing(
        2026, 10, 8, 18, 0
    )
    assert working_days_from(datetime(2026, 9, 29, 15, 0, tzinfo=UTC), 1) == beijing(
        2026, 9, 30, 18, 0
    )


def test_zero_working_days_is_six_this_evening() -> None:
    assert working_days_from(beijing(2026, 10, 3, 20, 0), 0) == beijing(2026, 10, 3, 18, 0)


@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (date(2024, 11, 13), 0, date(2024, 11, 13)),
        (date(2024, 11, 13), 1, date(2024, 11, 14)),
        (date(2024, 11, 13), 3, date(2024, 11, 18)),  # Thu, Fri, Mon
        (date(2024, 11, 15), 1, date(2024, 11, 18)),  # Friday -> Monday
        (date(2024, 11, 16), 1, date(2024, 11, 18)),  # Saturday -> Monday
        (date(2024, 11, 17), 5, date(2024, 11, 22)),  # Sunday -> Friday
        (date(2024, 11, 13), 10, date(2024, 11, 27)),
        (date(2024, 12, 30), 3, date(2025, 1, 3)),  # New Year's Day 2025 is a Wednesday
        (date(2025, 1, 27), 1, date(2025, 2, 5)),  # Spring Festival 2025, 28 Jan - 4 Feb
        (date(2026, 2, 13), 1, date(2026, 2, 14)),  # a make-up Saturday counts
    ],
)
def test_add_working_days(start: date, days: int, expected: date) -> None:
    assert add_working_days(start, days) == expected


def test_add_working_days_refuses_negative_days() -> None:
    with pytest.raises(ValueError):
        add_working_days(date(2024, 11, 13), -1)


def test_three_working_days_promised_before_the_spring_festival_end_after_it() -> None:
    # Friday 13 February 2026: make-up Saturday the 14th, then 24 and 25 February.
    [promise] = extract_promises("工程部将于3个工作日内上门查看。", beijing(2026, 2, 13, 10, 0))
    assert promise.due == beijing(2026, 2, 25, 18, 0)
    [promise] = extract_promises("我们会在1个工作日内回电。", beijing(2026, 2, 14, 17, 0))
    assert promise.due == beijing(2026, 2, 24, 18, 0)


# --- a year not published yet ----------------------------------------------------------


def test_an_unknown_year_falls_back_to_weekdays_with_one_warning(caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="forumbot.workcalendar"):
        assert is_working_day(date(2091, 1, 1))  # a Monday: no holiday known, so working
        assert not is_working_day(date(2091, 1, 6))  # a Saturday
        due = working_days_from(beijing(2091, 1, 5, 9, 0), 2)  # Friday
    assert due == beijing(2091, 1, 9, 18, 0)
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "2091" in warnings[0].getMessage()
    assert "calendar.extra_holidays" in warnings[0].getMessage()


def test_an_unknown_year_honours_the_configured_days() -> None:
    workcalendar.configure(
        extra_holidays=[date(2099, 1, 1), date(2099, 1, 2)],  # Thursday and Friday
        extra_workdays=[date(2099, 1, 3)],  # a make-up Saturday
    )
    assert not is_working_day(date(2099, 1, 1))
    assert is_working_day(date(2099, 1, 3))
    # Asked on Wednesday 31 December 2098: the 3rd (Saturday), then Monday the 5th.
    assert working_days_from(beijing(2098, 12, 31, 11, 0), 2) == beijing(2099, 1, 5, 18, 0)
    [promise] = extract_promises("3个工作日内给您答复。", beijing(2098, 12, 31, 11, 0))
    assert promise.due == beijing(2099, 1, 6, 18, 0)


def test_configured_days_also_apply_in_a_published_year() -> None:
    workcalendar.configure(extra_holidays=[date(2026, 12, 24)])  # the centre's own day off
    assert not is_working_day(date(2026, 12, 24))
    assert add_working_days(date(2026, 12, 23), 1) == date(2026, 12, 25)


# --- settings -----------------------------------------------------------------------------


def test_dates_come_from_the_config_file_and_the_environment(tmp_path) -> None:
    f = tmp_path / "f.toml"
    f.write_text(
        '[calendar]\nextra_holidays = ["2099-01-02", 2099-01-05]\nextra_workdays = []\n',
        encoding="utf-8",
    )
    s = load_settings(f, environ={"FORUMBOT_CALENDAR_EXTRA_WORKDAYS": "2099-01-03, 2099-01-04"})
    assert s["calendar.extra_holidays"] == [date(2099, 1, 2), date(2099, 1, 5)]
    assert s["calendar.extra_workdays"] == [date(2099, 1, 3), date(2099, 1, 4)]


@pytest.mark.parametrize(
    ("content", "named"),
    [
        ('[calendar]\nextra_holidays = ["2027-02-30"]\n', "calendar.extra_holidays: '2027-02-30'"),
        ('[calendar]\nextra_workdays = ["2027/10/09"]\n', "calendar.extra_workdays: '2027/10/09'"),
        ('[calendar]\nextra_holidays = ["20271001"]\n', "calendar.extra_holidays: '20271001'"),
    ],
)
def test_a_bad_date_in_the_config_file_is_named(tmp_path, content: str, named: str) -> None:
    f = tmp_path / "bad.toml"
    f.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(f, environ={})
    assert str(err.value).startswith(f"{f}: {named} 不是有效日期")
    assert "YYYY-MM-DD" in str(err.value)


def test_the_command_line_reports_a_bad_date_in_one_line(tmp_path) -> None:
    f = tmp_path / "bad.toml"
    f.write_text('[calendar]\nextra_holidays = ["2027-13-01"]\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(f), "migrate"])
    assert result.exit_code == 2
    assert result.output.strip().splitlines() == [
        f"forumbot: configuration error: {f}: calendar.extra_holidays: '2027-13-01' "
        '不是有效日期，请写成 "2027-10-08" 这样的格式 / is not a date: write it as '
        '"YYYY-MM-DD", e.g. "2027-10-08"'
    ]


def test_a_day_both_off_and_working_is_refused() -> None:
    with pytest.raises(ConfigError, match="2099-01-03"):
        load_settings(
            path=None,
            environ={},
            overrides={
                "calendar.extra_holidays": ["2099-01-03"],
                "calendar.extra_workdays": ["2099-01-03"],
            },
        )


def test_the_console_counts_on_the_configured_days(database_url, sessions) -> None:
    s = load_settings(
        path=None,
        environ={},
        overrides={"database.url": database_url, "calendar.extra_holidays": ["2099-01-02"]},
    )
    assert is_working_day(date(2099, 1, 2))
    create_app(s, sessions)
    assert not is_working_day(date(2099, 1, 2))


# --- Beijing time -------------------------------------------------------------------------


def test_times_are_shown_in_beijing() -> None:
    stored = datetime(2026, 9, 30, 16, 30)  # naive, as UTC comes back from SQLite
    assert format_beijing(stored) == "2026-10-01 00:30"
    assert format_beijing(stored.replace(tzinfo=UTC), "%m月%d日 %H:%M") == "10月01日 00:30"
