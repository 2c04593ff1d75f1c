"""The dashboard: its numbers on a seeded database, who may see it, the warning, escaping."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from forumbot.config import load_settings
from forumbot.review import stats
from forumbot.storage.models import (
    Classification,
    Department,
    DepartmentRequest,
    Draft,
    FollowUp,
)
from forumbot.web import create_app
from forumbot.web.users import add_user

PASSWORD = "correct horse battery"
SCRIPT_TITLE = "<script>alert(1)</script>物业不管"
# 12:00 in Shanghai on 15 June.
NOW = datetime(2024, 6, 15, 4, 0, tzinfo=UTC)
H = timedelta(hours=1)
D = timedelta(days=1)


def label(s, post, name, source="model"):
    s.add(Classification(post_id=post.id, label=name, source=source, confidence=0.9))
    s.flush()


def draft(s, post, state="published", *, now, published=None, kind="reply", style=None, age=H):
    row = Draft(
        post=post,
        text="感谢反馈，我们已安排工作人员处理。",
        state=state,
        kind=kind,
        style=style,
        created_by="system:drafting",
        created_at=now - age,
        published_at=published,
    )
    s.add(row)
    s.flush()
    return row


def seed(s, make_post, now):
    """Posts on several days, replies with known delays, department requests, promises."""
    # Labels by day: a reviewer's correction wins; a post at 01:00 Shanghai time is "today"
    # although it is still yesterday in UTC.
    corrected = make_post(s, 1, forum_created_at=now - H)
    label(s, corrected, "engineering")
    label(s, corrected, "sales", source="reviewer")
    after_midnight = make_post(s, 2, forum_created_at=datetime(2024, 6, 14, 17, 0, tzinfo=UTC))
    label(s, after_midnight, "inquiry")
    make_post(s, 3, forum_created_at=datetime(2024, 6, 14, 15, 0, tzinfo=UTC))  # unlabelled
    label(s, make_post(s, 4, forum_created_at=now - 20 * D), "sales")  # outside 14 days
    label(s, make_post(s, 5, forum_created_at=None, received_at=now - 2 * D), "service")

    # First replies 2 h, 10 h, 30 h and 50 h after the post.
    delays = {}
    for number, hours, style in ((11, 2, None), (12, 10, "redirect_private"), (13, 30, None)):
        post = make_post(s, number, forum_created_at=now - 3 * D)
        delays[number] = draft(s, post, now=now, published=now - 3 * D + hours * H, style=style)
    late = make_post(s, 14, forum_created_at=now - 5 * D)
    draft(s, late, now=now, published=now - 5 * D + 50 * H, style="specialist")
    # A second reply (a follow-up) does not count again.
    draft(s, s.get(Draft, delays[11].id).post, now=now, published=now - H, style="followup")
    # First answered 40 days ago: neither its first nor its later reply is in the window.
    old = make_post(s, 15, forum_created_at=now - 41 * D)
    draft(s, old, now=now, published=now - 40 * D, age=41 * D)
    draft(s, old, now=now, published=now - 2 * D, style="direct_answer")

    # Open and recent drafts by state; an old finished draft is left out, an old open one not.
    queue_post = make_post(s, 20, forum_created_at=now - D)
    draft(s, queue_post, "pending_approval", now=now)
    draft(s, queue_post, "pending_approval", now=now, age=40 * D)
    draft(s, queue_post, "approved", now=now)
    draft(s, queue_post, "rejected", now=now, age=40 * D)
    draft(s, queue_post, "pending_approval", now=now, kind="flag")

    # Department requests: on time, late, answered long ago, open and overdue, open not due.
    eng = s.scalar(select(Department).where(Department.code == "engineering"))
    if eng is None:  # the console's fixture made the departments already
        eng = Department(code="engineering", name="工程部", response_days=3)
        s.add(eng)
        s.flush()
    asked = draft(s, queue_post, "superseded", now=now)
    for due, answered, state in (
        (now - D, now - 2 * D, "answered"),
        (now - 3 * D, now - D, "answered"),
        (now - 40 * D, now - 39 * D, "answered"),
        (now - H, None, "open"),
        (now + D, None, "open"),
    ):
        s.add(
            DepartmentRequest(
                draft_id=asked.id,
                department_id=eng.id,
                due_at=due,
                answered_at=answered,
                state=state,
            )
        )

    # Promises: open and overdue, open not yet due, drafted but unpublished, kept, closed.
    promised = make_post(s, 30, topic_title=SCRIPT_TITLE, forum_created_at=now - 6 * D)
    source = draft(s, promised, now=now, published=now - 5 * D)
    pending_followup = draft(s, promised, "pending_approval", now=now, style="followup")
    published_followup = draft(s, promised, now=now, published=now - H, style="followup")
    for excerpt, due, state, followup_id in (
        ("3个工作日内上门查看", now - 2 * D - 3 * H, "open", None),
        ("下周一前答复", now + D, "open", None),
        ("本周五前回复", now - D, "drafted", pending_followup.id),
        ("两天内处理", now - D, "drafted", published_followup.id),
        ("月底前完成", now - 4 * D, "closed", None),
    ):
        s.add(
            FollowUp(
                draft_id=source.id,
                post_id=promised.id,
                promise=excerpt,
                excerpt=excerpt,
                due_at=due,
                state=state,
                followup_draft_id=followup_id,
                created_at=now - 5 * D,
            )
        )
    s.flush()
    return {"source": source.id, "pending_followup": pending_followup.id}


@pytest.fixture
def seeded(sessions, make_post):
    with sessions() as s:
        ids = seed(s, make_post, NOW)
        s.commit()
    return ids


def test_posts_by_label_and_local_day(sessions, seeded):
    with sessions() as s:
        by_day = stats.posts_by_label_and_day(s, NOW)
    assert len(by_day.days) == 14 and by_day.days[-1].isoformat() == "2024-06-15"
    today, yesterday, two_days_ago = 13, 12, 11
    assert by_day.counts["sales"][today] == 1  # the reviewer's label, not "engineering"
    assert "engineering" not in by_day.counts
    assert by_day.counts["inquiry"][today] == 1  # 01:00 Shanghai, 17:00 UTC the day before
    assert by_day.counts["unlabelled"][yesterday] == 2  # 23:00 Shanghai, and the queue's post
    assert by_day.counts["service"][two_days_ago] == 1  # no forum time: when intake saw it
    assert by_day.labels[-1] == "unlabelled"
    assert by_day.day_total(today) == 2 and sum(by_day.counts["sales"]) == 1  # not 20 days ago
    assert by_day.total == 10  # every seeded post but the two older than 14 days


def test_drafts_by_state_keeps_flags_apart(sessions, seeded):
    with sessions() as s:
        drafts = stats.drafts_by_state(s, NOW)
    assert drafts.replies["pending_approval"] == 3  # the old open one and the follow-up count
    assert drafts.replies["approved"] == 1
    assert drafts.replies["rejected"] == 0  # finished 40 days ago
    assert drafts.flags["pending_approval"] == 1 and sum(drafts.flags.values()) == 1


def test_response_times_of_first_replies(sessions, seeded):
    with sessions() as s:
        times = stats.response_times(s, NOW)
    # Posts 11-14 and the promise's post (first reply after 1 day); post 15 was first
    # answered 40 days ago.
    assert times.replies == 5
    assert times.within_target == 3  # 2 h, 10 h, 24 h
    assert times.median == 24 * H
    assert times.p90 == 50 * H
    assert times.share_within == pytest.approx(0.6)


def test_department_requests_on_time_late_and_overdue(sessions, seeded):
    with sessions() as s:
        (eng,) = stats.department_times(s, NOW)
    assert (eng.name, eng.response_days) == ("工程部", 3)
    assert (eng.on_time, eng.late, eng.open_overdue) == (1, 1, 1)
    assert eng.share_on_time == pytest.approx(0.5)


def test_overdue_promises(sessions, seeded):
    with sessions() as s:
        promises = stats.overdue_promises(s, NOW)
    assert promises.total == 2
    first, second = promises.shown
    assert first.excerpt == "3个工作日内上门查看" and first.followup_draft_id is None
    assert first.overdue == 2 * D + 3 * H and first.topic_title == SCRIPT_TITLE
    assert second.followup_draft_id == seeded["pending_followup"]
    assert second.followup_state == "pending_approval"


def test_redirect_private_share(sessions, seeded):
    with sessions() as s:
        share = stats.redirect_private_share(s, NOW)
    # Published in the last 30 days: 4 first replies, 1 follow-up, post 15's second reply,
    # the promise's reply and its published follow-up; one of them went private.
    assert (share.redirect_private, share.published) == (1, 8)
    assert share.above(0.1) and not share.above(0.15)


def test_empty_database(sessions):
    with sessions() as s:
        assert stats.response_times(s, NOW).median is None
        assert stats.redirect_private_share(s, NOW).share is None
        assert not stats.redirect_private_share(s, NOW).above(0.0)
        assert stats.posts_by_label_and_day(s, NOW).total == 0
        assert stats.overdue_promises(s, NOW).total == 0


# --- the page --------------------------------------------------------------------------------


def console_app(settings, sessions, make_post, warn_share):
    console = load_settings(
        path=None,
        environ={**settings.secrets, "FORUMBOT_SECRET_KEY": "test-secret-key-0123456789"},
        overrides={
            "database.url": settings["database.url"],
            "console.redirect_private_warn_share": warn_share,
        },
    )
    with sessions() as s:
        add_user(s, "kefu", PASSWORD, "agent")
        add_user(s, "guanli", PASSWORD, "admin")
        add_user(s, "gongcheng", PASSWORD, "specialist", "engineering")
        add_user(s, "banzhu", PASSWORD, "moderator")
        seed(s, make_post, datetime.now(UTC))
        s.commit()
    app = create_app(console, sessions)
    app.config["TESTING"] = True
    return app


def login(app, name):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    client.post("/login", data={"username": name, "password": PASSWORD, "csrf_token": csrf})
    return client


@pytest.fixture
def app(settings, sessions, make_post):
    return console_app(settings, sessions, make_post, 0.1)


@pytest.mark.parametrize(("user", "status"), [("kefu", 200), ("guanli", 200)])
def test_agents_and_admins_see_the_dashboard(app, user, status):
    response = login(app, user).get("/dashboard")
    assert response.status_code == status
    html = response.get_data(as_text=True)
    assert "数据看板" in html and 'id="posts-by-day"' in html and 'id="drafts-by-state"' in html
    assert "24 小时内" in html  # the target next to the figures


@pytest.mark.parametrize("user", ["gongcheng", "banzhu"])
def test_specialists_and_moderators_are_refused(app, user):
    assert login(app, user).get("/dashboard").status_code == 403


def test_signed_out_goes_to_login(app):
    response = app.test_client().get("/dashboard")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_tables_carry_the_numbers(app):
    html = login(app, "kefu").get("/dashboard").get_data(as_text=True)
    drafts = re.search(r'<table id="drafts-table">.*?</table>', html, re.S).group(0)
    row = re.search(r'data-state="approved">.*?</tr>', drafts, re.S).group(0)
    assert '<td class="num replies">1</td>' in row
    assert re.search(r'id="replies-count">5<', html)
    departments = re.search(r'data-department="engineering">.*?</tr>', html, re.S).group(0)
    assert '<td class="num on-time">1</td>' in departments
    assert "3 个工作日内" in departments


def test_warning_above_threshold(app):
    html = login(app, "kefu").get("/dashboard").get_data(as_text=True)
    assert 'id="redirect-warning"' in html and 'class="warning"' in html
    assert "有 1 条，共 8 条" in html


def test_no_warning_at_or_below_threshold(settings, sessions, make_post):
    app = console_app(settings, sessions, make_post, 0.15)
    html = login(app, "kefu").get("/dashboard").get_data(as_text=True)
    assert 'id="redirect-warning"' not in html


def test_overdue_promise_is_listed_escaped_with_its_draft(app, sessions):
    html = login(app, "kefu").get("/dashboard").get_data(as_text=True)
    listing = re.search(r'<table id="overdue-promises">.*?</table>', html, re.S).group(0)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;物业不管" in listing
    assert "3个工作日内上门查看" in listing and "本周五前回复" in listing
    assert "两天内处理" not in listing and "下周一前答复" not in listing
    with sessions() as s:
        followup = s.scalar(select(FollowUp).where(FollowUp.state == "drafted"))
        assert f'href="/drafts/{followup.followup_draft_id}"' in listing
    assert "2 天 3 小时" in listing


def test_page_charts_are_wellformed_svg(app):
    html = login(app, "kefu").get("/dashboard").get_data(as_text=True)
    svgs = re.findall(r"<svg .*?</svg>", html, re.S)
    assert len(svgs) == 2
    titles = [ET.fromstring(svg).find("{http://www.w3.org/2000/svg}title").text for svg in svgs]
    assert titles == ["近 14 天每日帖子数（按分类）", "回复草稿按状态"]
