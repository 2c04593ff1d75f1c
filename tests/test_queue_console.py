"""The agents' queue in the console: filters, time left, who is on a draft, and the actions
that redo a draft (relabel, restyle, send to a department)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from test_console import PASSWORD, login, token

from forumbot.cases.jobs import DraftingJob
from forumbot.config import load_settings
from forumbot.drafting.engine import Drafter
from forumbot.storage.models import Classification, DepartmentRequest, Draft, utcnow
from forumbot.web import create_app
from forumbot.web.users import add_user


@pytest.fixture
def app(settings, sessions, make_post):
    """Three posts drafted by the pipeline: a leak (engineering, specialist), a question the
    knowledge base knows (inquiry), a service complaint, posted at different times."""
    console = load_settings(
        path=None,
        environ={**settings.secrets, "FORUMBOT_SECRET_KEY": "test-secret-key-0123456789"},
        overrides={"database.url": settings["database.url"]},
    )
    now = utcnow()
    posts = (
        (3001, "12栋1502卫生间渗水到楼下了，报修两次没人来", "engineering", 0.91, 30),
        (3002, "请问物业费是按建筑面积还是套内面积算的？", "inquiry", 0.55, 2),
        (3003, "客服电话一直打不通，投诉了也没人回", "service", 0.83, 10),
    )
    with sessions() as s:
        add_user(s, "kefu", PASSWORD, "agent")
        add_user(s, "xiaowang", PASSWORD, "agent")
        for forum_id, raw, label, confidence, hours_ago in posts:
            post = make_post(
                s,
                forum_id,
                raw=raw,
                topic_id=forum_id,
                topic_title=raw[:8],
                forum_created_at=now - timedelta(hours=hours_ago),
            )
            s.add(
                Classification(
                    post_id=post.id,
                    label=label,
                    source="model",
                    confidence=confidence,
                    needs_review=confidence < 0.6,
                    alternatives='[{"label": "property_management", "confidence": 0.31}]',
                )
            )
            post.stage = "labelled"
        s.commit()
    DraftingJob(sessions, Drafter()).run_once()
    flask_app = create_app(console, sessions)
    flask_app.config["TESTING"] = True
    return flask_app


def drafts(sessions, **where) -> list[Draft]:
    with sessions() as s:
        query = select(Draft).order_by(Draft.id)
        for key, value in where.items():
            query = query.where(getattr(Draft, key) == value)
        return list(s.scalars(query))


def rows(html: str) -> list[str]:
    """The draft ids listed on a queue page, in order."""
    import re

    return re.findall(r'data-draft="(\d+)"', html)


def test_queue_sorts_by_time_left_and_shows_overdue(app, sessions):
    client = app.test_client()
    login(client)
    html = client.get("/queue").get_data(as_text=True)
    pending = drafts(sessions, state="pending_approval")
    by_due = [str(d.id) for d in sorted(pending, key=lambda d: d.due_at)]
    assert rows(html) == by_due
    assert "已超时" in html  # the leak was posted 30 hours ago: past the 24-hour target
    assert "还剩" in html


def test_queue_filters_by_label_department_style_and_age(app, sessions):
    client = app.test_client()
    login(client)
    inquiry = [str(d.id) for d in drafts(sessions, state="pending_approval", label="inquiry")]
    assert inquiry and rows(client.get("/queue?label=inquiry").get_data(as_text=True)) == inquiry
    waiting = client.get("/queue?state=awaiting_specialist&department=engineering")
    assert len(rows(waiting.get_data(as_text=True))) == 1
    assert rows(client.get("/queue?department=sales").get_data(as_text=True)) == []
    overdue = rows(client.get("/queue?age=overdue").get_data(as_text=True))
    holding = drafts(sessions, style="holding")
    assert overdue == [str(holding[0].id)]  # only the leak's holding reply is past due
    # junk in the query string is ignored, not an error
    assert client.get("/queue?label=<script>&sort=x&page=-3&age=9").status_code == 200


def test_confidence_and_alternatives_are_shown(app, sessions):
    client = app.test_client()
    login(client)
    draft = drafts(sessions, label="inquiry")[0]
    html = client.get(f"/drafts/{draft.id}").get_data(as_text=True)
    assert "置信度 0.55" in html and "需复核" in html
    assert "其他可能" in html and "物业管理 0.31" in html


def test_second_agent_sees_who_is_on_it_and_stale_approval_is_refused(app, sessions):
    first, second = app.test_client(), app.test_client()
    login(first)
    login(second, "xiaowang")
    draft = drafts(sessions, label="service")[0]
    page_one = first.get(f"/drafts/{draft.id}").get_data(as_text=True)
    assert "claim-notice" not in page_one
    # Opening the page is not editing: the second agent sees nobody on it yet.
    assert 'id="claim-notice"' not in second.get(f"/drafts/{draft.id}").get_data(as_text=True)
    # The first agent starts typing: the page sends the claim (as its script does).
    claimed = first.post(f"/drafts/{draft.id}/claim", headers={"X-CSRFToken": token(page_one)})
    assert claimed.get_json() == {"claimed": True}
    page_two = second.get(f"/drafts/{draft.id}").get_data(as_text=True)
    assert "kefu 在" in page_two and "可能正在处理" in page_two
    assert "kefu 正在处理" in second.get("/queue").get_data(as_text=True)
    assert drafts(sessions, id=draft.id)[0].revision == draft.revision  # opening changes nothing
    edited = draft.text + "我们会尽快回复您。"
    first.post(
        f"/drafts/{draft.id}/approve",
        data={
            "csrf_token": token(page_one),
            "revision": draft.revision,
            "text": edited,
            "confirmed": "1",
        },
    )
    late = second.post(
        f"/drafts/{draft.id}/approve",
        data={"csrf_token": token(page_two), "revision": draft.revision},
        follow_redirects=True,
    )
    assert "已被他人修改" in late.get_data(as_text=True)
    assert drafts(sessions, id=draft.id)[0].approved_by == "kefu"


def test_relabel_records_a_correction_and_redrafts(app, sessions):
    client = app.test_client()
    login(client)
    draft = drafts(sessions, label="service")[0]
    page = client.get(f"/drafts/{draft.id}").get_data(as_text=True)
    response = client.post(
        f"/drafts/{draft.id}/relabel",
        data={"csrf_token": token(page), "label": "property_management", "reason": "物业客服"},
    )
    new = drafts(sessions, label="property_management")
    assert new and response.location.endswith(f"/drafts/{new[0].id}")
    assert drafts(sessions, id=draft.id)[0].state == "superseded"
    with sessions() as s:
        correction = s.scalars(select(Classification).where(Classification.source == "reviewer"))
        assert [(c.label, c.created_by) for c in correction] == [("property_management", "kefu")]


def test_restyle_redoes_the_draft(app, sessions):
    client = app.test_client()
    login(client)
    draft = drafts(sessions, label="service")[0]
    page = client.get(f"/drafts/{draft.id}").get_data(as_text=True)
    client.post(
        f"/drafts/{draft.id}/restyle",
        data={"csrf_token": token(page), "revision": draft.revision, "style": "redirect_private"},
    )
    assert drafts(sessions, id=draft.id)[0].state == "superseded"
    assert drafts(sessions, style="redirect_private", state="pending_approval")


def test_send_to_department_makes_a_request_and_a_holding_reply(app, sessions):
    client = app.test_client()
    login(client)
    draft = drafts(sessions, label="service")[0]
    page = client.get(f"/drafts/{draft.id}").get_data(as_text=True)
    client.post(
        f"/drafts/{draft.id}/send",
        data={
            "csrf_token": token(page),
            "revision": draft.revision,
            "department": "property",
            "note": "业主说的是物业前台电话",
        },
    )
    with sessions() as s:
        request = s.scalars(
            select(DepartmentRequest).join(Draft).where(Draft.post_id == draft.post_id)
        ).one()
        assert request.department.code == "property" and request.state == "open"
        assert "业主说的是物业前台电话" in (request.draft.context or "")
    assert drafts(sessions, id=draft.id)[0].state == "superseded"
    bad = client.post(
        f"/drafts/{request.draft_id}/send",
        data={"csrf_token": token(page), "department": "nowhere"},
        follow_redirects=True,
    )
    assert "不存在" in bad.get_data(as_text=True)


def test_english_switch(app, sessions):
    client = app.test_client()
    login(client)
    assert "审核队列" in client.get("/queue").get_data(as_text=True)
    client.get("/lang/en?next=/queue")
    html = client.get("/queue").get_data(as_text=True)
    assert 'lang="en"' in html and "Review queue" in html and "审核队列" not in html
    draft = drafts(sessions, label="inquiry")[0]
    page = client.get(f"/drafts/{draft.id}").get_data(as_text=True)
    assert "Label: " in page and "(confidence 0.55" in page and "标签：" not in page
    client.get("/lang/zh")
    assert "审核队列" in client.get("/queue").get_data(as_text=True)


def test_language_switch_does_not_redirect_off_site(app):
    client = app.test_client()
    response = client.get("/lang/en?next=//evil.example/")
    assert response.status_code == 302 and "evil.example" not in response.location
