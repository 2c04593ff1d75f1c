"""The forum model and the seed, without HTTP."""

from __future__ import annotations

import json
import random
import re
import threading
from datetime import UTC, datetime, timedelta

import pytest

from forumbot.sandbox.models import SMALL_ACTION, WHISPER, AlreadyActedError, NotFoundError, slugify
from forumbot.sandbox.seed import PostFactory, build_backlog, load_seed, load_seed_data
from forumbot.sandbox.state import SandboxForum

TEXT = "小区东门的路灯坏了好几天，晚上回家黑漆漆的很危险。"


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2024, 6, 1, 8, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def forum() -> SandboxForum:
    forum = SandboxForum(clock=Clock())
    forum.add_user("owner_li", "李先生")
    return forum


def test_one_id_sequence_for_every_kind_of_post(forum) -> None:
    first = forum.create_topic("owner_li", "路灯坏了", TEXT)
    pm = forum.create_topic(
        "forumbot", "跟进", "请留电话", archetype="private_message", recipients=["owner_li"]
    )
    whisper = forum.create_reply("system", first.topic_id, "内部备注", post_type=WHISPER)
    action = forum.close_topic(first.topic_id)
    assert [first.id, pm.id, whisper.id, action.id] == [1, 2, 3, 4]
    assert action.post_type == SMALL_ACTION and forum.topics[first.topic_id].closed
    assert [p.id for p in forum.latest_posts()] == [first.id]


def test_edit_moves_version_and_updated_at_but_not_the_id(forum) -> None:
    post = forum.create_topic("owner_li", "路灯坏了", TEXT)
    forum.clock.now += timedelta(minutes=5)
    edited = forum.edit_post(post.id, TEXT + "已经一周了！")
    assert (edited.id, edited.version) == (post.id, 2)
    assert edited.updated_at == forum.clock.now > edited.created_at


def test_delayed_post_commits_by_the_clock(forum) -> None:
    late = forum.create_topic("owner_li", "路灯", TEXT, visible_after=30)
    later = forum.create_topic("owner_li", "路灯2", TEXT + "！")
    assert [p.id for p in forum.latest_posts()] == [later.id]
    forum.clock.now += timedelta(seconds=31)
    assert [p.id for p in forum.latest_posts()] == [later.id, late.id]


def test_deleting_the_first_post_deletes_the_topic(forum) -> None:
    post = forum.create_topic("owner_li", "路灯坏了", TEXT)
    forum.delete_post(post.id)
    assert forum.topics[post.topic_id].deleted_at is not None
    assert forum.latest_posts() == []


def test_flags_once_per_user_and_type(forum) -> None:
    post = forum.create_topic("owner_li", "广告", "加微信买便宜装修材料，先到先得！")
    forum.flag("forumbot", post.id, 8, take_action=True)
    assert post.hidden
    with pytest.raises(AlreadyActedError):
        forum.flag("forumbot", post.id, 8)
    with pytest.raises(NotFoundError):
        forum.flag("forumbot", 999, 8)


def test_latest_posts_pages_by_bisect(forum) -> None:
    for i in range(130):
        forum.create_topic("owner_li", f"路灯{i}", TEXT)
    page = forum.latest_posts(before=101)
    assert [p.id for p in page] == list(range(100, 50, -1))
    assert forum.latest_posts(before=1) == []


def test_concurrent_creates_get_unique_ids(forum) -> None:
    def write() -> None:
        for _ in range(50):
            forum.create_topic("owner_li", "并发", TEXT)

    threads = [threading.Thread(target=write) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(forum.posts) == list(range(1, 201))


def test_chinese_titles_get_discourses_default_slug() -> None:
    assert slugify("南门道闸坏了") == "topic"
    assert slugify("地暖不热 14度") == "topic"
    assert slugify("Lift broken in block 3") == "lift-broken-in-block-3"


SEED = {
    "users": [{"username": "zhang_wei88", "name": "张伟"}],
    "categories": [{"id": 5, "name": "业主投诉", "slug": "complaints"}],
    "topics": [
        {
            "title": f"{n}栋卫生间漏水",
            "category_id": 5,
            "username": "zhang_wei88",
            "label": "engineering",
            "posts": [
                {
                    "username": "zhang_wei88",
                    "raw": f"我家{n}栋1202卫生间天花板一直渗水，报修三次了。",
                },
                {"username": "li_na", "raw": "顶", "label": "empty"},
            ],
        }
        for n in range(1, 9)
    ],
}


def test_seed_loading_is_deterministic(tmp_path) -> None:
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(SEED, ensure_ascii=False), encoding="utf-8")
    runs = []
    for _ in range(2):
        forum = SandboxForum()
        counts = load_seed(forum, load_seed_data(path))
        runs.append([(p.id, p.topic_id, p.raw) for p in forum.posts_by()])
    assert runs[0] == runs[1]
    assert counts == {"users": 4, "topics": 8, "posts": 16}  # with system and forumbot
    public = [p.id for p in forum.latest_posts()]
    assert len(public) == 16 and public[-1] > 1  # the welcome PM and a whisper take ids
    assert max(public) - min(public) + 1 > len(public)
    times = [p.created_at for p in forum.posts_by()]
    assert times == sorted(times) and times[0] < forum.clock() - timedelta(days=13)


def test_backlog_is_varied_realistic_chinese() -> None:
    forum = SandboxForum()
    factory = PostFactory(forum, SEED, random.Random(1))
    first, last = build_backlog(factory, 500)
    assert (first, last) == (1, 500)
    raws = [p.raw for p in forum.posts_by()]
    assert all(re.search(r"[\u4e00-\u9fff]", raw) for raw in raws)
    substantive = [raw for raw in raws if len(raw) > 12]
    assert len(set(substantive)) > 0.9 * len(substantive)
    assert {raw for raw in raws if len(raw) <= 12} == {"顶"}  # short posts stay what they are
    assert 100 < sum(p.post_number == 1 for p in forum.posts.values()) < 250


def test_the_packaged_seed_file_loads() -> None:
    forum = SandboxForum()
    counts = load_seed(forum, load_seed_data())
    assert counts["posts"] == len(forum.latest_posts(limit=10_000))
