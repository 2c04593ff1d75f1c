"""The review console, called in-process: login, roles, CSRF, escaping, approve and reject."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from forumbot.cases import drafts
from forumbot.config import load_settings
from forumbot.storage import audit
from forumbot.storage.models import Draft
from forumbot.web import create_app
from forumbot.web.users import add_user

PASSWORD = "correct horse battery"
SCRIPT_POST = "<script>alert(1)</script><img src=x onerror=alert(1)> 楼上漏水三个月了"


@pytest.fixture
def app(settings, sessions, make_post):
    console = load_settings(
        path=None,
        environ={**settings.secrets, "FORUMBOT_SECRET_KEY": "test-secret-key-0123456789"},
        overrides={"database.url": settings["database.url"]},
    )
    with sessions() as s:
        add_user(s, "kefu", PASSWORD, "agent")
        add_user(s, "gongcheng", PASSWORD, "specialist", "engineering")
        add_user(s, "banzhu", PASSWORD, "moderator")
        post = make_post(s, raw=SCRIPT_POST, topic_title="<b>漏水</b>{{ 7*7 }}")
        drafts.write_draft(s, post, "感谢反馈，工程部将于3个工作日内上门查看。", actor="李娜")
        s.commit()
    flask_app = create_app(console, sessions)
    flask_app.config["TESTING"] = True
    return flask_app


def token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, name="kefu", password=PASSWORD):
    page = client.get("/login").get_data(as_text=True)
    return client.post(
        "/login", data={"username": name, "password": password, "csrf_token": token(page)}
    )


def test_login_then_queue(app):
    client = app.test_client()
    assert client.get("/queue").status_code == 302
    assert login(client).status_code == 302
    page = client.get("/queue").get_data(as_text=True)
    assert "审核队列" in page and "#1" in page


def test_wrong_password_and_throttle(app):
    client = app.test_client()
    for _ in range(5):
        response = login(client, password="wrong password!")
        assert response.status_code == 401 and "用户名或密码不正确" in response.get_data(
            as_text=True
        )
    assert login(client).status_code == 429  # even the right password waits now


def test_session_cookie_is_httponly_and_samesite(app):
    client = app.test_client()
    response = login(client)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


@pytest.mark.parametrize(
    ("user", "path", "status"),
    [
        ("kefu", "/queue", 200),
        ("kefu", "/drafts/1", 200),
        ("gongcheng", "/queue", 403),
        ("gongcheng", "/drafts/1", 403),
        ("banzhu", "/queue", 403),
        ("banzhu", "/drafts/1", 403),  # a reply, not a moderation proposal
    ],
)
def test_role_matrix(app, user, path, status):
    client = app.test_client()
    login(client, user)
    assert client.get(path).status_code == status


def test_forum_content_is_escaped(app):
    client = app.test_client()
    login(client)
    html = client.get("/drafts/1").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "{{ 7*7 }}" in html and "&lt;b&gt;漏水&lt;/b&gt;" in html


def test_post_without_csrf_token_is_refused(app, sessions):
    client = app.test_client()
    login(client)
    response = client.post("/drafts/1/approve", data={"revision": "1"})
    assert response.status_code == 400
    with sessions() as s:
        assert s.get(Draft, 1).state == "pending_approval"


def test_edited_text_shows_the_diff_then_approves_on_confirmation(app, sessions):
    client = app.test_client()
    login(client)
    page = client.get("/drafts/1").get_data(as_text=True)
    edited = "感谢反馈，工程部将于3个工作日内上门查看，请保持电话畅通。"
    shown = client.post(
        "/drafts/1/approve", data={"csrf_token": token(page), "revision": "1", "text": edited}
    )
    html = shown.get_data(as_text=True)
    assert shown.status_code == 200 and "<ins>，请保持电话畅通</ins>" in html
    with sessions() as s:
        assert s.get(Draft, 1).state == "pending_approval"  # nothing approved yet
    response = client.post(
        "/drafts/1/approve",
        data={"csrf_token": token(html), "revision": "1", "text": edited, "confirmed": "1"},
    )
    assert response.status_code == 302
    with sessions() as s:
        draft = s.get(Draft, 1)
        assert draft.state == "approved" and draft.text == edited
        assert audit.history(s, 1)[-1].actor == "kefu"


def test_unchanged_text_approves_in_one_click(app, sessions):
    client = app.test_client()
    login(client)
    page = client.get("/drafts/1").get_data(as_text=True)
    with sessions() as s:
        text = s.get(Draft, 1).text
    response = client.post(
        "/drafts/1/approve", data={"csrf_token": token(page), "revision": "1", "text": text}
    )
    assert response.status_code == 302
    with sessions() as s:
        assert s.get(Draft, 1).state == "approved"


def test_blocked_text_needs_an_override(app, sessions):
    client = app.test_client()
    login(client)
    page = client.get("/drafts/1").get_data(as_text=True)
    blocked = "这不归我们管，请您自己去找开发商。"
    shown = client.post(
        "/drafts/1/approve", data={"csrf_token": token(page), "revision": "1", "text": blocked}
    ).get_data(as_text=True)
    assert 'class="finding-block"' in shown  # the block is visible before confirming
    form = {"csrf_token": token(shown), "revision": "1", "text": blocked, "confirmed": "1"}
    refused = client.post("/drafts/1/approve", data=form, follow_redirects=True)
    assert "回复检查未通过" in refused.get_data(as_text=True)
    with sessions() as s:
        assert s.get(Draft, 1).state == "pending_approval"
    client.post("/drafts/1/approve", data={**form, "override": "业主要求原话转达，主管同意"})
    with sessions() as s:
        assert s.get(Draft, 1).state == "approved"
        assert audit.history(s, 1)[-1].action == "approve_override"


def test_stale_revision_is_refused(app, sessions):
    client = app.test_client()
    login(client)
    page = client.get("/drafts/1").get_data(as_text=True)
    with sessions() as s:
        drafts.edit(
            s, drafts.DraftRef(1), "感谢反馈，工程部将于2个工作日内上门查看。", actor="李娜"
        )
        s.commit()
    response = client.post(
        "/drafts/1/approve",
        data={"csrf_token": token(page), "revision": "1"},
        follow_redirects=True,
    )
    assert "已被他人修改" in response.get_data(as_text=True)


def test_reject_needs_a_reason(app, sessions):
    client = app.test_client()
    login(client)
    page = client.get("/drafts/1").get_data(as_text=True)
    client.post(
        "/drafts/1/reject",
        data={"csrf_token": token(page), "revision": "1", "reason": "语气不够诚恳"},
    )
    with sessions() as s:
        draft = s.scalars(select(Draft)).one()
        assert draft.state == "rejected"
        assert audit.history(s, draft.id)[-1].reason == "语气不够诚恳"


@pytest.fixture
def drafted(app, sessions, make_post):
    """An engineering post drafted by the pipeline (a request to 工程部) and an abuse post."""
    from forumbot.cases.jobs import DraftingJob
    from forumbot.drafting.engine import Drafter
    from forumbot.storage.models import Classification

    with sessions() as s:
        leak = make_post(s, 2001, raw="12栋1502卫生间渗水到楼下了，报修两次没人来", topic_id=88)
        abuse = make_post(s, 2002, raw="垃圾公司，一群骗子！！！", topic_id=89)
        for post, label in ((leak, "engineering"), (abuse, "abuse")):
            s.add(Classification(post_id=post.id, label=label, source="model", confidence=0.9))
            post.stage = "labelled"
        s.commit()
    DraftingJob(sessions, Drafter()).run_once()
    with sessions() as s:
        from forumbot.storage.models import DepartmentRequest

        request_id = s.scalars(select(DepartmentRequest.id)).one()
        flag_id = s.scalars(select(Draft.id).where(Draft.kind == "flag")).one()
    return {"request": request_id, "flag": flag_id}


def test_specialist_answers_own_department_only(app, sessions, drafted):
    client = app.test_client()
    login(client, "gongcheng")
    listing = client.get("/department").get_data(as_text=True)
    assert f">#{drafted['request']}</a>" in listing and "工程部" in listing
    page = client.get(f"/department/requests/{drafted['request']}").get_data(as_text=True)
    assert "渗水到楼下" in page
    client.post(
        f"/department/requests/{drafted['request']}",
        data={
            "csrf_token": token(page),
            "answer": "经查为楼上防水层破损，维修班组将于本周四上门修复。",
        },
    )
    with sessions() as s:
        from forumbot.storage.models import DepartmentRequest

        row = s.get(DepartmentRequest, drafted["request"])
        assert row.state == "answered" and row.answered_by == "gongcheng"
        assert row.draft.state == "pending_approval" and "本周四上门修复" in row.draft.text
    with sessions() as s:
        add_user(s, "guihua", PASSWORD, "specialist", "planning")
        s.commit()
    other = app.test_client()
    login(other, "guihua")
    assert other.get(f"/department/requests/{drafted['request']}").status_code == 403
    assert f">#{drafted['request']}</a>" not in other.get("/department").get_data(as_text=True)


def test_moderator_sees_and_approves_abuse_proposals(app, sessions, drafted):
    client = app.test_client()
    login(client, "banzhu")
    assert client.get("/").headers["Location"].endswith("/moderation")
    listing = client.get("/moderation").get_data(as_text=True)
    assert f">#{drafted['flag']}</a>" in listing and "一群骗子" in listing
    page = client.get(f"/drafts/{drafted['flag']}").get_data(as_text=True)
    client.post(
        f"/drafts/{drafted['flag']}/approve", data={"csrf_token": token(page), "revision": "2"}
    )
    with sessions() as s:
        assert s.get(Draft, drafted["flag"]).state == "approved"
    with sessions() as s:
        s_reply = s.scalars(select(Draft.id).where(Draft.kind == "reply")).first()
    reply = client.post(
        f"/drafts/{s_reply}/reject",
        data={"csrf_token": token(page), "revision": "2", "reason": "x"},
    )
    assert reply.status_code == 403  # a moderator cannot reject customer-service replies
    agent = app.test_client()
    login(agent, "kefu")
    assert agent.get("/moderation").status_code == 403
    assert agent.get("/department").status_code == 403


def test_agents_leave_abuse_proposals_to_moderators(app, drafted):
    client = app.test_client()
    login(client)
    assert f'data-draft="{drafted["flag"]}"' not in client.get("/queue").get_data(as_text=True)
    assert client.get(f"/drafts/{drafted['flag']}").status_code == 403


def test_sign_in_failure_and_sign_out_are_audited(app, sessions):
    from forumbot.storage.models import AuditEntry

    client = app.test_client()
    login(client, password="not the password")
    login(client)
    page = client.get("/queue").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": token(page)})
    with sessions() as s:
        rows = s.scalars(select(AuditEntry).where(AuditEntry.entity_type == "user")).all()
        assert [(r.actor, r.action) for r in rows] == [
            ("system:console", "login_failed"),
            ("kefu", "login"),
            ("kefu", "logout"),
        ]
        assert '"username": "kefu"' in rows[0].details


def test_sign_in_limit_holds_across_processes_and_resets_on_success(app, sessions):
    from forumbot.web import create_app as another_console

    second = another_console(app.config["FORUMBOT_SETTINGS"], sessions)  # another process
    second.config["TESTING"] = True
    for _ in range(4):
        assert login(app.test_client(), password="wrong password!").status_code == 401
    assert login(second.test_client()).status_code == 302  # a success clears the count
    for _ in range(5):
        assert login(app.test_client(), password="wrong password!").status_code == 401
    assert login(second.test_client()).status_code == 429
    assert login(second.test_client(), "banzhu").status_code == 302  # another name is fine
