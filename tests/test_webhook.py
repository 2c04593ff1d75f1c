"""The Discourse webhook: signatures checked in constant time, replays ignored, posts stored."""

from __future__ import annotations

import json
import threading
import time

import pytest
from sqlalchemy import func, select
from werkzeug.serving import make_server

from forumbot.config import load_settings
from forumbot.intake.webhook import signature, signature_ok
from forumbot.storage.models import Post
from forumbot.web import create_app

SECRET = "my_lovely_secret_for_web_hook"


def test_discourse_test_vector():
    """Discourse's own spec: secret, body {"ping":"OK"} and the signature it sends."""
    body = b'{"ping":"OK"}'
    expected = "sha256=162f107f6b5022353274eb1a7197885cfd35744d8d08e5bcea025d309386b7d6"
    assert signature(SECRET, body) == expected
    assert signature_ok(SECRET, body, expected)
    assert not signature_ok(SECRET, body, expected[:-1] + "0")
    assert not signature_ok(SECRET, body, None)


@pytest.fixture
def web(settings, sessions):
    enabled = load_settings(
        path=None,
        environ={**settings.secrets},
        overrides={"database.url": settings["database.url"], "webhook.enabled": True},
    )
    return create_app(enabled, sessions).test_client()


def deliver(web, payload, *, event="post_created", event_id="1", secret=SECRET):
    body = json.dumps(payload, ensure_ascii=False).encode()
    return web.post(
        "/webhooks/discourse",
        data=body,
        headers={
            "Content-Type": "application/json",
            "X-Discourse-Event": event,
            "X-Discourse-Event-Type": "post",
            "X-Discourse-Event-Id": event_id,
            "X-Discourse-Event-Signature": signature(secret, body),
        },
    )


def post_payload(**changes):
    post = {
        "id": 501,
        "username": "li_na_1988",
        "raw": "8栋车库入口积水半米深，车都开不进去了",
        "topic_id": 90,
        "post_number": 1,
        "post_type": 1,
        "version": 1,
        "topic_title": "车库积水",
        "topic_archetype": "regular",
        "category_id": 5,
        "created_at": "2026-11-20T08:00:00.000Z",
    }
    post.update(changes)
    return {"post": post}


def count(sessions):
    with sessions() as s:
        return s.scalar(select(func.count()).select_from(Post))


def test_signed_post_created_is_stored_and_replay_ignored(web, sessions):
    first = deliver(web, post_payload())
    assert first.status_code == 200 and "stored 1" in first.json["message"]
    replay = deliver(web, post_payload())
    assert replay.status_code == 200 and "already handled" in replay.json["message"]
    assert count(sessions) == 1


def test_bad_signature_refused_and_nothing_stored(web, sessions):
    response = deliver(web, post_payload(), secret="guessed")
    assert response.status_code == 403
    assert response.json == {"errors": ["bad or missing X-Discourse-Event-Signature"]}
    assert count(sessions) == 0


def test_post_edited_updates_the_post(web, sessions):
    deliver(web, post_payload(), event_id="1")
    deliver(
        web, post_payload(raw="车库积水已经一米了！", version=2), event="post_edited", event_id="2"
    )
    with sessions() as s:
        post = s.scalar(select(Post))
        assert post.version == 2 and post.raw == "车库积水已经一米了！"


def test_private_messages_whispers_and_other_events_are_ignored(web, sessions):
    deliver(web, post_payload(topic_archetype="private_message"), event_id="1")
    deliver(web, post_payload(id=502, post_type=4), event_id="2")
    r = deliver(web, {"topic": {"id": 90}}, event="topic_created", event_id="3")
    assert r.status_code == 200 and "ignored" in r.json["message"]
    assert count(sessions) == 0


def test_ping_and_garbage(web):
    assert deliver(web, {"ping": "OK"}, event="ping").json["message"] == "pong"
    body = b"not json"
    r = web.post(
        "/webhooks/discourse",
        data=body,
        headers={
            "X-Discourse-Event": "post_created",
            "X-Discourse-Event-Id": "9",
            "X-Discourse-Event-Signature": signature(SECRET, body),
        },
    )
    assert r.status_code == 400


def test_disabled_by_default(settings, sessions):
    r = create_app(settings, sessions).test_client().post("/webhooks/discourse", data=b"{}")
    assert r.status_code == 404


def test_sandbox_delivers_real_webhooks_over_http(settings, sessions):
    """The sandbox forum signs and sends deliveries like Discourse; the endpoint stores them."""
    from forumbot.sandbox.server import SandboxServer
    from forumbot.sandbox.settings import SandboxSettings

    enabled = load_settings(
        path=None,
        environ={**settings.secrets},
        overrides={"database.url": settings["database.url"], "webhook.enabled": True},
    )
    server = make_server("127.0.0.1", 0, create_app(enabled, sessions), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        cfg = SandboxSettings(
            rate_limit_per_minute=0,
            memoize_seconds=0,
            webhook_url=f"http://127.0.0.1:{server.server_port}/webhooks/discourse",
            webhook_secret=SECRET,
        )
        with SandboxServer.for_settings(cfg) as forum:
            import requests

            requests.post(
                f"{forum.url}/_sandbox/posts",
                timeout=10,
                json={
                    "username": "zhang_wei88",
                    "raw": "9栋的垃圾房三天没清了，味道很大",
                    "title": "垃圾房",
                },
            )
            deadline = time.monotonic() + 10
            while count(sessions) == 0 and time.monotonic() < deadline:
                time.sleep(0.1)
    finally:
        server.shutdown()
        thread.join()
    with sessions() as s:
        stored = s.scalars(select(Post)).all()
    assert [p.raw for p in stored] == ["9栋的垃圾房三天没清了，味道很大"]
