"""Intake benchmark.

1. Backlog: a sandbox holding 10,000 posts answers 20% of requests with a fault (5xx, timeout,
   429 JSON and plain text, malformed JSON); intake reads to the end. Rate limit lifted, so the
   figure is forumbot's own cost. Reports posts/s, API calls per post, lost and duplicated.
2. Steady state: Discourse's real limit (60 admin requests a minute), one new post a second for
   60 s, the bot polling and publishing every 5 s, a reviewer approving a reply for every third
   post. Reports API calls per post handled and the 429s forumbot caused.

Prints one JSON line at the end.
"""

from __future__ import annotations

import json
import sys
import tempfile
import threading
import time
from pathlib import Path

from sqlalchemy import func, select

sys.path.insert(0, str(Path(__file__).parent))
from _sandbox import control, sandbox_process

from forumbot.cases import drafts
from forumbot.cases.drafts import DraftRef
from forumbot.discourse import DiscourseClient, DiscourseError
from forumbot.intake.poller import Poller
from forumbot.publish.publisher import Publisher
from forumbot.storage.database import make_engine, migrate, session_factory
from forumbot.storage.models import Draft, Post

BACKLOG = 10_000
FAULTS = ["500", "502", "503", "timeout", "429", "429_text", "malformed"]
STEADY_SECONDS = 60


def forum_ids(url: str) -> list[int]:
    with DiscourseClient(url, "sandbox-admin-key", "forumbot", requests_per_minute=0) as c:
        ids, before = [], None
        while page := c.latest_posts(before):
            ids.extend(p["id"] for p in page if p["username"] not in ("forumbot", "system"))
            before = min(p["id"] for p in page)
        return ids


def backlog_phase(url: str, sessions) -> dict:
    control(url, "POST", "backlog", count=BACKLOG)
    control(url, "POST", "faults", rate=0.2, kinds=FAULTS, timeout_seconds=0.3)
    client = DiscourseClient(
        url,
        "sandbox-admin-key",
        "forumbot",
        timeout=0.25,
        retries=8,
        backoff=0.01,
        max_wait=5,
        requests_per_minute=0,
    )
    poller = Poller(sessions=sessions, source=client, bot_username="forumbot", max_pages=1000)
    started = time.perf_counter()
    gave_up = 0
    while True:
        try:
            if poller.run_once().caught_up:
                break
        except DiscourseError:
            gave_up += 1
    elapsed = time.perf_counter() - started
    faults = control(url, "GET", "stats")["faults"]
    control(url, "POST", "faults", rate=0)
    with sessions() as s:
        stored = list(s.scalars(select(Post.forum_post_id)))
    expected = set(forum_ids(url))
    result = {
        "posts": len(stored),
        "seconds": round(elapsed, 2),
        "posts_per_s": round(len(stored) / elapsed, 1),
        "api_calls_per_post": round(client.calls / len(stored), 4),
        "faults_injected": sum(faults.values()),
        "runs_given_up": gave_up,
        "lost": len(expected - set(stored)),
        "duplicated": len(stored) - len(set(stored)),
    }
    client.close()
    return result


def steady_phase(url: str, sessions) -> dict:
    control(url, "POST", "settings", rate_limit_per_minute=60)
    before_stats = control(url, "GET", "stats")
    client = DiscourseClient(
        url, "sandbox-admin-key", "forumbot", timeout=5, requests_per_minute=50
    )
    poller = Poller(sessions=sessions, source=client, bot_username="forumbot")
    publisher = Publisher(
        sessions=sessions, forum=client, bot_username="forumbot", lease_seconds=60, retry_delay=5
    )
    with sessions() as s:
        first_new = s.scalar(select(func.max(Post.id))) or 0
    stop = threading.Event()

    def owners() -> None:
        n = 0
        while not stop.is_set():
            n += 1
            control(
                url,
                "POST",
                "posts",
                username="zhang_wei88",
                title=f"第{n}个问题",
                raw=f"12栋{n % 30 + 1}01室的窗户关不严，下雨就往里渗水，第{n}次反映了",
            )
            time.sleep(1)

    def reviewer() -> None:
        while not stop.is_set():
            with sessions() as s:
                for post in s.scalars(
                    select(Post).where(Post.id > first_new, ~Post.drafts.any(), Post.id % 3 == 0)
                ):
                    d = drafts.write_draft(
                        s, post, "感谢反馈，工程部将于3个工作日内上门检查窗户密封。", actor="李娜"
                    )
                    drafts.approve(s, DraftRef(d.id), actor="王小明")
                s.commit()
            time.sleep(1)

    threads = [threading.Thread(target=owners), threading.Thread(target=reviewer)]
    for t in threads:
        t.start()
    calls_before = client.calls
    deadline = time.monotonic() + STEADY_SECONDS
    while time.monotonic() < deadline:
        for job in (poller.run_once, publisher.run_once):
            try:
                job()
            except DiscourseError as exc:
                print(f"steady: {exc}", file=sys.stderr)
        time.sleep(5)
    stop.set()
    for t in threads:
        t.join()
    poller.run_once()
    publisher.run_once()
    calls = client.calls - calls_before
    with sessions() as s:
        new_posts = s.scalar(select(func.count()).select_from(Post).where(Post.id > first_new))
        published = s.scalar(
            select(func.count()).select_from(Draft).where(Draft.state == "published")
        )
    after_stats = control(url, "GET", "stats")
    client.close()
    return {
        "steady_new_posts": new_posts,
        "steady_replies_published": published,
        "steady_api_calls": calls,
        "steady_calls_per_post": round(calls / max(new_posts, 1), 3),
        "steady_429_caused": after_stats["rate_limited"] - before_stats["rate_limited"],
    }


def main() -> None:
    with (
        tempfile.TemporaryDirectory() as tmp,
        sandbox_process("--rate-limit", "0", "--memoize-seconds", "0") as url,
    ):
        engine = make_engine(f"sqlite:///{tmp}/bench.sqlite3")
        migrate(engine)
        sessions = session_factory(engine)
        result = {"bench": "intake", **backlog_phase(url, sessions)}
        print(json.dumps(result, ensure_ascii=False), file=sys.stderr)
        result.update(steady_phase(url, sessions))
        engine.dispose()
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
