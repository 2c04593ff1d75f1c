"""Numbers too large for their column are a client's mistake (4xx), never a 500.

A correctly signed webhook may carry any JSON number, and anyone can type any number into a
console URL; both used to reach the database driver and overflow there.
"""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import func, select

from forumbot.cases import drafts
from forumbot.config import load_settings
from forumbot.intake.parse import Skip, parse_post
from forumbot.intake.webhook import signature
from forumbot.storage.models import Post
from forumbot.web import create_app
from forumbot.web.users import add_user

SECRET = "my_lovely_secret_for_web_hook"
PASSWORD = "correct horse battery"
HUGE = 99999999999999999999


@pytest.fixture
def webhook(settings, sessions):
    enabled = load_settings(
        path=None,
        environ={**settings.secrets},
        overrides={"database.url": settings["database.url"], "webhook.enabled": True},
    )
    return create_app(enabled, sessions).test_client()


def deliver(client, post: dict, event_id: str):
    body = json.dumps({"post": post}).encode()
    return client.post(
        "/webhooks/discourse",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Discourse-Event": "post_created",
            "X-Discourse-Event-Id": event_id,
            "X-Discourse-Event-Signature": signature(SECRET, body),
        },
    )


def a_post(**changes) -> dict:
    post = {
        "id": 501,
        "username": "li_na_1988",
        "raw": "8栋车库入口积水半米深，车都开不进去了",
        "topic_id": 90,
        "post_number": 1,
        "post_type": 1,
        "version": 1,
        "topic_title": "车库积水",
        "category_id": 5,
    }
    return {**post, **changes}


def stored(sessions) -> int:
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(Post))


@pytest.mark.parametrize(
    "field, value",
    [
        ("id", 2**63),
        ("id", HUGE),
        ("id", str(HUGE)),
        ("topic_id", 2**63),
        ("post_number", 2**31),
        ("reply_to_post_number", 2**31),
        ("category_id", 2**40),
        ("version", 2**31),
        ("reply_to_post_number", -(2**63) - 1),
    ],
)
def test_webhook_refuses_an_id_too_large_for_its_column(webhook, sessions, field, value):
    response = deliver(webhook, a_post(**{field: value}), event_id="e-1")
    assert response.status_code == 422
    body = response.get_json()
    assert list(body) == ["errors"] and len(body["errors"]) == 1
    assert field in body["errors"][0] and "out of range" in body["errors"][0]
    assert stored(sessions) == 0
    # the refused delivery is not remembered as handled: a corrected one is taken in
    fixed = deliver(webhook, a_post(), event_id="e-1")
    assert fixed.status_code == 200 and fixed.get_json()["ok"] is True
    assert stored(sessions) == 1


def test_webhook_takes_the_largest_ids_that_fit(webhook, sessions):
    response = deliver(
        webhook, a_post(id=2**63 - 1, topic_id=2**63 - 1, post_number=2**31 - 1), event_id="e-2"
    )
    assert response.status_code == 200, response.get_json()
    with sessions() as s:
        assert s.scalar(select(Post.forum_post_id)) == 2**63 - 1


def test_poller_skips_a_post_whose_id_does_not_fit():
    parsed = parse_post(a_post(id=2**63), bot_username="forumbot")
    assert isinstance(parsed, Skip) and "out of range" in parsed.reason


@pytest.fixture
def console(settings, sessions, make_post):
    cfg = load_settings(
        path=None,
        environ={**settings.secrets, "FORUMBOT_SECRET_KEY": "test-secret-key-0123456789"},
        overrides={"database.url": settings["database.url"]},
    )
    with sessions() as s:
        add_user(s, "guanli", PASSWORD, "admin")
        drafts.write_draft(s, make_post(s), "感谢反馈，我们会尽快处理。", actor="李娜")
        s.commit()
    client = create_app(cfg, sessions).test_client()  # not TESTING: a failure is a 500 page
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = client.post(
        "/login", data={"username": "guanli", "password": PASSWORD, "csrf_token": token}
    )
    assert response.status_code == 302
    client.csrf_token = token  # type: ignore[attr-defined]
    return client


ROUTES = [
    ("GET", "/drafts/{}"),
    ("POST", "/drafts/{}/approve"),
    ("POST", "/drafts/{}/reject"),
    ("POST", "/drafts/{}/relabel"),
    ("GET", "/department/requests/{}"),
    ("POST", "/admin/users/{}/role"),
    ("POST", "/admin/users/{}/active"),
    ("GET", "/admin/models/runs/{}"),
]


@pytest.mark.parametrize("number", [HUGE, 2**63, 2**31, 0])
@pytest.mark.parametrize("method, route", ROUTES)
def test_console_answers_404_for_an_id_that_cannot_exist(console, method, route, number):
    url = route.format(number)
    if method == "GET":
        response = console.get(url)
    else:
        response = console.post(url, data={"csrf_token": console.csrf_token})
    assert response.status_code == 404, (url, response.status_code)


def test_console_still_opens_a_real_draft(console):
    assert console.get("/drafts/1").status_code == 200
