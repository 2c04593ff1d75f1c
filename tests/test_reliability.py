"""Reliability against the sandbox over real HTTP: faults, SIGKILL at random moments, and two
runners on one database. Nothing lost, nothing stored twice, no reply posted twice, and no
reply posted without a person's approval in the audit log."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm.exc import StaleDataError

from forumbot.cases import drafts as case_drafts
from forumbot.cases.drafts import DraftRef
from forumbot.discourse import DiscourseClient, DiscourseError
from forumbot.intake.poller import Poller
from forumbot.publish.marker import MARKER_PREFIX
from forumbot.review.errors import ReviewError
from forumbot.storage import audit
from forumbot.storage.models import Draft, IntakeCursor, Post

pytestmark = pytest.mark.slow
READ_FAULTS = ["500", "502", "503", "timeout", "429", "429_text", "malformed"]
REPLY = "感谢您的反馈，给您带来的不便我们深表歉意。相关部门将于3个工作日内联系您。"


def forum_ids(client) -> list[int]:
    ids, before = [], None
    while page := client.latest_posts(before):
        ids.extend(p["id"] for p in page if p["username"] not in ("forumbot", "system"))
        before = min(p["id"] for p in page)
    return ids


def stored_ids(sessions) -> list[int]:
    with sessions() as s:
        return list(s.scalars(select(Post.forum_post_id)))


def test_2000_posts_under_20_percent_faults_each_stored_once(sessions, sandbox):
    client = DiscourseClient(
        sandbox.url,
        "sandbox-admin-key",
        "forumbot",
        timeout=0.3,
        retries=6,
        backoff=0.01,
        max_wait=3,
        requests_per_minute=0,
    )
    sandbox.faults(0.2, READ_FAULTS, timeout_seconds=0.4)
    poller = Poller(sessions=sessions, source=client, bot_username="forumbot", max_pages=2)

    def produce():
        for _ in range(200):
            sandbox.call("POST", "backlog", count=10)
            time.sleep(0.02)

    producer = threading.Thread(target=produce)
    producer.start()
    errors = 0
    while producer.is_alive() or errors < 1000:
        try:
            if poller.run_once().caught_up and not producer.is_alive():
                break
        except DiscourseError:
            errors += 1  # the job gives up its turn; the next run goes on
    producer.join()
    sandbox.faults(0)
    while not poller.run_once().caught_up:
        pass
    stats = sandbox.call("GET", "stats")
    client.close()
    stored = stored_ids(sessions)
    assert len(stored) == len(set(stored)), "a post was stored twice"
    expected = forum_ids(
        DiscourseClient(sandbox.url, "sandbox-admin-key", "forumbot", requests_per_minute=0)
    )
    assert sorted(stored) == sorted(expected), "a post was lost"
    assert len(expected) >= 2000
    assert sum(stats["faults"].values()) >= 10, stats


class Runner:
    """`forumbot run` in its own process, as an operator would start it."""

    def __init__(self, sandbox_url: str, database_url: str, tmp_path, name: str):
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("FORUMBOT_")},
            "DISCOURSE_API_KEY": "sandbox-admin-key",
            "DISCOURSE_API_USERNAME": "forumbot",
            "FORUMBOT_DATABASE_URL": database_url,
            "FORUMBOT_FORUM_BASE_URL": sandbox_url,
            "FORUMBOT_FORUM_TIMEOUT_SECONDS": "0.5",
            "FORUMBOT_FORUM_RETRIES": "2",
            "FORUMBOT_FORUM_MAX_WAIT_SECONDS": "1",
            "FORUMBOT_FORUM_REQUESTS_PER_MINUTE": "0",
            "FORUMBOT_INTAKE_POLL_SECONDS": "1",
            "FORUMBOT_INTAKE_MAX_PAGES_PER_RUN": "3",
            "FORUMBOT_PUBLISHER_INTERVAL_SECONDS": "1",
            "FORUMBOT_PUBLISHER_LEASE_SECONDS": "10",
            "FORUMBOT_PUBLISHER_RETRY_DELAY_SECONDS": "1.5",
        }
        self.log_path = tmp_path / f"{name}.log"
        self.log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.starts_seen = 0
        self.proc: subprocess.Popen | None = None

    def wait_until_running(self, timeout: float = 30) -> None:
        """Block until this start's "running against" line is in the log."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.log.flush()
            if self.log_path.read_bytes().count(b"running against") > self.starts_seen:
                self.starts_seen += 1
                return
            time.sleep(0.05)
        raise AssertionError("the runner did not start")

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "forumbot", "run"],
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log.close()


class Approver:
    """A reviewer who approves the bot's reply drafts as they appear, up to ``limit``."""

    def __init__(self, sessions, limit: int):
        self.sessions, self.limit, self.done = sessions, limit, threading.Event()
        self.approved: set[int] = set()
        self.conflicts = 0
        self.thread = threading.Thread(target=self.work)

    def work(self) -> None:
        while not self.done.is_set() and len(self.approved) < self.limit:
            with self.sessions() as s:
                waiting = s.scalars(
                    select(Draft.id)
                    .where(Draft.state == "pending_approval", Draft.kind == "reply")
                    .order_by(Draft.id)
                    .limit(self.limit - len(self.approved))
                ).all()
            for draft_id in waiting:
                # One approval per transaction, at the revision the reviewer read, as the
                # console does. The bot may rewrite a draft meanwhile (a neighbour joined
                # the case): that approval is refused, and the reviewer reads it again.
                with self.sessions() as s:
                    try:
                        revision = s.get(Draft, draft_id).revision
                        draft = case_drafts.approve(s, DraftRef(draft_id, revision), actor="王小明")
                        if draft.state == "pending_approval":  # sensitive: a second person
                            case_drafts.approve(s, DraftRef(draft_id), actor="周主管")
                        s.commit()
                    except (StaleDataError, ReviewError):
                        s.rollback()
                        self.conflicts += 1
                        continue
                self.approved.add(draft_id)
            time.sleep(0.2)


APPROVED_OR_PUBLISHING = ("approved", "publishing")


def settle(sessions, client, runner: Runner, deadline: float) -> None:
    """Let a runner finish the work: intake caught up and every approved draft published."""
    runner.start()
    try:
        while time.monotonic() < deadline:
            with sessions() as s:
                open_drafts = s.scalar(
                    select(func.count())
                    .select_from(Draft)
                    .where(Draft.state.in_(APPROVED_OR_PUBLISHING))
                )
                cursor = s.get(IntakeCursor, "latest_posts")
                walking = cursor is None or cursor.walk_before is not None
            if (
                not open_drafts
                and not walking
                and len(stored_ids(sessions)) == len(forum_ids(client))
            ):
                return
            time.sleep(0.5)
        raise AssertionError("the runner did not finish in time")
    finally:
        runner.stop()


def check_invariants(sessions, client, sandbox, approved: set[int]) -> None:
    stored = stored_ids(sessions)
    assert len(stored) == len(set(stored)), "a post was stored twice"
    assert sorted(stored) == sorted(forum_ids(client)), "a post was lost"
    bot_posts = sandbox.posts_by("forumbot")
    markers = [p["raw"][p["raw"].rfind(MARKER_PREFIX) :] for p in bot_posts]
    assert len(markers) == len(set(markers)), "a reply was posted twice"
    with sessions() as s:
        drafts = {d.public_id: d for d in s.scalars(select(Draft))}
        published = {d.id for d in drafts.values() if d.state == "published"}
        assert published == approved, "every approved reply published, and nothing else"
        for raw in markers:
            draft = drafts[raw[len(MARKER_PREFIX) :].split()[0]]
            assert audit.approval_covers(s, draft) is not None, "published without approval"
        assert len(bot_posts) == len(published)


def test_sigkill_at_random_moments_loses_nothing_and_posts_once(
    sessions, sandbox, database_url, tmp_path
):
    client = DiscourseClient(sandbox.url, "sandbox-admin-key", "forumbot", requests_per_minute=0)
    sandbox.call("POST", "backlog", count=200)
    sandbox.faults(0.1, [*READ_FAULTS, "after_commit"], timeout_seconds=0.6)
    approver = Approver(sessions, limit=40)
    approver.thread.start()
    runner = Runner(sandbox.url, database_url, tmp_path, "killed")
    rng = random.Random(7)
    kills = 0
    try:
        # Warm-up, not counted: the first start takes in, labels and drafts the backlog (a
        # few seconds on PostgreSQL) until replies wait for the publisher, so that the kills
        # below land while replies are being posted rather than all before the first draft.
        runner.start()
        runner.wait_until_running()
        # Drafts are committed one post at a time, so approvals trickle in: wait until half
        # of the reviewer's approvals are in, so that every start below has replies to post.
        warm = time.monotonic() + 60
        while len(approver.approved) < approver.limit // 2 and time.monotonic() < warm:
            time.sleep(0.1)
        runner.kill()
        for _ in range(8):
            runner.start()
            # Starting takes about 2 s (imports, model, jieba); the kill lands while it works.
            runner.wait_until_running()
            time.sleep(rng.uniform(0.05, 3.0))
            runner.kill()
            kills += 1
        approver.thread.join(timeout=60)
        with sessions() as s:
            attempted_under_kills = s.scalar(
                select(func.count()).select_from(Draft).where(Draft.ever_attempted)
            )
        sandbox.faults(0)
        settle(
            sessions,
            client,
            Runner(sandbox.url, database_url, tmp_path, "final"),
            time.monotonic() + 90,
        )
    finally:
        approver.done.set()
        runner.log.close()
    assert kills == 8
    assert attempted_under_kills >= 8, "the kills should land while replies are being posted"
    assert len(approver.approved) == 40
    check_invariants(sessions, client, sandbox, approver.approved)
    client.close()


def test_two_runners_on_one_database(sessions, sandbox, database_url, tmp_path):
    client = DiscourseClient(sandbox.url, "sandbox-admin-key", "forumbot", requests_per_minute=0)
    sandbox.call("POST", "backlog", count=400)
    sandbox.faults(0.1, [*READ_FAULTS, "after_commit"], timeout_seconds=0.6)
    approver = Approver(sessions, limit=30)
    approver.thread.start()
    runners = [Runner(sandbox.url, database_url, tmp_path, f"r{i}") for i in range(2)]
    for r in runners:
        r.start()
    try:
        approver.thread.join(timeout=90)  # the reviewer works while both runners do
    finally:
        approver.done.set()
        approver.thread.join()
    sandbox.faults(0)
    deadline = time.monotonic() + 90
    try:
        while time.monotonic() < deadline:
            with sessions() as s:
                left = s.scalar(
                    select(func.count())
                    .select_from(Draft)
                    .where(Draft.state.in_(APPROVED_OR_PUBLISHING))
                )
            if not left and len(stored_ids(sessions)) == len(forum_ids(client)):
                break
            time.sleep(0.5)
    finally:
        for r in runners:
            r.stop()
    assert len(approver.approved) == 30
    check_invariants(sessions, client, sandbox, approver.approved)
    client.close()


def test_a_draft_killed_mid_publish_is_recovered_within_the_lease(
    sessions, sandbox, database_url, tmp_path
):
    """SIGKILL while a reply is being published: with the shipped lease (renewed while an
    attempt runs, so it can be short) the next runner publishes it well within a minute."""
    client = DiscourseClient(sandbox.url, "sandbox-admin-key", "forumbot", requests_per_minute=0)
    created = sandbox.add_post("12栋1801卫生间天花板渗水，报修两次没人来看", title="渗水")
    Poller(sessions=sessions, source=client, bot_username="forumbot").run_once()
    with sessions() as s:
        post = s.scalar(select(Post).where(Post.forum_post_id == created["id"]))
        draft = case_drafts.write_draft(s, post, REPLY, actor="李娜")
        case_drafts.approve(s, DraftRef(draft.id), actor="王小明")
        s.commit()
        draft_id, public_id = draft.id, draft.public_id

    def draft_state() -> str:
        with sessions() as s:
            return s.get(Draft, draft_id).state

    sandbox.faults(1.0, ["timeout"], timeout_seconds=0.3)  # slow answers: the kill lands mid-way
    killed = Runner(sandbox.url, database_url, tmp_path, "killed")
    for runner in (killed, recovery := Runner(sandbox.url, database_url, tmp_path, "recovery")):
        del runner.env["FORUMBOT_PUBLISHER_LEASE_SECONDS"]  # the shipped default
    killed.start()
    try:
        deadline = time.monotonic() + 60
        while draft_state() != "publishing" and time.monotonic() < deadline:
            time.sleep(0.01)
        assert draft_state() == "publishing", "the runner never started publishing"
        killed.kill()
        killed_at = time.monotonic()
    finally:
        killed.stop()
    sandbox.faults(0)
    recovery.start()
    try:
        deadline = killed_at + 120
        while draft_state() != "published" and time.monotonic() < deadline:
            time.sleep(0.1)
        delay = time.monotonic() - killed_at
    finally:
        recovery.stop()
    print(f"recovered {delay:.1f} s after the kill")
    assert draft_state() == "published"
    assert delay < 40, f"a killed attempt waited {delay:.0f} s before anyone retried it"
    marked = [p for p in sandbox.posts_by("forumbot") if public_id in (p.get("raw") or "")]
    assert len(marked) == 1
    client.close()
