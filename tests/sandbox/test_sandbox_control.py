"""The /_sandbox control routes, the seeded server, and ``python -m forumbot.sandbox``."""

from __future__ import annotations

import subprocess
import sys
import time

import requests
from sandbox_helpers import BOT, Api, Control

from forumbot.sandbox.server import SandboxServer, build_forum
from forumbot.sandbox.settings import SandboxSettings


def test_override_makes_malformed_items(api, ctl) -> None:
    null_raw = ctl.add_post("楼上漏水到我家了，请工程部来看看", title="a", override={"raw": None})
    no_name = ctl.add_post(
        "楼上漏水到我家了，请工程部来看看", title="b", override={"drop": ["username"]}
    )
    odd_type = ctl.add_post(
        "楼上漏水到我家了，请工程部来看看", title="c", override={"post_type": 99}
    )
    huge = ctl.add_post("漏水" * 500_000, title="d")
    items = {p["id"]: p for p in api.get("/posts.json").json()["latest_posts"]}
    assert items[null_raw["id"]]["raw"] is None
    assert "username" not in items[no_name["id"]]
    assert items[odd_type["id"]]["post_type"] == 99
    assert len(items[huge["id"]]["raw"]) == 1_000_000


def test_posts_by_lists_everything_a_user_wrote(api, ctl) -> None:
    topic = ctl.add_post("南门道闸坏了一周，车辆进出都要人工登记。", title="道闸")
    reply = {"topic_id": topic["topic_id"], "raw": "您好，感谢反馈，物业已联系厂家今天维修道闸。"}
    assert api.post("/posts.json", data=reply).status_code == 200
    ctl.add_post(
        "内部备注：厂家已确认。内部备注：厂家已确认。", BOT, topic_id=topic["topic_id"], post_type=4
    )
    ctl.add_post(
        "私信：您好，请留电话。私信：您好，请留电话。",
        BOT,
        archetype="private_message",
        recipients=["owner_li"],
    )
    mine = ctl.posts_by(BOT)
    assert [(p["post_type"], p["archetype"]) for p in mine] == [
        (1, "regular"),
        (4, "regular"),
        (1, "private_message"),
    ]
    assert ctl.posts_by("nobody") == []


def test_stats_count_requests_by_route_and_status(api, ctl) -> None:
    api.get("/posts.json")
    api.get("/posts/424242.json")
    stats = ctl.call("GET", "stats")
    assert stats["requests"] == {
        "GET /posts.json 200": 1,
        "GET /posts/<int:post_id>.json 404": 1,
    }
    assert stats["post_count"] == stats["max_post_id"] == 0


def test_reset_goes_back_to_the_seeded_forum() -> None:
    settings = SandboxSettings(rate_limit_per_minute=0)
    with SandboxServer.for_settings(settings) as server:
        api, ctl = Api(server.url), Control(server.url)
        try:
            seeded = api.latest_ids()
            assert seeded
            ctl.call("POST", "backlog", count=30)
            ctl.call("POST", "faults", rate=1.0, kinds=["503"])
            ctl.call("POST", "settings", memoize_seconds=0)
            ctl.call("POST", "reset")
            assert api.latest_ids() == seeded
            assert settings.memoize_seconds == 120 and ctl.call("GET", "stats")["faults"] == {}
        finally:
            api.close()
            ctl.close()


def test_build_forum_is_deterministic() -> None:
    one, two = build_forum(SandboxSettings()), build_forum(SandboxSettings())
    assert [(p.id, p.raw) for p in one.posts_by()] == [(p.id, p.raw) for p in two.posts_by()]
    assert one.user_named("forumbot").admin


def test_generator_adds_posts_over_time(make_server) -> None:
    server = make_server(generate_posts_per_minute=1200, rate_limit_per_minute=0)
    deadline = time.monotonic() + 5
    while len(server.forum.posts) < 3 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(server.forum.posts) >= 3


def test_module_runs_as_a_command() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "forumbot.sandbox", "--port", "0", "--no-seed"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = process.stdout.readline()
        url = line.strip().rsplit(" ", 1)[-1]
        assert url.startswith("http://127.0.0.1:")
        with requests.Session() as http:
            stats = http.get(f"{url}/_sandbox/stats", timeout=5).json()
            headers = {"Api-Key": "sandbox-admin-key", "Api-Username": BOT}
            latest = http.get(f"{url}/posts.json", headers=headers, timeout=5)
        assert stats["post_count"] == 0  # --no-seed
        assert latest.json() == {"latest_posts": []}
    finally:
        process.terminate()
        process.communicate(timeout=10)
    assert process.returncode == 0
