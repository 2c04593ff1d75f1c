"""Webhooks as Discourse sends them: signed body, event headers, after the post commits."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sandbox_helpers import Api, Control

from forumbot.sandbox.webhooks import build_request, signature

SECRET = "my_lovely_secret_for_web_hook"


def test_signature_matches_discourses_test_vector() -> None:
    # API-NOTES §7: Discourse's own spec, secret + body {"ping":"OK"} (13 bytes).
    assert signature(SECRET, b'{"ping":"OK"}') == (
        "sha256=162f107f6b5022353274eb1a7197885cfd35744d8d08e5bcea025d309386b7d6"
    )


def test_request_carries_discourse_headers() -> None:
    headers, body = build_request("post_created", 7, {"id": 1}, SECRET, "http://forum.test")
    assert json.loads(body) == {"post": {"id": 1}}
    assert headers["X-Discourse-Event"] == "post_created"
    assert headers["X-Discourse-Event-Type"] == "post"
    assert headers["X-Discourse-Event-Id"] == "7"
    assert headers["X-Discourse-Instance"] == "http://forum.test"
    assert headers["X-Discourse-Event-Signature"] == signature(SECRET, body)
    assert "X-Discourse-Event-Signature" not in build_request("post_created", 7, {}, None, "x")[0]


class Receiver:
    """A tiny HTTP endpoint that records what it is sent."""

    def __init__(self) -> None:
        self.received: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append((dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                return None

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hook"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def wait_for(self, count: int, seconds: float = 5.0) -> list[tuple[dict[str, str], bytes]]:
        deadline = time.monotonic() + seconds
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return list(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    hook = Receiver()
    yield hook
    hook.close()


def test_post_created_and_edited_are_delivered_signed(make_server, receiver) -> None:
    server = make_server(webhook_url=receiver.url, webhook_secret=SECRET, rate_limit_per_minute=0)
    server.forum.add_user("owner_li")
    api, ctl = Api(server.url, "owner_li"), Control(server.url)
    try:
        created = api.post(
            "/posts.json",
            data={"title": "南门道闸坏了", "raw": "南门道闸坏了一周，车辆进出都要人工登记。"},
        ).json()
        ctl.call("POST", f"posts/{created['id']}/edit", raw="南门道闸坏了两周了，还是没人修！！")
        (first_headers, first_body), (edit_headers, edit_body) = receiver.wait_for(2)
    finally:
        api.close()
        ctl.close()

    assert first_headers["X-Discourse-Event"] == "post_created"
    assert edit_headers["X-Discourse-Event"] == "post_edited"
    for headers, body in ((first_headers, first_body), (edit_headers, edit_body)):
        expected = hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        assert headers["X-Discourse-Event-Signature"] == f"sha256={expected}"
        assert headers["X-Discourse-Instance"] == server.url
    post = json.loads(edit_body)["post"]
    assert post["id"] == created["id"] and post["version"] == 2 and "两周" in post["raw"]
    assert post["topic_title"] == "南门道闸坏了" and post["topic_archetype"] == "regular"
    assert "can_edit" not in post and "actions_summary" not in post


def test_a_late_commit_is_announced_only_when_visible(make_server, receiver) -> None:
    server = make_server(webhook_url=receiver.url, webhook_secret=SECRET)
    ctl = Control(server.url)
    try:
        late = ctl.add_post(
            "晚提交的帖子：电梯困人二十分钟！", "owner_li", visible_after_seconds=600
        )
        time.sleep(0.3)
        assert receiver.received == []
        ctl.call("POST", "reveal")
        [(_headers, body)] = receiver.wait_for(1)
    finally:
        ctl.close()
    assert json.loads(body)["post"]["id"] == late["id"]
