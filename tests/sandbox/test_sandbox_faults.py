"""Faults and the admin-API rate limiter: what a client sees, and that they are reproducible."""

from __future__ import annotations

import json

import pytest
import requests
from sandbox_helpers import BOT, Api, Control

from forumbot.sandbox.faults import FaultInjector, RateLimiter, time_left

COMPLAINT = "12栋1801卫生间天花板渗水，已经报修两次还没人来看！！"
REPLY = "您好，感谢您的反馈，我们已通知工程部明天上门查看渗水情况。"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limiter_rolls_over_a_minute() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3, clock=clock)
    assert [limiter.hit() for _ in range(3)] == [None, None, None]
    clock.now += 21
    assert limiter.hit() == 39  # the first hit leaves the window 39 s from now
    clock.now += 39
    assert limiter.hit() is None
    assert limiter.limited == 1


def test_time_left_wording_matches_discourse() -> None:
    assert [time_left(s) for s in (1, 3, 4, 39, 60, 150)] == [
        "a few seconds",
        "a few seconds",
        "4 seconds",
        "39 seconds",
        "1 minute",
        "2 minutes",
    ]


def test_faults_are_reproducible_with_a_seed() -> None:
    runs = []
    for _ in range(2):
        faults = FaultInjector(rate=0.5, seed=7)
        runs.append([faults.draw(is_create=False) for _ in range(200)])
    assert runs[0] == runs[1]
    assert "after_commit" not in runs[0]  # only creates can fail after commit
    assert 60 < sum(kind is not None for kind in runs[0]) < 140


def test_rate_limit_answers_429_then_recovers(make_server) -> None:
    server = make_server(rate_limit_per_minute=3)
    clock = FakeClock()
    server.runtime.limiter.clock = clock
    api, owner = Api(server.url), Api(server.url, "system")
    try:
        assert [api.get("/posts.json").status_code for _ in range(2)] == [200, 200]
        assert owner.get("/posts.json").status_code == 200  # one budget for the whole site
        clock.now += 21
        limited = api.get("/posts.json")
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "39"
        assert limited.headers["Discourse-Rate-Limit-Error-Code"] == "admin_api_key_rate_limit"
        assert limited.json() == {
            "errors": [
                "You’ve performed this action too many times. "
                "Please wait 39 seconds before trying again."
            ],
            "error_type": "rate_limit",
            "extras": {"wait_seconds": 39, "time_left": "39 seconds"},
        }
        clock.now += 39
        assert api.get("/posts.json").status_code == 200
        stats = Control(server.url)
        assert stats.call("GET", "stats")["rate_limited"] == 1  # control routes are not limited
        stats.close()
    finally:
        api.close()
        owner.close()


@pytest.fixture
def faulty(make_server):
    server = make_server(rate_limit_per_minute=0, memoize_seconds=0, timeout_seconds=0.5)
    server.forum.add_user("owner_li")
    topic = server.forum.create_topic("owner_li", "渗水没人管", COMPLAINT)
    api, ctl = Api(server.url), Control(server.url)
    yield api, ctl, topic.topic_id
    api.close()
    ctl.close()


def _set(ctl: Control, kind: str) -> None:
    ctl.call("POST", "faults", rate=1.0, kinds=[kind], timeout_seconds=0.5)


@pytest.mark.parametrize(
    ("kind", "status", "content_type"),
    [
        ("500", 500, "application/json; charset=utf-8"),
        ("502", 502, "text/html"),
        ("503", 503, "text/html"),
        ("429", 429, "application/json; charset=utf-8"),
        ("429_text", 429, "text/plain"),
    ],
)
def test_error_faults(faulty, kind, status, content_type) -> None:
    api, ctl, _ = faulty
    _set(ctl, kind)
    response = api.get("/posts.json")
    assert response.status_code == status
    assert response.headers["Content-Type"] == content_type
    if kind == "429":
        assert response.headers["Retry-After"] == "1"
        assert response.json()["extras"]["wait_seconds"] == 1
    if kind == "429_text":
        assert response.headers["Retry-After"] == "1"
        assert response.text == (
            "Slow down, too many requests from this IP address.\n"
            "Please retry again in 1 seconds.\nError code: ip_10_secs_limit."
        )
    assert ctl.call("GET", "stats")["faults"] == {kind: 1}


def test_timeout_fault_outlasts_a_short_read_timeout(faulty) -> None:
    api, ctl, _ = faulty
    _set(ctl, "timeout")
    with pytest.raises(requests.ReadTimeout):
        api.get("/posts.json", timeout=0.1)
    assert api.get("/posts.json", timeout=3).status_code == 200  # slow, then normal


def test_malformed_fault_is_a_200_that_does_not_parse(faulty) -> None:
    api, ctl, _ = faulty
    _set(ctl, "malformed")
    response = api.get("/posts.json")
    assert response.status_code == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


def test_after_commit_fault_creates_the_post_anyway(faulty) -> None:
    api, ctl, topic_id = faulty
    _set(ctl, "after_commit")
    outcomes = []
    for i in range(6):
        try:
            response = api.post(
                "/posts.json", data={"topic_id": topic_id, "raw": f"{REPLY}（{i}）"}, timeout=0.2
            )
            outcomes.append(response.status_code)
        except requests.ReadTimeout:
            outcomes.append("timeout")
    assert set(outcomes) <= {502, "timeout"}
    assert len(ctl.posts_by(BOT)) == 6  # every one of them is on the forum
    assert api.get("/posts.json").status_code == 200  # reads are never after-commit faults


def test_control_routes_never_fail(faulty) -> None:
    api, ctl, _ = faulty
    ctl.call("POST", "faults", rate=1.0, kinds=["500", "502", "503"])
    assert ctl.call("GET", "stats")["post_count"] == 1
    ctl.call("POST", "faults", rate=0)
    assert api.get("/posts.json").status_code == 200
