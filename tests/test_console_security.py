"""Console security, called in-process over the Flask test client: where ``next`` may send a
person, sign-out that holds, cookie and caching headers, bidirectional control characters in
names and titles, and the Chinese 413 and 500 pages."""

from __future__ import annotations

import re
import shutil
from urllib.parse import quote

import pytest
from click.testing import CliRunner
from sqlalchemy import select, text

from forumbot.cases import drafts as case_drafts
from forumbot.cases.jobs import DraftingJob
from forumbot.cli import cli
from forumbot.config import ConfigError, load_settings
from forumbot.drafting.engine import Drafter
from forumbot.drafting.templates import ReplyTemplates
from forumbot.intake.poller import Poller
from forumbot.paths import TEMPLATES_DIR
from forumbot.storage.models import Classification, Draft, Post, User
from forumbot.textsafety import BIDI_CONTROLS, neutralise
from forumbot.web import create_app
from forumbot.web.users import add_user

PASSWORD = "correct horse battery"
BAD_NEXT = [
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r/evil.example",
    "//evil.example",
    "\\\\evil.example",
    "https://evil.example",
    "/\\evil.example",
    "javascript:alert(1)",
    " //evil.example",
    "/\u3000/evil.example",
]
RLO, PDF, RLI, PDI = "\u202e", "\u202c", "\u2067", "\u2069"


def console_settings(settings, **overrides):
    return load_settings(
        path=None,
        environ={**settings.secrets, "FORUMBOT_SECRET_KEY": "test-secret-key-0123456789"},
        overrides={"database.url": settings["database.url"], **overrides},
    )


@pytest.fixture
def app(settings, sessions, make_post):
    with sessions() as s:
        add_user(s, "kefu", PASSWORD, "agent")
        add_user(s, "banzhu", PASSWORD, "moderator")
        add_user(s, "guanli", PASSWORD, "admin")
        post = make_post(s)
        case_drafts.write_draft(s, post, "感谢反馈，工程部将于3个工作日内上门查看。", actor="李娜")
        s.commit()
    flask_app = create_app(console_settings(settings), sessions)
    flask_app.config["TESTING"] = True
    return flask_app


def token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, name="kefu", password=PASSWORD, next_raw: str | None = None):
    page = client.get("/login").get_data(as_text=True)
    url = "/login" if next_raw is None else f"/login?next={next_raw}"
    return client.post(
        url, data={"username": name, "password": password, "csrf_token": token(page)}
    )


# --- open redirect ------------------------------------------------------------------------------


@pytest.mark.parametrize("target", BAD_NEXT)
def test_language_switch_never_leaves_the_site(app, target):
    response = app.test_client().get(f"/lang/zh?next={quote(target, safe='')}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"  # home: the role's page, or the sign-in page


@pytest.mark.parametrize("target", BAD_NEXT)
def test_sign_in_never_sends_elsewhere(app, target):
    response = login(app.test_client(), "banzhu", next_raw=quote(target, safe=""))
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_a_path_on_the_site_is_followed(app):
    client = app.test_client()
    response = login(client, next_raw=quote("/drafts/1?tab=history", safe=""))
    assert response.headers["Location"] == "/drafts/1?tab=history"
    response = client.get(f"/lang/en?next={quote('/queue?state=failed', safe='')}")
    assert response.headers["Location"] == "/queue?state=failed"


# --- sign-out and revocation --------------------------------------------------------------------


def saved_session(client) -> str:
    return client.get_cookie("session").value


def test_a_cookie_saved_before_sign_out_is_refused(app):
    client = app.test_client()
    login(client)
    saved = saved_session(client)
    page = client.get("/queue").get_data(as_text=True)
    client.post("/logout", data={"csrf_token": token(page)})
    replay = app.test_client()
    replay.set_cookie("session", saved)
    response = replay.get("/queue")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_password_reset_ends_other_sessions(app):
    other = app.test_client()
    login(other)
    assert other.get("/queue").status_code == 200
    admin = app.test_client()
    login(admin, "guanli")
    page = admin.get("/admin/users").get_data(as_text=True)
    admin.post(
        f"/admin/users/{_user_id(app, 'kefu')}/password",
        data={"csrf_token": token(page), "password": "a new password 1"},
    )
    response = other.get("/queue")
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert admin.get("/admin/users").status_code == 200  # the admin's own session stays


def _user_id(app, name: str) -> int:
    with app.config["FORUMBOT_SESSIONS"]() as s:
        return s.scalar(select(User.id).where(User.username == name))


def test_reactivating_an_account_does_not_revive_its_old_sessions(app):
    client = app.test_client()
    login(client)
    saved = saved_session(client)
    admin = app.test_client()
    login(admin, "guanli")
    page = admin.get("/admin/users").get_data(as_text=True)
    kefu = _user_id(app, "kefu")
    for active in ("0", "1"):
        admin.post(
            f"/admin/users/{kefu}/active", data={"csrf_token": token(page), "active": active}
        )
    replay = app.test_client()
    replay.set_cookie("session", saved)
    assert replay.get("/queue").status_code == 302


# --- cookies and caching ------------------------------------------------------------------------


def session_cookie(app) -> str:
    response = login(app.test_client())
    assert response.status_code == 302
    return next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))


def test_secure_cookie_is_on_when_serving_beyond_this_machine(settings, sessions, app):
    assert "Secure" not in session_cookie(app)  # 127.0.0.1: tests and the demo use plain HTTP
    public = create_app(console_settings(settings, **{"console.host": "0.0.0.0"}), sessions)
    assert "; Secure" in session_cookie(public)
    by_flag = create_app(console_settings(settings), sessions, host="192.0.2.10")
    assert "; Secure" in session_cookie(by_flag)  # forumbot serve --host 192.0.2.10


@pytest.mark.parametrize(
    ("host", "choice", "secure"),
    [
        ("127.0.0.1", "on", True),  # behind a TLS proxy on the same machine
        ("0.0.0.0", "off", False),
        ("localhost", "auto", False),
        ("::1", "auto", False),
        ("forum-console.example", "auto", True),
    ],
)
def test_secure_cookie_setting(settings, sessions, app, host, choice, secure):
    configured = console_settings(
        settings, **{"console.host": host, "console.secure_cookies": choice}
    )
    assert ("; Secure" in session_cookie(create_app(configured, sessions))) is secure


def test_secure_cookie_setting_is_checked():
    with pytest.raises(ConfigError, match=r"console\.secure_cookies"):
        load_settings(path=None, environ={"FORUMBOT_CONSOLE_SECURE_COOKIES": "maybe"})


def test_pages_with_forum_or_account_data_are_not_stored(app):
    client = app.test_client()
    assert "no-store" in client.get("/login").headers["Cache-Control"]
    login(client)
    for path in ("/queue", "/drafts/1"):
        response = client.get(path)
        assert response.status_code == 200 and "no-store" in response.headers["Cache-Control"]


# --- bidirectional control characters ---------------------------------------------------------


def test_neutralise_removes_every_bidi_control():
    assert len(BIDI_CONTROLS) == 9
    assert neutralise(f"abc{RLO}fdp.exe{PDF}{RLI}x{PDI}") == "abcfdp.exex"
    assert neutralise("漏水问题") == "漏水问题"


@pytest.mark.parametrize(
    ("name", "why"),
    [
        (f"kefu{RLO}", "不可见"),
        (f"{RLI}nimda{PDI}", "不可见"),
        ("ke\u200bfu", "不可见"),
        ("ke\tfu", "不可见"),
        ("ke fu", "空白"),
        ("k" * 65, "64"),
    ],
)
def test_admin_page_refuses_a_spoofing_user_name(app, name, why):
    admin = app.test_client()
    login(admin, "guanli")
    page = admin.get("/admin/users").get_data(as_text=True)
    response = admin.post(
        "/admin/users",
        data={"csrf_token": token(page), "username": name, "password": PASSWORD, "role": "agent"},
        follow_redirects=True,
    )
    shown = response.get_data(as_text=True)
    assert why in shown and "用户名" in shown
    with app.config["FORUMBOT_SESSIONS"]() as s:
        assert s.scalar(select(User).where(User.username == name.strip())) is None


def test_cli_refuses_a_bidi_user_name(database_url, monkeypatch):
    monkeypatch.setenv("FORUMBOT_DATABASE_URL", database_url)
    runner = CliRunner()
    assert runner.invoke(cli, ["migrate"]).exit_code == 0
    made = runner.invoke(
        cli, ["users", "add", f"admin{RLO}", "--role", "admin"], input=f"{PASSWORD}\n"
    )
    assert made.exit_code == 1 and "不可见" in made.output
    made = runner.invoke(cli, ["users", "add", "李娜", "--role", "agent"], input=f"{PASSWORD}\n")
    assert made.exit_code == 0 and "已创建账号 李娜" in made.output


def test_bidi_controls_from_the_forum_reach_neither_page_nor_draft(
    settings, sessions, sandbox, client, tmp_path
):
    templates = tmp_path / "reply_templates"
    shutil.copytree(TEMPLATES_DIR, templates)
    holding = templates / "holding.toml"  # an admin's edit: greet the owner by name
    greeting = 'thanks = ["@{{ author }} 您好，收到您的帖子{{ topic_ref }}。"]\nunused = ['
    holding.write_text(holding.read_text(encoding="utf-8").replace("thanks = [", greeting, 1))
    name, title = f"wang{RLO}gnaw", f"漏水{RLI}问题{PDI}{RLO}没人管{PDF}"
    created = sandbox.add_post(
        "12栋1502卫生间渗水到楼下了，报修两次没人来", username=name, title=title
    )
    Poller(sessions=sessions, source=client, bot_username="forumbot").run_once()
    with sessions() as s:
        post = s.scalar(select(Post).where(Post.forum_post_id == created["id"]))
        assert post.username == name and post.topic_title == title  # stored as received
        s.add(Classification(post_id=post.id, label="engineering", source="model", confidence=0.9))
        post.stage = "labelled"
        add_user(s, "kefu", PASSWORD, "agent")
        s.commit()
    DraftingJob(sessions, Drafter(templates=ReplyTemplates(templates))).run_once()
    with sessions() as s:
        drafts = s.scalars(select(Draft)).all()
        assert drafts and all(d.text for d in drafts)
        assert any("@wanggnaw 您好，收到您的帖子“漏水问题没人管”" in d.text for d in drafts)
        for draft in drafts:
            assert not set(draft.text) & BIDI_CONTROLS, draft.text
        ids = [d.id for d in drafts]
    console = create_app(console_settings(settings), sessions)
    browser = console.test_client()
    login(browser)
    pages = [browser.get("/queue")] + [browser.get(f"/drafts/{i}") for i in ids]
    for page in pages:
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "wanggnaw" in html
        assert not set(html) & BIDI_CONTROLS


# --- body size limit and error pages ----------------------------------------------------------


def test_a_too_large_body_gets_the_chinese_413_page(app, settings, sessions):
    client = app.test_client()
    login(client)
    page = client.get("/drafts/1").get_data(as_text=True)
    response = client.post(
        "/drafts/1/approve",
        data={"csrf_token": token(page), "revision": "1", "text": "漏" * 400_000},
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 413 and "提交的内容过大" in html and 'lang="zh-CN"' in html
    with sessions() as s:
        assert s.get(Draft, 1).state == "pending_approval"
    webhooks = create_app(console_settings(settings, **{"webhook.enabled": True}), sessions)
    delivery = webhooks.test_client().post("/webhooks/discourse", data=b"x" * 2_000_000)
    assert delivery.status_code == 413 and "too large" in delivery.get_json()["errors"][0]


def test_a_server_error_gets_a_chinese_page_without_a_traceback(app, engine):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    login(client)
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE drafts RENAME TO drafts_gone"))
    response = client.get("/queue")
    html = response.get_data(as_text=True)
    assert response.status_code == 500 and "服务器内部错误" in html and 'lang="zh-CN"' in html
    assert "Traceback" not in html and "drafts" not in html and "sqlalchemy" not in html.lower()
