"""Every post item, however malformed, becomes a stored post or a logged skip."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from forumbot.intake.parse import IncomingPost, Skip, parse_post

FIXTURES = Path(__file__).parent / "fixtures"


def good(**changes):
    item = {
        "id": 15,
        "username": "zhang_wei88",
        "raw": "楼上漏水到我家天花板了",
        "topic_id": 3,
        "topic_title": "漏水",
        "post_number": 2,
        "post_type": 1,
        "version": 1,
        "created_at": "2020-01-25T02:10:07.971Z",
        "category_id": 5,
        "reply_to_post_number": None,
    }
    item.update(changes)
    return item


def parse(item):
    return parse_post(item, bot_username="forumbot", skip_usernames=frozenset({"system"}))


def test_regular_post_kept_verbatim():
    p = parse(good(raw="<script>alert(1)</script>{{ 7*7 }}"))
    assert isinstance(p, IncomingPost)
    assert p.raw == "<script>alert(1)</script>{{ 7*7 }}"
    assert p.created_at.isoformat() == "2020-01-25T02:10:07.971000+00:00"


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"username": "ForumBot"}, "the bot's own post"),
        ({"username": "system"}, "skip_usernames"),
        ({"post_type": 4}, "whisper"),
        ({"post_type": 3}, "small action"),
        ({"post_type": 99}, "unknown"),
        ({"topic_archetype": "private_message"}, "private message"),
        ({"id": "abc"}, "invalid post id"),
        ({"id": None}, "invalid post id"),
        ({"username": None}, "no username"),
        ({"post_number": -1}, "topic_id/post_number"),
    ],
)
def test_skips_with_reason(changes, reason):
    result = parse(good(**changes))
    assert isinstance(result, Skip)
    assert reason in result.reason


def test_null_raw_is_stored_empty_with_a_note():
    p = parse(good(raw=None))
    assert isinstance(p, IncomingPost) and p.raw == "" and "raw missing" in p.note


def test_huge_raw_is_cut_with_a_note():
    p = parse(good(raw="漏水" * 500_000))
    assert isinstance(p, IncomingPost)
    assert len(p.raw) == 200_000 and "cut" in p.note


def test_bad_date_noted_not_fatal():
    p = parse(good(created_at="yesterday"))
    assert isinstance(p, IncomingPost) and p.created_at is None and "created_at" in p.note


def test_not_a_dict():
    assert isinstance(parse(["id", 3]), Skip)


def test_every_bad_input_fixture_is_handled():
    cases = json.loads((FIXTURES / "posts_bad_input.json").read_text(encoding="utf-8"))
    assert len(cases) >= 10
    for case in cases:
        item = dict(case)
        name = item.pop("case")
        spec = item.pop("raw_repeat", None)
        if spec:
            item["raw"] = spec["text"] * spec["times"]
        result = parse(item)
        assert isinstance(result, IncomingPost | Skip), name
        if isinstance(result, Skip):
            assert result.reason, name
