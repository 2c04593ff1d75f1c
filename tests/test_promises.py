"""Promises with a time in a reply, and when a follow-up on each falls due.

The week of 11 November 2024 (Monday) to 17 November (Sunday) has no public holiday, so
every weekday in it is a working day unless a test says otherwise.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from forumbot import workcalendar
from forumbot.drafting.promises import Promise, extract_promises

SH = ZoneInfo("Asia/Shanghai")


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=SH)


WED = local(2024, 11, 13, 10, 0)
FRI = local(2024, 11, 15, 17, 0)
SAT = local(2024, 11, 16, 9, 0)
SUN = local(2024, 11, 17, 20, 0)


def dues(text: str, now: datetime, **kwargs) -> list[datetime]:
    return [p.due for p in extract_promises(text, now, **kwargs)]


def excerpts(text: str, now: datetime = WED) -> list[str]:
    return [p.excerpt for p in extract_promises(text, now)]


# --- the promise itself -------------------------------------------------------------------


def test_a_promise_carries_its_phrase_span_sentence_and_due_time_in_utc() -> None:
    text = "王先生您好，感谢您的反馈。工程部将于三个工作日内上门查看，请您保持电话畅通。"
    [promise] = extract_promises(text, WED)
    assert promise == Promise(
        excerpt="三个工作日内",
        span=(18, 24),
        due=local(2024, 11, 18, 18, 0),
        sentence="工程部将于三个工作日内上门查看，请您保持电话畅通。",
    )
    assert text[slice(*promise.span)] == "三个工作日内"
    assert promise.due.tzinfo is UTC
    assert promise.due == datetime(2024, 11, 18, 10, 0, tzinfo=UTC)


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        extract_promises("三个工作日内", datetime(2024, 11, 13, 10, 0))


def test_now_in_utc_is_read_in_company_time() -> None:
    # 20:00 UTC on Wednesday is already 04:00 on Thursday in Shanghai.
    late = datetime(2024, 11, 13, 20, 0, tzinfo=UTC)
    assert dues("明天上午", late) == [local(2024, 11, 15, 12, 0)]
    assert dues("明天上午", late, tz=ZoneInfo("Europe/London")) == [
        datetime(2024, 11, 14, 12, 0, tzinfo=ZoneInfo("Europe/London"))
    ]


# --- working days -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "now", "due"),
    [
        ("工程部将在3个工作日内上门查看", WED, local(2024, 11, 18, 18)),
        ("我们会在1个工作日内回电", WED, local(2024, 11, 14, 18)),
        ("五个工作日内给您书面答复", WED, local(2024, 11, 20, 18)),
        ("两个工作日内", FRI, local(2024, 11, 19, 18)),
        ("1个工作日内", FRI, local(2024, 11, 18, 18)),
        ("1个工作日内", SAT, local(2024, 11, 18, 18)),
        ("3个工作日内", SUN, local(2024, 11, 20, 18)),
        ("十个工作日以内", WED, local(2024, 11, 27, 18)),
        ("十五个工作日之内", WED, local(2024, 12, 4, 18)),
        ("二十个工作日内", WED, local(2024, 12, 11, 18)),
        ("3 个工作日内", WED, local(2024, 11, 18, 18)),
        ("３个工作日内", WED, local(2024, 11, 18, 18)),  # full-width digit
        ("3至5个工作日内", WED, local(2024, 11, 20, 18)),  # a range: its far end
        ("两三个工作日内", WED, local(2024, 11, 18, 18)),
    ],
)
def test_working_days_end_at_six_on_the_last_working_day(
    text: str, now: datetime, due: datetime
) -> None:
    assert dues(text, now) == [due]


def test_working_days_skip_public_holidays() -> None:
    # New Year's Day 2025 is a Wednesday; China's calendar (forumbot.workcalendar) knows it.
    monday = local(2024, 12, 30, 10, 0)
    assert dues("三个工作日内", monday) == [local(2025, 1, 3, 18)]


def test_working_days_skip_the_centres_configured_days_off() -> None:
    workcalendar.configure(extra_holidays=[date(2024, 11, 14)])
    try:
        assert dues("1个工作日内", WED) == [local(2024, 11, 15, 18)]
    finally:
        workcalendar.configure()


# --- hours and calendar days --------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "now", "due"),
    [
        ("24小时内", WED, local(2024, 11, 14, 10, 0)),
        ("48小时内", WED, local(2024, 11, 15, 10, 0)),
        ("客服专员会在24小时之内联系您", FRI, local(2024, 11, 16, 17, 0)),
        ("两个小时内", WED, local(2024, 11, 13, 12, 0)),
        ("半小时内", WED, local(2024, 11, 13, 10, 30)),
        ("一个半小时内", WED, local(2024, 11, 13, 11, 30)),
        ("30分钟内", WED, local(2024, 11, 13, 10, 30)),
        ("7天内", WED, local(2024, 11, 20, 18)),
        ("三天内", SAT, local(2024, 11, 19, 18)),
        ("十五天以内", WED, local(2024, 11, 28, 18)),
        ("15日内", WED, local(2024, 11, 28, 18)),
        ("两三天内", WED, local(2024, 11, 16, 18)),
        ("一周内", WED, local(2024, 11, 20, 18)),
        ("两周内", WED, local(2024, 11, 27, 18)),
        ("两个星期内", FRI, local(2024, 11, 29, 18)),
        ("一个月内", WED, local(2024, 12, 13, 18)),
        ("半个月内", WED, local(2024, 11, 28, 18)),
    ],
)
def test_hours_from_now_and_calendar_days_to_the_end_of_the_day(
    text: str, now: datetime, due: datetime
) -> None:
    assert dues(text, now) == [due]


# --- today, tomorrow ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "now", "due"),
    [
        ("我们会在今天下班前给您回电", WED, local(2024, 11, 13, 18)),
        ("今天下班前", FRI, local(2024, 11, 15, 18)),
        ("下班前给您答复", WED, local(2024, 11, 13, 18)),
        ("今天之内", WED, local(2024, 11, 13, 18)),
        ("今天下午5点前", WED, local(2024, 11, 13, 17)),
        ("明天下午", WED, local(2024, 11, 14, 18)),
        ("明天下午", FRI, local(2024, 11, 16, 18)),
        ("明天上午师傅上门", WED, local(2024, 11, 14, 12)),
        ("明天", SUN, local(2024, 11, 18, 18)),
        ("明天中午前", WED, local(2024, 11, 14, 12)),
        ("明天下午3点前", WED, local(2024, 11, 14, 15)),
        ("明天上午10点半前", WED, local(2024, 11, 14, 10, 30)),
        ("明天15:00前", WED, local(2024, 11, 14, 15)),
        ("明晚8点前", WED, local(2024, 11, 14, 20)),
        ("后天上午", WED, local(2024, 11, 15, 12)),
        ("我们会在下午3点前回电", WED, local(2024, 11, 13, 15)),
    ],
)
def test_today_and_tomorrow(text: str, now: datetime, due: datetime) -> None:
    assert dues(text, now) == [due]


# --- weeks --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "now", "due"),
    [
        ("我们将在本周五前完成复查并告知您结果", WED, local(2024, 11, 15, 18)),
        ("本周五前", FRI, local(2024, 11, 15, 18)),  # said on Friday: today
        ("本周五前", SAT, local(2024, 11, 22, 18)),  # the Friday just gone cannot be meant
        ("本周五前", SUN, local(2024, 11, 22, 18)),
        ("这周四之前", WED, local(2024, 11, 14, 18)),
        ("周五前给您答复", WED, local(2024, 11, 15, 18)),
        ("星期五以前", WED, local(2024, 11, 15, 18)),
        ("本周内", WED, local(2024, 11, 15, 18)),
        ("周末前", WED, local(2024, 11, 15, 18)),
        ("下周一安排上门", WED, local(2024, 11, 18, 18)),
        ("下周一", FRI, local(2024, 11, 18, 18)),
        ("下周一", SUN, local(2024, 11, 18, 18)),  # Sunday ends the week
        ("下周三上午", WED, local(2024, 11, 20, 12)),
        ("下星期二", SAT, local(2024, 11, 19, 18)),
        ("下个礼拜五前", WED, local(2024, 11, 22, 18)),
        ("下周内", WED, local(2024, 11, 22, 18)),
        ("工程部将于周四上门", WED, local(2024, 11, 14, 18)),
    ],
)
def test_weekdays(text: str, now: datetime, due: datetime) -> None:
    assert dues(text, now) == [due]


# --- dates and month ends -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "now", "due"),
    [
        ("11月20日前", WED, local(2024, 11, 20, 18)),
        ("11月20号之前", WED, local(2024, 11, 20, 18)),
        ("十一月二十日前", WED, local(2024, 11, 20, 18)),
        ("11月20日下午3点前", WED, local(2024, 11, 20, 15)),
        ("工程部将于11月20日上门查看", WED, local(2024, 11, 20, 18)),
        ("不晚于12月5日给您书面答复", WED, local(2024, 12, 5, 18)),
        ("2025年3月1日前", WED, local(2025, 3, 1, 18)),
        ("11月10日前", WED, local(2024, 11, 10, 18)),  # just gone: this year, already late
        ("9月20日前", WED, local(2024, 9, 20, 18)),  # under two months ago: still this year
        ("3月1日前", WED, local(2025, 3, 1, 18)),  # long gone this year: next year's
        ("1月10日前", local(2024, 12, 20, 9), local(2025, 1, 10, 18)),
        ("12月25日前", local(2025, 1, 3, 9), local(2024, 12, 25, 18)),  # just before New Year
        ("20号前", WED, local(2024, 11, 20, 18)),
        ("5号之前", WED, local(2024, 12, 5, 18)),
        ("月底前", WED, local(2024, 11, 30, 18)),
        ("本月底之前", local(2024, 2, 5, 9), local(2024, 2, 29, 18)),
        ("本月内", WED, local(2024, 11, 30, 18)),
        ("下个月底前", WED, local(2024, 12, 31, 18)),
        ("12月底前", WED, local(2024, 12, 31, 18)),
        ("年底前", WED, local(2024, 12, 31, 18)),
    ],
)
def test_dates(text: str, now: datetime, due: datetime) -> None:
    assert dues(text, now) == [due]


def test_impossible_dates_are_not_promises() -> None:
    assert extract_promises("2月30日前", WED) == []
    assert extract_promises("13月1日前", WED) == []


# --- traditional characters ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "excerpt", "due"),
    [
        ("工程部將於三個工作日內上門查看", "三個工作日內", local(2024, 11, 18, 18)),
        ("本週五前", "本週五前", local(2024, 11, 15, 18)),
        ("明天下午", "明天下午", local(2024, 11, 14, 18)),
        ("兩週內", "兩週內", local(2024, 11, 27, 18)),
        ("下週一上午10點前", "下週一上午10點前", local(2024, 11, 18, 10)),
        ("我們會在11月20號之前回覆", "11月20號之前", local(2024, 11, 20, 18)),
        ("24小時內", "24小時內", local(2024, 11, 14, 10)),
    ],
)
def test_traditional_characters(text: str, excerpt: str, due: datetime) -> None:
    [promise] = extract_promises(text, WED)
    assert (promise.excerpt, promise.due) == (excerpt, due)


# --- several in one reply -----------------------------------------------------------------


def test_each_promise_in_a_reply_comes_back_in_order() -> None:
    text = (
        "您好，针对您反映的渗水问题，工程部将于三个工作日内上门查看；"
        "物业管家会在明天上午联系您确认时间。维修完成后，我们将在两周内回访。"
    )
    promises = extract_promises(text, WED)
    assert [p.excerpt for p in promises] == ["三个工作日内", "明天上午", "两周内"]
    assert [p.due for p in promises] == [
        local(2024, 11, 18, 18),
        local(2024, 11, 14, 12),
        local(2024, 11, 27, 18),
    ]
    assert [p.sentence for p in promises] == [
        "您好，针对您反映的渗水问题，工程部将于三个工作日内上门查看；",
        "物业管家会在明天上午联系您确认时间。",
        "维修完成后，我们将在两周内回访。",
    ]
    assert [p.span[0] for p in promises] == sorted(p.span[0] for p in promises)


def test_a_long_phrase_is_one_promise_not_several() -> None:
    assert excerpts("明天下午3点前给您回电") == ["明天下午3点前"]
    assert excerpts("下周一上午10:30前") == ["下周一上午10:30前"]


# --- what is not a promise with a time ----------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "我们会尽快处理",
        "已反馈相关部门，会尽快给您答复。",
        "",
    ],
)
def test_no_time_no_promise(text: str) -> None:
    assert extract_promises(text, WED) == []


@pytest.mark.parametrize(
    "text",
    [
        "您3天前反映的问题我们已经收到",
        "您3日前反映的问题",
        "三个工作日前已完成维修",
        "48小时前",
        "一周前您来电反映",
        "上周五已安排师傅上门",
        "上个月底已经处理完毕",
        "您于11月8日反映的问题已转工程部",
        "已于11月20日前完成",
        "您周五前反映的问题",
        "您今天上午反映的问题",
        "您明天下午在家吗？",
        "去年底交付的房子",
    ],
)
def test_times_that_look_back_are_not_promises(text: str) -> None:
    assert extract_promises(text, WED) == []


@pytest.mark.parametrize(
    "text",
    [
        "请您在11月20日前提交材料",
        "请在3个工作日内提供照片",
        "麻烦您明天上午在家等候",
    ],
)
def test_deadlines_set_for_the_owner_are_not_our_promises(text: str) -> None:
    assert extract_promises(text, WED) == []


@pytest.mark.parametrize(
    "text",
    [
        "服务时间：周一至周五 9:00-18:00",
        "每周五上午巡查一次",
        "3号楼前的路灯已修好",
        "雨停之后天晴了",
        "师傅周五上门",  # a bare weekday needs a word of intent
        "11月20日物业召开了业主大会",
    ],
)
def test_times_that_promise_nothing(text: str) -> None:
    assert extract_promises(text, WED) == []


def test_times_quoted_from_the_owner_are_not_our_promises() -> None:
    text = (
        '[quote="owner, post:1, topic:7"]\n工程的人说15个工作日内整改完。\n[/quote]\n'
        "非常抱歉让您久等了。工程部将在２个工作日内上门处理。"
    )
    [promise] = extract_promises(text, WED)
    assert promise.excerpt == "２个工作日内"
    assert promise.due == local(2024, 11, 15, 18)
    assert promise.sentence == "工程部将在２个工作日内上门处理。"
    assert extract_promises("> 说好3个工作日内回电\n\n抱歉，我们会尽快核实。", WED) == []
