"""Reading the forum: each call sends the documented request and returns what a poller needs."""

from __future__ import annotations

import pytest

from forumbot import __version__
from forumbot.discourse import DiscourseClient, InvalidResponse


def test_latest_posts_returns_the_newest_page(client, forum, recorded):
    expected = forum.play("latest_posts")

    posts = client.latest_posts()

    assert posts == recorded("posts.json")["latest_posts"]
    ids = [post["id"] for post in posts]
    assert ids == sorted(ids, reverse=True)
    assert 20 not in ids  # ids have gaps: hidden, whispered or deleted posts are not listed
    forum.assert_received(expected)


def test_latest_posts_pages_down_with_before(client, forum, recorded):
    expected = forum.play("latest_posts_paging")

    first = client.latest_posts()
    second = client.latest_posts(before=first[0]["id"])

    assert [post["id"] for post in first] == [15, 14, 10, 2]
    assert [post["id"] for post in second] == [14, 10, 2]
    assert second == recorded("posts_before.json")["latest_posts"]
    forum.assert_received(expected)


def test_every_request_names_the_api_user_and_forumbot(client, forum, credentials):
    forum.play("latest_posts")

    client.latest_posts()

    headers = forum.received[0].headers
    api_key, api_username = credentials
    assert headers["Api-Key"] == api_key
    assert headers["Api-Username"] == api_username
    assert headers["Accept"] == "application/json"
    assert headers["User-Agent"].startswith(f"forumbot/{__version__}")
    assert forum.received[0].query == {}  # credentials never travel in the URL


def test_topic_returns_its_posts_and_stream(client, forum, recorded):
    expected = forum.play("topic")

    topic = client.topic(13)

    assert topic == recorded("topic_response.json")
    assert topic["post_stream"]["stream"] == [16]
    forum.assert_received(expected)


def test_topic_posts_asks_for_chosen_ids_with_raw(client, forum, recorded):
    expected = forum.play("topic_posts")

    posts = client.topic_posts(57, [123456])

    assert posts == recorded("topic_posts.json")["post_stream"]["posts"]
    forum.assert_received(expected)


def test_topic_posts_can_leave_raw_out(client, forum):
    forum.queue({"status": 200, "body_file": "topic_posts.json"})

    client.topic_posts(57, [7, 9], include_raw=False)

    assert forum.received[0].query == {"post_ids[]": ["7", "9"]}


def test_topic_posts_without_ids_asks_nothing(client, forum):
    assert client.topic_posts(57, []) == []
    assert forum.received == []
    assert client.calls == 0


def test_post_returns_one_post_with_raw(client, forum, recorded):
    expected = forum.play("single_post")

    post = client.post(33)

    assert post == recorded("get_post_response.json")
    assert post["raw"]
    forum.assert_received(expected)


@pytest.mark.parametrize(
    ("call", "body"),
    [
        (lambda c: c.latest_posts(), {"topic_list": {"topics": []}}),
        (lambda c: c.topic(13), {"id": 13}),
        (lambda c: c.topic_posts(13, [1]), {"post_stream": {}}),
        (lambda c: c.post(33), {"post": {"id": 33}}),
    ],
    ids=["latest_posts", "topic", "topic_posts", "post"],
)
def test_json_without_the_expected_root_is_invalid(client, forum, call, body):
    forum.queue({"status": 200, "json": body})

    with pytest.raises(InvalidResponse, match=r"expected|without a post id"):
        call(client)

    assert len(forum.received) == 1  # valid JSON of the wrong shape is not a hiccup: no retry


def test_calls_counts_requests_sent(client, forum):
    forum.play("latest_posts_paging")

    client.latest_posts()
    client.latest_posts(before=15)

    assert client.calls == 2


def test_client_works_as_a_context_manager(forum, credentials, recorded):
    forum.play("latest_posts")

    with DiscourseClient(forum.url, *credentials, requests_per_minute=0) as client:
        posts = client.latest_posts()

    assert posts == recorded("posts.json")["latest_posts"]


@pytest.mark.parametrize("base_url", ["forum.example.com", "ftp://forum.example.com"])
def test_base_url_needs_http_or_https(base_url, credentials):
    with pytest.raises(ValueError, match="http"):
        DiscourseClient(base_url, *credentials)
