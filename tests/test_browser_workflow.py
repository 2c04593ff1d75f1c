"""Workflow pages in a real headless Chromium: one long unbroken string in a post, a reason or
a note never makes the page wider than the window; a moderator's approval lands on the
moderation page, not on a 403."""

from __future__ import annotations

from sqlalchemy import select
from test_browser import browser, console, log_in  # noqa: F401  (fixtures)

from forumbot.cases import drafts
from forumbot.cases.drafts import DraftRef
from forumbot.cases.jobs import DraftingJob
from forumbot.drafting.engine import Drafter
from forumbot.review.limits import LIMITS
from forumbot.storage.models import Classification, DepartmentRequest, Draft

UNBROKEN = "https://example.com/" + "a" * 3000


def page_width(page) -> tuple[int, int]:
    return page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")


def test_long_unbroken_text_does_not_widen_the_draft_page(browser, console, sessions, make_post):  # noqa: F811
    with sessions() as s:
        post = make_post(s, 5001, raw=UNBROKEN, topic_id=95, topic_title="长链接")
        draft = drafts.write_draft(s, post, "感谢反馈，我们已安排专人核实。", actor="李娜")
        drafts.reject(s, DraftRef(draft.id), actor="李娜", reason="b" * LIMITS["reject_reason"].max)
        s.commit()
        draft_id = draft.id
    page = log_in(browser, console, "kefu")
    page.set_viewport_size({"width": 1200, "height": 800})
    page.goto(f"{console.url}/drafts/{draft_id}")
    page.wait_for_selector("#history")
    scroll, window = page_width(page)
    assert scroll <= window, f"the page is {scroll}px wide in a {window}px window"
    page.close()


def test_long_note_and_post_do_not_widen_the_request_page(browser, console, sessions, make_post):  # noqa: F811
    with sessions() as s:
        leak = make_post(s, 5002, raw="12栋漏水" + "c" * 3000, topic_id=96)
        s.add(Classification(post_id=leak.id, label="engineering", source="model", confidence=0.9))
        leak.stage = "labelled"
        s.commit()
    DraftingJob(sessions, Drafter()).run_once()
    with sessions() as s:
        row = s.scalars(select(DepartmentRequest)).one()
        row.note = "d" * LIMITS["department_note"].max
        s.commit()
        request_id = row.id
    page = log_in(browser, console, "gongcheng")
    page.set_viewport_size({"width": 1200, "height": 800})
    page.goto(f"{console.url}/department")
    scroll, window = page_width(page)
    assert scroll <= window, f"the list is {scroll}px wide in a {window}px window"
    page.goto(f"{console.url}/department/requests/{request_id}")
    page.wait_for_selector("#request-note")
    scroll, window = page_width(page)
    assert scroll <= window, f"the request is {scroll}px wide in a {window}px window"
    page.close()


def test_moderator_approval_lands_on_the_moderation_page(browser, console, sessions, make_post):  # noqa: F811
    with sessions() as s:
        abuse = make_post(s, 5003, raw="垃圾公司，一群骗子！！！", topic_id=97)
        s.add(Classification(post_id=abuse.id, label="abuse", source="model", confidence=0.9))
        abuse.stage = "labelled"
        s.commit()
    DraftingJob(sessions, Drafter()).run_once()
    with sessions() as s:
        flag = s.scalars(select(Draft.id).where(Draft.kind == "flag")).one()
    page = log_in(browser, console, "banzhu")
    page.goto(f"{console.url}/drafts/{flag}")
    page.click("#approve-form button[type=submit]")
    page.wait_for_selector(".flash-ok")
    assert page.url.endswith("/moderation") and page.locator("#proposals").count() == 1
    page.close()
