"""The console in a real headless Chromium (Playwright driving Debian's chromium): log in,
see a script-laden post as text, approve a draft. Screenshots go to test-artifacts/."""

from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from forumbot.config import load_settings
from forumbot.review import queue
from forumbot.storage.models import Draft
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


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield chromium
        chromium.close()


@pytest.fixture
def console(settings, sessions, make_post):
    with sessions() as s:
        add_user(s, "kefu", PASSWORD, "agent")
        post = make_post(
            s,
            raw="<script>alert('xss')</script><img src=x onerror=alert(1)>楼上漏水三个月了",
            topic_title="漏水<b>三个月</b>",
        )
        queue.write_draft(s, post, "感谢反馈，工程部将于3个工作日内上门查看。", actor="李娜")
        s.commit()
    app = create_app(
        load_settings(
            path=None,
            environ={**settings.secrets, "FORUMBOT_SECRET_KEY": "browser-test-secret-key"},
            overrides={"database.url": settings["database.url"]},
        ),
        sessions,
    )
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join()


def test_login_escape_and_approve_in_chromium(browser, console, sessions):
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page()
    dialogs = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    page.goto(f"{console}/login")
    page.fill("input[name=username]", "kefu")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#queue")
    page.screenshot(path=str(ARTIFACTS / "queue.png"), full_page=True)
    page.click("#queue a")
    page.wait_for_selector("#approve-form")
    assert "<script>alert('xss')</script>" in page.inner_text(".post.current .raw")
    assert page.locator(".post.current img").count() == 0
    page.screenshot(path=str(ARTIFACTS / "draft.png"), full_page=True)
    page.click("#approve-form button[type=submit]")
    page.wait_for_selector(".flash-ok")
    assert dialogs == [], "a script from forum text ran"
    with sessions() as s:
        assert s.get(Draft, 1).state == "approved"
    page.close()
