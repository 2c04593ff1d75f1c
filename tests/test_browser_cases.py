"""The case page as an agent works it, in a real headless Chromium at 1366×768: the draft and
its approve and reject buttons are on the first screen however long the thread, the reply
box fits its text, the keyboard approves and moves on, and the claim is taken at the first
keystroke, not on opening."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from test_browser import browser, console, log_in  # noqa: F401  (fixtures)

from forumbot.cases.jobs import DraftingJob
from forumbot.drafting.engine import Drafter
from forumbot.storage.models import Case, Classification, Draft

NEIGHBOURS = ["li_na", "zhao_gang", "ma_li", "sun_lei", "he_ping", "wu_fang", "qian_jun"]


def _labelled(s, make_post, forum_post_id: int, label: str, **fields):  # type: ignore[no-untyped-def]
    post = make_post(s, forum_post_id, **fields)
    s.add(Classification(post_id=post.id, label=label, source="model", confidence=0.9))
    post.stage = "labelled"
    return post


@pytest.fixture
def two_cases(console, sessions, make_post):  # noqa: F811
    """A long thread (a complaint and many neighbours' +1) and a second topic's complaint."""
    with sessions() as s:
        _labelled(
            s,
            make_post,
            7001,
            "service",
            topic_id=401,
            username="lin_xiaoyu",
            topic_title="物业客服电话打不通",
            raw="物业客服电话一直打不通，打了一上午都没人接，有事根本找不到人。" * 6,
        )
        for n, name in enumerate(NEIGHBOURS * 2, start=2):
            _labelled(
                s,
                make_post,
                7000 + n,
                "empty",
                topic_id=401,
                post_number=n,
                username=name,
                raw="同问，我家也打不通" if n % 2 else "+1",
            )
        _labelled(
            s,
            make_post,
            7101,
            "service",
            topic_id=402,
            username="chen_hao",
            topic_title="前台态度差",
            raw="今天去小区客服中心办门禁卡，前台一直在玩手机，问三遍才理人，态度太差了",
        )
        s.commit()
    for _ in range(3):
        DraftingJob(sessions, Drafter()).run_once()
    with sessions() as s:
        cases = {c.topic_id: c.id for c in s.scalars(select(Case))}
        replies = {
            c: s.scalars(
                select(Draft.id).where(Draft.case_id == c, Draft.state == "pending_approval")
            ).one()
            for c in cases.values()
        }
    return cases, replies


def _in_first_screen(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    height = page.evaluate("window.innerHeight")
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_the_draft_and_its_buttons_fit_the_first_screen(browser, console, two_cases):  # noqa: F811
    cases, _replies = two_cases
    page = log_in(browser, console, "kefu")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{console.url}/cases/{cases[401]}")
    page.wait_for_selector("#draft-text")
    assert page.evaluate("window.scrollY") == 0
    for selector in (
        "#draft-text",
        "#approve-form button[type=submit]",
        "#approve-next",
        "#reject-form",
    ):
        assert _in_first_screen(page, selector), f"{selector} is below the fold at 1366×768"
    # the reply box shows its whole text without an inner scroll bar
    scroll, client = page.evaluate(
        "(() => { const t = document.querySelector('#draft-text');"
        " return [t.scrollHeight, t.clientHeight]; })()"
    )
    assert scroll <= client + 2, f"the reply box hides {scroll - client}px of its text"
    # the thread is all there, with the neighbours as supporters
    assert page.locator(".story .post").count() >= 1 + 2 * len(NEIGHBOURS)
    assert page.locator("#supporters + ul li").count() == len(NEIGHBOURS)
    assert "北京时间" in page.inner_text("body")
    page.close()


def test_keys_approve_and_open_the_next_case(browser, console, sessions, two_cases):  # noqa: F811
    cases, replies = two_cases
    page = log_in(browser, console, "kefu")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{console.url}/queue")
    first = page.locator("a[href*='/cases/']").first.get_attribute("href")
    page.goto(console.url + first)
    page.wait_for_selector("#draft-text")
    shown = int(first.rstrip("/").rsplit("/", 1)[-1])
    other = next(c for c in cases.values() if c != shown)

    page.keyboard.press("a")  # approve and next
    page.wait_for_url(f"**/cases/{other}**")
    with sessions() as s:
        assert s.get(Draft, replies_of(replies, shown)).state == "approved"
        assert s.get(Draft, replies_of(replies, other)).state == "pending_approval"
    page.close()


def replies_of(replies: dict[int, int], case_id: int) -> int:
    return replies[case_id]


def test_typing_in_the_reply_box_claims_the_draft_but_opening_does_not(
    browser,  # noqa: F811
    console,  # noqa: F811
    sessions,
    two_cases,
):
    cases, replies = two_cases
    draft_id = replies[cases[402]]
    page = log_in(browser, console, "kefu")
    page.set_viewport_size({"width": 1366, "height": 768})
    page.goto(f"{console.url}/cases/{cases[402]}")
    page.wait_for_selector("#draft-text")
    with sessions() as s:
        assert s.get(Draft, draft_id).claimed_by is None  # looking is not taking
    page.keyboard.press("e")  # into the reply box
    page.keyboard.type("补充")
    page.wait_for_function("document.querySelector('#draft-text').value.includes('补充')")
    for _ in range(50):
        with sessions() as s:
            if s.get(Draft, draft_id).claimed_by == "kefu":
                break
        page.wait_for_timeout(100)
    with sessions() as s:
        assert s.get(Draft, draft_id).claimed_by == "kefu"
    # "a" typed in the box is text, not an approval
    page.keyboard.type("a")
    with sessions() as s:
        assert s.get(Draft, draft_id).state == "pending_approval"
    page.close()
