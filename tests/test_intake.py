"""Intake against the sandbox forum over HTTP: every post stored once, whatever the forum does."""

from __future__ import annotations

from sqlalchemy import func, select

from forumbot.cases import drafts
from forumbot.cases.drafts import DraftRef
from forumbot.intake.poller import Poller
from forumbot.storage.models import IntakeCursor, Post


def poller(sessions, client, **kw) -> Poller:
    return Poller(
        sessions=sessions,
        source=client,
        bot_username="forumbot",
        skip_usernames=frozenset({"system"}),
        **kw,
    )


def forum_ids(client) -> set[int]:
    """Every post /posts.json lists, walked independently of the poller."""
    ids, before = set(), None
    while True:
        page = client.latest_posts(before)
        if not page:
            return {i for i in ids}
        ids.update(p["id"] for p in page if p["username"] not in ("forumbot", "system"))
        before = min(p["id"] for p in page)


def stored_ids(sessions) -> list[int]:
    with sessions() as s:
        return list(s.scalars(select(Post.forum_post_id)))


def drain(p: Poller, limit: int = 100):
    for _ in range(limit):
        result = p.run_once()
        if result.caught_up:
            return result
    raise AssertionError("intake never caught up")


def test_first_poll_takes_in_every_seed_post_once(sessions, client):
    p = poller(sessions, client)
    first = drain(p)
    stored = stored_ids(sessions)
    assert len(stored) == len(set(stored)) == first.store.stored > 50
    assert set(stored) == forum_ids(client)
    again = p.run_once()
    assert again.store.stored == 0 and again.pages == 1


def test_backlog_resumes_and_mark_moves_only_when_walk_is_done(sessions, client, sandbox):
    sandbox.call("POST", "backlog", count=400)
    p = poller(sessions, client, max_pages=2)
    first = p.run_once()
    assert not first.caught_up and first.pages == 2
    with sessions() as s:
        cursor = s.get(IntakeCursor, "latest_posts")
        assert cursor.high_water_mark == 0 and cursor.walk_before is not None
    drain(p)
    stored = stored_ids(sessions)
    assert len(stored) == len(set(stored))
    assert set(stored) == forum_ids(client)


def test_post_visible_late_below_the_mark_is_caught(sessions, client, sandbox):
    p = poller(sessions, client)
    drain(p)
    late = sandbox.add_post(
        "我家12栋1801的阳台顶上渗水，墙皮都泡起来了，麻烦尽快处理",
        title="阳台渗水",
        visible_after_seconds=3600,
    )
    for i in range(5):
        sandbox.add_post(
            f"小区东门的路灯坏了第{i + 2}天了，晚上回家黑漆漆的很危险", title=f"路灯{i}"
        )
    drain(p)
    assert late["id"] not in stored_ids(sessions)
    sandbox.call("POST", "reveal")
    drain(p)
    assert late["id"] in stored_ids(sessions)


def test_skips_bot_private_messages_and_whispers(sessions, client, sandbox):
    bot = sandbox.add_post(
        "这是机器人自己发的回复内容，不应被收录。", username="forumbot", title="机器人"
    )
    pm = sandbox.add_post(
        "私信内容：请联系我处理合同问题，谢谢。", archetype="private_message", title="私信"
    )
    whisper = sandbox.add_post(
        "内部备注：此业主已多次投诉。", topic_id=bot["topic_id"], post_type=4
    )
    real = sandbox.add_post("电梯又坏了，困了我二十分钟！", title="电梯")
    drain(poller(sessions, client))
    stored = set(stored_ids(sessions))
    assert real["id"] in stored
    assert not stored & {bot["id"], pm["id"], whisper["id"]}


def test_edit_updates_post_and_retires_the_approved_draft(sessions, client, sandbox):
    created = sandbox.add_post("5栋的电梯天天坏，物业到底管不管？", title="电梯天天坏")
    p = poller(sessions, client)
    drain(p)
    with sessions() as s:
        post = s.scalar(select(Post).where(Post.forum_post_id == created["id"]))
        d = drafts.write_draft(
            s, post, "感谢反馈，物业已安排电梯维保单位今天下午检修。", actor="李娜"
        )
        drafts.approve(s, DraftRef(d.id), actor="王小明")
        s.commit()
        draft_id = d.id
    sandbox.call("POST", f"posts/{created['id']}/edit", raw="5栋的电梯天天坏，今天还关了人！")
    drain(p)
    with sessions() as s:
        post = s.scalar(select(Post).where(Post.forum_post_id == created["id"]))
        assert post.version == 2 and "关了人" in post.raw
        assert post.stage == "received"  # labelled and drafted again for the new text
        assert drafts.get_draft(s, draft_id).state == "superseded"


def test_malformed_items_are_stored_or_skipped_never_crash(sessions, client, sandbox):
    cases = {
        "null_raw": {"override": {"raw": None}},
        "no_username": {"override": {"drop": ["username"]}},
        "unknown_type": {"override": {"post_type": 99}},
        "huge": {},
        "script": {},
        "bad_date": {"override": {"created_at": "not a date"}},
    }
    ids = {}
    for name, extra in cases.items():
        raw = {
            "huge": "漏水" * 500_000,
            "script": "<script>alert(1)</script><img src=x onerror=alert(1)>天花板漏水",
        }.get(name, "楼上漏水到我家了，请工程部来看看")
        ids[name] = sandbox.add_post(raw, title=name, **extra)["id"]
    drain(poller(sessions, client))
    with sessions() as s:
        posts = {p.forum_post_id: p for p in s.scalars(select(Post))}
    assert posts[ids["null_raw"]].raw == "" and "raw missing" in posts[ids["null_raw"]].intake_note
    assert ids["no_username"] not in posts
    assert ids["unknown_type"] not in posts
    assert len(posts[ids["huge"]].raw) == 200_000
    assert posts[ids["script"]].raw.startswith("<script>alert(1)</script>")
    assert posts[ids["bad_date"]].forum_created_at is None


def test_two_pollers_store_each_post_once(sessions, client, sandbox):
    import threading

    sandbox.call("POST", "backlog", count=300)
    pollers = [poller(sessions, client, max_pages=3) for _ in range(2)]
    errors = []

    def run(p):
        try:
            drain(p)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(p,)) for p in pollers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    with sessions() as s:
        assert s.scalar(select(func.count()).select_from(Post)) == len(forum_ids(client))
