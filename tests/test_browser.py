"""The console in a real headless Chromium (Playwright driving Debian's chromium), against a
real server socket, the sandbox forum and the shipped model. Screenshots go to test-artifacts/.

Covers: log in; approve and see the reply arrive in the sandbox; an edit the checker blocks,
then the override; a department's answer reaching the queue; a script-laden post shown as text;
a form without its CSRF token refused; a crafted next link that must not leave the console;
the role matrix over every route of the app.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from forumbot.cases import drafts
from forumbot.cases.jobs import DraftingJob
from forumbot.classify.classifier import Classifier
from forumbot.config import load_settings
from forumbot.drafting.engine import Drafter
from forumbot.intake.poller import Poller
from forumbot.labelling.labeller import Labeller
from forumbot.publish.publisher import Publisher
from forumbot.storage.models import Classification, DepartmentRequest, Draft, Post
from forumbot.web import create_app
from forumbot.web.users import add_user

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
PASSWORD = "correct horse battery"
SCRIPT_POST = "<script>alert('xss')</script><img src=x onerror=alert(1)>楼上漏水三个月了"
USERS = {
    "kefu": ("agent", None),
    "gongcheng": ("specialist", "engineering"),
    "guihua": ("specialist", "planning"),
    "banzhu": ("moderator", None),
    "guanli": ("admin", None),
}


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@dataclass
class Console:
    url: str
    app: Flask


def serve(app: Flask) -> Iterator[str]:
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()
    server.server_close()


@pytest.fixture
def console(settings, sessions, make_post) -> Iterator[Console]:
    with sessions() as s:
        for name, (role, department) in USERS.items():
            add_user(s, name, PASSWORD, role, department)
        post = make_post(s, raw=SCRIPT_POST, topic_title="漏水<b>三个月</b>")
        drafts.write_draft(s, post, "感谢反馈，工程部将于3个工作日内上门查看。", actor="李娜")
        s.commit()
    app = create_app(
        load_settings(
            path=None,
            environ={**settings.secrets, "FORUMBOT_SECRET_KEY": "browser-test-secret-key"},
            overrides={"database.url": settings["database.url"]},
        ),
        sessions,
    )
    for url in serve(app):
        yield Console(url, app)


def log_in(browser, console: Console, name: str):
    page = browser.new_page(locale="zh-CN")
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{console.url}/login")
    page.fill("input[name=username]", name)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert "/login" not in page.url, f"{name} could not log in"
    return page


def test_login_escape_and_approve_in_chromium(browser, console, sessions):
    ARTIFACTS.mkdir(exist_ok=True)
    page = log_in(browser, console, "kefu")
    page.wait_for_selector("#queue")
    page.screenshot(path=str(ARTIFACTS / "queue.png"), full_page=True)
    page.click("#queue a")
    page.wait_for_selector("#approve-form")
    assert "<script>alert('xss')</script>" in page.inner_text(".post.current .raw")
    assert page.locator(".post.current img").count() == 0
    page.screenshot(path=str(ARTIFACTS / "draft.png"), full_page=True)
    page.click("#approve-form button[type=submit]")
    page.wait_for_selector(".flash-ok")
    assert page.dialogs == [], "a script from forum text ran"
    with sessions() as s:
        assert s.get(Draft, 1).state == "approved"
    page.close()


def test_dashboard_screenshot(browser, console):
    ARTIFACTS.mkdir(exist_ok=True)
    page = log_in(browser, console, "guanli")
    page.goto(f"{console.url}/dashboard")
    assert page.locator("svg").count() >= 1
    page.screenshot(path=str(ARTIFACTS / "dashboard.png"), full_page=True)
    page.close()


def test_approved_reply_arrives_in_the_sandbox(browser, console, sessions, sandbox, client):
    """The whole way: a post in the forum, taken in, labelled by the shipped model, drafted,
    approved in the browser, published by the publisher, read back from the forum."""
    created = sandbox.add_post("请问小区物业费的收费标准是多少？每平米多少钱？", title="物业费标准")
    Poller(sessions=sessions, source=client, bot_username="forumbot").run_once()
    Labeller(sessions, Classifier.load()).run_once()
    DraftingJob(sessions, Drafter()).run_once()
    with sessions() as s:
        post = s.scalar(select(Post).where(Post.forum_post_id == created["id"]))
        draft = s.scalars(
            select(Draft).where(Draft.post_id == post.id, Draft.state == "pending_approval")
        ).first()
        assert draft is not None, "the pipeline made no draft to approve"
        draft_id = draft.id
    page = log_in(browser, console, "kefu")
    page.goto(f"{console.url}/drafts/{draft_id}")
    sent = page.input_value("#draft-text")
    page.click("#approve-form button[type=submit]")
    page.wait_for_selector(".flash-ok")
    result = Publisher(
        sessions=sessions, forum=client, bot_username="forumbot", retry_delay=0
    ).run_once()
    assert result.published == [draft_id]
    replies = [p for p in sandbox.posts_by("forumbot") if p["topic_id"] == created["topic_id"]]
    assert len(replies) == 1 and sent.strip()[:20] in replies[0]["raw"]
    page.close()


def test_checker_block_then_override(browser, console, sessions):
    page = log_in(browser, console, "kefu")
    page.goto(f"{console.url}/drafts/1")
    page.fill("#draft-text", "这不归我们管，请您自己去找开发商。")
    page.click("#approve-form button[type=submit]")
    page.wait_for_selector("#confirm-form")
    assert page.locator("#findings .finding-block").count() >= 1
    assert page.locator("#diff ins").count() >= 1
    page.click("#confirm-form button[type=submit]")
    page.wait_for_selector("#approve-error")
    assert "回复检查未通过" in page.inner_text("#approve-error")
    assert page.input_value("#draft-text") == "这不归我们管，请您自己去找开发商。"  # not lost
    with sessions() as s:
        assert s.get(Draft, 1).state == "pending_approval"
    page.fill("input[name=override]", "业主坚持要原话转达，主管已同意")
    page.click("#confirm-form button[type=submit]")
    page.wait_for_selector(".flash-ok")
    with sessions() as s:
        assert s.get(Draft, 1).state == "approved"
    page.close()


def test_department_answer_reaches_the_queue(browser, console, sessions, make_post):
    with sessions() as s:
        leak = make_post(s, 2001, raw="12栋1502卫生间渗水到楼下了，报修两次没人来", topic_id=88)
        s.add(Classification(post_id=leak.id, label="engineering", source="model", confidence=0.9))
        leak.stage = "labelled"
        s.commit()
    DraftingJob(sessions, Drafter()).run_once()
    specialist = log_in(browser, console, "gongcheng")
    specialist.goto(f"{console.url}/department")
    specialist.click("#requests .request-row a")
    answer = "经现场查看，渗水点为卫生间防水层破损，维修班组将于本周五上午上门重做防水。"
    specialist.fill("textarea[name=answer]", answer)
    specialist.click("button[type=submit] >> text=提交答复")
    specialist.wait_for_selector(".flash-ok")
    specialist.close()
    with sessions() as s:
        request = s.scalars(select(DepartmentRequest)).one()
        assert request.state == "answered"
        draft_id = request.draft_id
    agent = log_in(browser, console, "kefu")
    agent.goto(f"{console.url}/queue")
    agent.click(f"[data-draft='{draft_id}'] a")
    assert answer in agent.input_value("#draft-text")
    agent.close()


def test_form_without_csrf_token_is_refused(browser, console, sessions):
    page = log_in(browser, console, "kefu")
    page.goto(f"{console.url}/drafts/1")
    page.evaluate("document.querySelector('#approve-form input[name=csrf_token]').remove()")
    page.click("#approve-form button[type=submit]")
    page.wait_for_selector("#error-message")
    assert "安全令牌" in page.inner_text("#error-message")
    with sessions() as s:
        assert s.get(Draft, 1).state == "pending_approval"
    page.close()


# Who may reach each part of the console (admin may reach everything). A new route fails
# test_role_matrix until it is given a place here.
PUBLIC = {"auth.login", "auth.language", "health", "webhook", "static"}
ANY_SIGNED_IN = {"auth.logout", "queue.index"}
ROLES_BY_PREFIX = {
    "queue.": {"agent"},
    "dashboard.": {"agent"},
    "incidents.": {"agent"},
    "departments.": {"specialist"},
    "moderation.": {"moderator"},
    "admin.": set(),
    "models.": set(),
}
# Moderators open and decide moderation proposals through the queue's draft routes.
MODERATOR_DRAFT_ROUTES = {"queue.item", "drafts.approve", "drafts.reject"}


def allowed_roles(endpoint: str) -> set[str] | None:
    """The roles allowed on an endpoint, None for public ones; fails for an unknown one."""
    if endpoint in PUBLIC or endpoint.split(".")[0] in PUBLIC:
        return None
    if endpoint in ANY_SIGNED_IN:
        return {"agent", "specialist", "moderator", "admin"}
    for prefix, roles in ROLES_BY_PREFIX.items():
        if endpoint.startswith(prefix):
            extra = {"moderator"} if endpoint in MODERATOR_DRAFT_ROUTES else set()
            return roles | extra | {"admin"}
    raise AssertionError(f"route {endpoint} has no place in the role matrix")


def concrete(rule, ids: dict[str, object]) -> str:
    return re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids.get(m.group(1), "1")), rule.rule)


def test_role_matrix(browser, console, sessions, make_post):
    """Every route, every role, over real HTTP: forbidden is 403, allowed is not."""
    with sessions() as s:
        leak = make_post(s, 2001, raw="12栋1502卫生间渗水到楼下了", topic_id=88)
        s.add(Classification(post_id=leak.id, label="engineering", source="model", confidence=0.9))
        leak.stage = "labelled"
        s.commit()
    DraftingJob(sessions, Drafter()).run_once()
    with sessions() as s:
        request_id = s.scalars(select(DepartmentRequest.id)).one()
    ids = {"draft_id": 1, "request_id": request_id}  # draft 1 is a reply, not a proposal
    rules = [r for r in console.app.url_map.iter_rules() if allowed_roles(r.endpoint) is not None]
    assert len(rules) > 15
    anonymous = browser.new_context()
    for rule in rules:
        if "GET" in rule.methods:
            response = anonymous.request.get(console.url + concrete(rule, ids), max_redirects=0)
            assert response.status == 302 and "/login" in response.headers["location"], rule
    anonymous.close()
    checked = 0
    for name, (role, _department) in USERS.items():
        page = log_in(browser, console, name)
        csrf = page.locator("input[name=csrf_token]").first.get_attribute("value")
        for rule in rules:
            url = console.url + concrete(rule, ids)
            allowed = role in allowed_roles(rule.endpoint)
            if rule.endpoint in MODERATOR_DRAFT_ROUTES and role == "moderator":
                allowed = False  # draft 1 is a public reply: moderators only see proposals
            if rule.endpoint == "departments.answer" and _department not in (None, "engineering"):
                allowed = False  # the request is engineering's: another department may not read it
            if "GET" in rule.methods:
                status = page.request.get(url, max_redirects=0).status
            elif not allowed:  # POSTs only where they must be refused: no side effects
                status = page.request.post(url, form={"csrf_token": csrf}, max_redirects=0).status
            else:
                continue
            assert (status == 403) == (not allowed), f"{name} ({role}) {rule.rule}: {status}"
            checked += 1
        page.close()
    assert checked > 5 * 15


def test_a_crafted_next_link_keeps_the_browser_on_the_console(browser, console):
    """Chromium drops a tab from a URL, so ``next=/%09/evil.example`` once led to
    //evil.example after a sign-in or a language switch; now it leads to the home page."""
    page = browser.new_page(locale="zh-CN")
    visited: list[str] = []

    def elsewhere(route):  # type: ignore[no-untyped-def]
        visited.append(route.request.url)
        route.fulfill(status=200, body="<h1>evil</h1>", content_type="text/html")

    page.route(
        "**/*",
        lambda route: (
            route.continue_() if route.request.url.startswith(console.url) else elsewhere(route)
        ),
    )
    page.goto(f"{console.url}/login?next=/%09/evil.example")
    page.fill("input[name=username]", "kefu")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state()
    assert page.url == f"{console.url}/queue" and visited == []
    page.goto(f"{console.url}/lang/en?next=/%09/evil.example")
    page.wait_for_load_state()
    assert page.url.startswith(console.url) and visited == []
    page.close()
