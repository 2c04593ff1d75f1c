"""The publisher against the sandbox over HTTP: approved replies reach the forum exactly once."""

from __future__ import annotations

import threading
import time

import pytest
from sqlalchemy import select, update

from forumbot.cases import drafts
from forumbot.cases.drafts import DraftRef
from forumbot.intake.poller import Poller
from forumbot.publish.marker import marker, strip_marker
from forumbot.publish.publisher import Publisher
from forumbot.storage import audit
from forumbot.storage.models import Draft, Post

REPLY = "感谢您的反馈，给您带来不便非常抱歉。工程部将于3个工作日内上门查看，请保持电话畅通。"


def publisher(sessions, client, **kw) -> Publisher:
    kw.setdefault("retry_delay", 0)
    kw.setdefault("lease_seconds", 30)
    return Publisher(sessions=sessions, forum=client, bot_username="forumbot", **kw)


@pytest.fixture
def approved(sessions, client, sandbox):
    """A post taken in from the sandbox and a reply to it approved by a person."""
    created = sandbox.add_post(
        "12栋1801卫生间天花板渗水，已经报修两次还没人来看！！", title="渗水没人管"
    )
    Poller(sessions=sessions, source=client, bot_username="forumbot").run_once()
    with sessions() as s:
        post = s.scalar(select(Post).where(Post.forum_post_id == created["id"]))
        d = drafts.write_draft(s, post, REPLY, actor="李娜")
        drafts.approve(s, DraftRef(d.id), actor="王小明")
        s.commit()
        return {
            "draft": d.id,
            "post": created["id"],
            "topic": created["topic_id"],
            "public_id": d.public_id,
        }


def replies(sandbox, public_id):
    return [p for p in sandbox.posts_by("forumbot") if marker(public_id) in (p.get("raw") or "")]


def state(sessions, draft_id):
    with sessions() as s:
        draft = drafts.get_draft(s, draft_id)
        _ = draft.post.raw  # loaded while the session is open
        return draft


def test_approved_reply_published_once_with_marker(sessions, client, sandbox, approved):
    result = publisher(sessions, client).run_once()
    assert result.published == [approved["draft"]]
    [reply] = replies(sandbox, approved["public_id"])
    assert reply["topic_id"] == approved["topic"]
    assert strip_marker(reply["raw"]) == REPLY
    d = state(sessions, approved["draft"])
    assert d.state == "published" and d.forum_reply_id == reply["id"]
    assert publisher(sessions, client).run_once().published == []
    assert len(replies(sandbox, approved["public_id"])) == 1
    with sessions() as s:
        actions = [e.action for e in audit.history(s, approved["draft"])]
    assert actions == ["create", "approve", "publish_attempt", "publish_result"]


def test_post_created_but_answer_lost_is_found_not_repeated(sessions, client, sandbox, approved):
    sandbox.faults(1.0, ["after_commit"])
    first = publisher(sessions, client).run_once()
    assert first.retry_later == [approved["draft"]]
    assert len(replies(sandbox, approved["public_id"])) == 1  # the forum has it already
    sandbox.faults(0)
    second = publisher(sessions, client).run_once()
    assert second.published == [approved["draft"]]
    assert len(replies(sandbox, approved["public_id"])) == 1
    assert state(sessions, approved["draft"]).publish_attempts == 2


def test_deleted_post_supersedes_the_draft(sessions, client, sandbox, approved):
    sandbox.call("POST", f"posts/{approved['post']}/delete")
    result = publisher(sessions, client).run_once()
    assert result.superseded == [approved["draft"]]
    assert replies(sandbox, approved["public_id"]) == []
    assert state(sessions, approved["draft"]).post.deleted


def test_post_edited_after_approval_is_superseded_and_drafted_again(
    sessions, client, sandbox, approved
):
    sandbox.call("POST", f"posts/{approved['post']}/edit", raw="渗水已经滴到床上了，还是没人来！")
    result = publisher(sessions, client).run_once()
    assert result.superseded == [approved["draft"]]
    d = state(sessions, approved["draft"])
    assert d.state == "superseded" and "滴到床上" in d.post.raw
    assert d.post.version == 2 and d.post.stage == "received"  # labelled and drafted again
    assert replies(sandbox, approved["public_id"]) == []


def test_closed_topic_fails_with_the_forums_reason(sessions, sandbox, approved):
    """Staff may post in closed topics; a bot account that is not staff gets a 422."""
    from forumbot.discourse import DiscourseClient

    sandbox.call("POST", f"topics/{approved['topic']}/close")
    with DiscourseClient(
        sandbox.url, "sandbox-admin-key", "zhang_wei88", timeout=1, requests_per_minute=0
    ) as not_staff:
        p = Publisher(
            sessions=sessions,
            forum=not_staff,
            bot_username="zhang_wei88",
            lease_seconds=30,
            retry_delay=0,
        )
        result = p.run_once()
    assert result.failed == [approved["draft"]]
    d = state(sessions, approved["draft"])
    assert (
        d.state == "failed"
        and "论坛拒绝" in d.failure_reason
        and "closed" in d.failure_reason.lower()
    )
    assert replies(sandbox, approved["public_id"]) == []


def test_staff_bot_may_answer_in_a_closed_topic(sessions, client, sandbox, approved):
    sandbox.call("POST", f"topics/{approved['topic']}/close")
    assert publisher(sessions, client).run_once().published == [approved["draft"]]


def test_no_approval_in_audit_log_means_nothing_is_posted(sessions, client, sandbox, make_post):
    created = sandbox.add_post("地下车库的灯坏了一半，晚上停车看不清。", title="车库灯")
    Poller(sessions=sessions, source=client, bot_username="forumbot").run_once()
    with sessions() as s:
        post = s.scalar(select(Post).where(Post.forum_post_id == created["id"]))
        d = drafts.write_draft(s, post, REPLY, actor="李娜")
        s.flush()
        # Someone flips the state in the database without approving through the queue.
        s.execute(update(Draft).where(Draft.id == d.id).values(state="approved"))
        s.commit()
        draft_id, public_id = d.id, d.public_id
    result = publisher(sessions, client).run_once()
    assert result.failed == [draft_id]
    assert "人工批准" in state(sessions, draft_id).failure_reason
    assert replies(sandbox, public_id) == []


def test_forum_down_retries_then_fails_after_max_attempts(sessions, client, sandbox, approved):
    sandbox.faults(1.0, ["503"])
    p = publisher(sessions, client, max_attempts=2)
    for _ in range(3):
        p.run_once()
    d = state(sessions, approved["draft"])
    assert d.state == "failed" and "超过 2 次" in d.failure_reason
    sandbox.faults(0)
    assert replies(sandbox, approved["public_id"]) == []


def test_bad_key_keeps_the_draft_for_later(sessions, sandbox, approved):
    from forumbot.discourse import DiscourseClient

    wrong = DiscourseClient(
        sandbox.url, "wrong-key", "forumbot", timeout=1, retries=0, requests_per_minute=0
    )
    result = publisher(sessions, wrong).run_once()
    wrong.close()
    assert result.retry_later == [approved["draft"]]
    assert state(sessions, approved["draft"]).state == "publishing"


def test_two_publishers_post_once(sessions, client, sandbox, approved):
    sandbox.faults(0.3, ["timeout", "502", "after_commit"], timeout_seconds=0.7)
    # retry_delay outlasts the sandbox's slow answer, as the default 10 s outlasts a real one.
    workers = [publisher(sessions, client, lease_seconds=5, retry_delay=1.5) for _ in range(2)]
    deadline = time.monotonic() + 30

    def work(p):
        while (
            time.monotonic() < deadline and state(sessions, approved["draft"]).state != "published"
        ):
            p.run_once()
            time.sleep(0.05)

    threads = [threading.Thread(target=work, args=(w,)) for w in workers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    sandbox.faults(0)
    assert state(sessions, approved["draft"]).state == "published"
    assert len(replies(sandbox, approved["public_id"])) == 1


def test_a_live_attempt_keeps_its_draft_however_slow_the_forum(sessions, sandbox, approved):
    """The lease is short (a crash is recovered quickly), but a heartbeat renews it while the
    attempt runs: a second worker never takes over a draft that is still being published."""
    from forumbot.discourse import DiscourseClient

    def slow_client() -> DiscourseClient:
        return DiscourseClient(
            sandbox.url, "sandbox-admin-key", "forumbot", timeout=10, retries=0,
            requests_per_minute=0,
        )  # fmt: skip

    sandbox.faults(1.0, ["timeout"], timeout_seconds=2.0)  # every answer takes 2 s
    with slow_client() as first_forum, slow_client() as second_forum:
        first = publisher(sessions, first_forum, lease_seconds=1.5)
        second = publisher(sessions, second_forum, lease_seconds=1.5)
        outcome = {}
        worker = threading.Thread(target=lambda: outcome.update(first=first.run_once()))
        worker.start()
        while state(sessions, approved["draft"]).lease_owner != first.worker_id:
            time.sleep(0.01)  # the first worker claims the draft before the second looks
        taken_over = []
        while worker.is_alive():
            taken_over += second.run_once().published + second.run_once().retry_later
            time.sleep(0.1)
        worker.join()
    sandbox.faults(0)
    assert outcome["first"].published == [approved["draft"]]
    assert taken_over == []
    with sessions() as s:
        attempts = [e for e in audit.history(s, approved["draft"]) if e.action == "publish_attempt"]
    assert len(attempts) == 1, "the second worker claimed a draft whose attempt was running"
    assert len(replies(sandbox, approved["public_id"])) == 1
