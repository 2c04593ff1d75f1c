"""Retries: reads are asked again, writes never once they may have reached the forum."""

from __future__ import annotations

import pytest

from forumbot.discourse import RequestTimeout, ServerError, TransportError

REPLY = "您好，感谢您的反馈。3栋2单元卫生间漏水的问题，维修师傅明天上午上门查看，请保持电话畅通。"


def test_server_error_on_a_read_is_retried(client, forum, recorded):
    expected = forum.play("server_error_then_ok")

    assert client.latest_posts() == recorded("posts_latest.json")["latest_posts"]

    assert client.calls == 2
    forum.assert_received(expected)


def test_server_error_on_a_read_gives_up_after_the_retries(client, forum):
    failure = {"status": 503, "json": {"errors": ["read only"], "error_type": "read_only"}}
    forum.queue(failure, failure, failure)

    with pytest.raises(ServerError, match="503 after 3 attempts") as caught:
        client.latest_posts()

    assert caught.value.errors == ["read only"]
    assert len(forum.received) == 3
    assert client.calls == 3


def test_bad_gateway_on_a_post_is_not_retried(client, forum):
    expected = forum.play("bad_gateway_on_post")

    with pytest.raises(ServerError, match=r"502\. It may have been carried out") as caught:
        client.create_reply(21, REPLY, reply_to_post_number=1)

    assert caught.value.status == 502
    assert "<html>" not in str(caught.value)
    assert client.calls == 1
    forum.assert_received(expected)  # exactly one request reached the forum


def test_read_timeout_on_a_post_is_not_retried(make_client, forum):
    client = make_client(timeout=0.3)
    expected = forum.play("timeout_on_post")

    with pytest.raises(RequestTimeout, match="not repeated"):
        client.create_reply(21, REPLY, reply_to_post_number=1)

    forum.assert_received(expected)


def test_read_timeout_on_a_read_is_retried(make_client, forum, recorded):
    client = make_client(timeout=0.3)
    expected = forum.play("timeout_then_ok")

    assert client.latest_posts() == recorded("posts_latest.json")["latest_posts"]

    forum.assert_received(expected)


def test_read_timeouts_on_a_read_give_up_after_the_retries(make_client, forum):
    client = make_client(timeout=0.2, retries=1)
    late = {"status": 200, "body_file": "posts_latest.json", "delay": 3.0}
    forum.queue(late, late)

    with pytest.raises(RequestTimeout, match=r"within 0\.2 s for GET /posts.json after 2 attempts"):
        client.latest_posts()

    assert len(forum.received) == 2


def test_dropped_connection_after_a_post_is_not_retried(client, forum):
    expected = forum.play("hang_up_on_post")

    with pytest.raises(TransportError, match="not repeated") as caught:
        client.create_reply(21, REPLY, reply_to_post_number=1)

    assert not isinstance(caught.value, RequestTimeout)
    forum.assert_received(expected)


def test_dropped_connection_on_a_read_is_retried(client, forum, recorded):
    expected = forum.play("hang_up_then_ok")

    assert client.latest_posts() == recorded("posts_latest.json")["latest_posts"]

    forum.assert_received(expected)


@pytest.mark.parametrize("method", ["latest_posts", "create_reply"])
def test_connection_refused_is_a_transport_error(make_client, dead_url, method, credentials):
    client = make_client(base_url=dead_url)
    call = {
        "latest_posts": lambda: client.latest_posts(),
        "create_reply": lambda: client.create_reply(21, REPLY),  # never reached: safe to retry
    }[method]

    with pytest.raises(TransportError) as caught:
        call()

    message = str(caught.value)
    assert "Connection refused" in message
    assert dead_url in message
    assert "after 3 attempts" in message
    assert client.calls == 3
    assert not any(secret in message for secret in credentials)
