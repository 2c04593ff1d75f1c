"""Failures a person must understand: one line, the forum's own words, never a secret."""

from __future__ import annotations

import pytest

from forumbot.discourse import (
    DiscourseError,
    Forbidden,
    HTTPStatusError,
    InvalidResponse,
    NotFound,
    Unprocessable,
)

REPLY = "您好，感谢您的反馈。3栋2单元卫生间漏水的问题，维修师傅明天上午上门查看，请保持电话畅通。"


def assert_readable(error: DiscourseError, credentials: tuple[str, str]) -> None:
    """One line, and neither the key nor the username anywhere a log could show it."""
    text = str(error)
    assert "\n" not in text
    for secret in credentials:
        assert secret not in text
        assert secret not in repr(error)


def test_bad_key_says_which_settings_to_check(client, forum, credentials):
    expected = forum.play("forbidden_bad_key")

    with pytest.raises(Forbidden) as caught:
        client.latest_posts()

    error = caught.value
    assert error.status == 403
    assert error.error_type == "invalid_access"
    assert error.errors == [
        "You are not permitted to view the requested resource. The API username or key is invalid."
    ]
    assert "The API username or key is invalid." in str(error)
    assert "DISCOURSE_API_KEY" in str(error) and "DISCOURSE_API_USERNAME" in str(error)
    assert (error.method, error.path) == ("GET", "/posts.json")
    assert_readable(error, credentials)
    forum.assert_received(expected)


def test_missing_post_is_not_found(client, forum, credentials):
    expected = forum.play("not_found")

    with pytest.raises(NotFound, match="could not be found") as caught:
        client.post(999)

    assert caught.value.status == 404
    assert caught.value.error_type == "not_found"
    assert_readable(caught.value, credentials)
    forum.assert_received(expected)


def test_gone_topic_is_not_found(client, forum):
    forum.queue({"status": 410, "json": {"errors": ["gone"], "error_type": "not_found"}})

    with pytest.raises(NotFound):
        client.topic(5)


def test_refused_reply_carries_the_forums_reasons(client, forum, credentials):
    expected = forum.play("unprocessable_reply")

    with pytest.raises(Unprocessable) as caught:
        client.create_reply(21, REPLY, reply_to_post_number=1)

    error = caught.value
    assert error.status == 422
    assert error.error_type is None  # create_post failures carry no error_type
    assert error.errors == [
        "Body is too short (minimum is 20 characters)",
        "Body is too similar to what you recently posted",
    ]
    assert "Body is too short (minimum is 20 characters)" in str(error)
    assert_readable(error, credentials)
    forum.assert_received(expected)


def test_redirect_is_not_followed_and_blames_host_or_key(client, forum, credentials):
    expected = forum.play("redirect")

    with pytest.raises(HTTPStatusError) as caught:
        client.latest_posts()

    error = caught.value
    assert error.status == 302
    assert "base URL" in str(error) and "API key" in str(error)
    assert "https://forum.example.com/login" in str(error)
    assert "redirect=" not in str(error)
    assert_readable(error, credentials)
    forum.assert_received(expected)  # the login page was never asked for


def test_malformed_json_is_retried_then_invalid(client, forum, sleeps, credentials):
    expected = forum.play("malformed_json")

    with pytest.raises(InvalidResponse, match="malformed") as caught:
        client.latest_posts()

    assert len(sleeps.waits) == 2  # retries=2 in the test client, backoff via the injected sleep
    assert_readable(caught.value, credentials)
    forum.assert_received(expected)


def test_html_instead_of_json_is_retried(client, forum, recorded):
    expected = forum.play("html_then_ok")

    assert client.latest_posts() == recorded("posts_latest.json")["latest_posts"]

    forum.assert_received(expected)


def test_malformed_json_after_a_post_is_not_retried(client, forum):
    forum.queue({"status": 200, "headers": {"Content-Type": "application/json"}, "text": "{"})

    with pytest.raises(InvalidResponse, match="may still have been carried out"):
        client.create_reply(21, REPLY)

    assert len(forum.received) == 1


def test_client_repr_hides_credentials(client, credentials, forum):
    for secret in credentials:
        assert secret not in repr(client)
    assert forum.url in repr(client)
