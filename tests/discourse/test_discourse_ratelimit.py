"""Rate limits: wait out a short 429, hand a long one back, and stay under budget ourselves."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from email.utils import format_datetime

import pytest

from forumbot.discourse import RateLimited
from forumbot.discourse.ratelimit import TokenBucket, retry_after, wait_from_429

REPLY = "您好，感谢您的反馈。3栋2单元卫生间漏水的问题，维修师傅明天上午上门查看，请保持电话畅通。"


def test_429_waits_as_long_as_retry_after_says(client, forum, sleeps, recorded, caplog):
    expected = forum.play("rate_limited_retry_after")

    with caplog.at_level("WARNING", logger="forumbot.discourse"):
        posts = client.latest_posts()

    assert posts == recorded("posts_latest.json")["latest_posts"]
    assert sleeps.waits == [39.0]
    assert "admin_api_key_rate_limit" in caplog.text
    forum.assert_received(expected)


def test_429_without_retry_after_uses_extras_wait_seconds(client, forum, sleeps):
    expected = forum.play("rate_limited_extras_only")

    post = client.create_reply(21, REPLY, reply_to_post_number=1)

    assert post["id"] == 29
    assert sleeps.waits == [7.0]
    forum.assert_received(expected)  # a POST refused by the limiter is sent again, once


def test_per_ip_429_in_plain_text(client, forum, sleeps):
    expected = forum.play("rate_limited_per_ip")

    client.latest_posts()

    assert sleeps.waits == [5.0]
    forum.assert_received(expected)


def test_429_longer_than_max_wait_raises_at_once(make_client, forum, sleeps):
    client = make_client(max_wait=60)
    expected = forum.play("rate_limited_too_long")

    with pytest.raises(RateLimited) as caught:
        client.latest_posts()

    error = caught.value
    assert error.wait_seconds == 3600
    assert error.status == 429 and error.error_type == "rate_limit"
    assert "max_wait" in str(error) and "3600 s" in str(error)
    assert sleeps.waits == []
    forum.assert_received(expected)


def test_429_until_retries_run_out(client, forum, sleeps):
    limited = {"status": 429, "headers": {"Retry-After": "2"}, "json": {"errors": ["slow"]}}
    forum.queue(limited, limited, limited)

    with pytest.raises(RateLimited, match="after 2 retries") as caught:
        client.latest_posts()

    assert caught.value.wait_seconds == 2
    assert sleeps.waits == [2.0, 2.0]
    assert len(forum.received) == 3


def test_429_without_any_hint_waits_ten_seconds(client, forum, sleeps):
    forum.queue({"status": 429, "headers": {"Content-Type": "text/html"}, "text": "<html/>"})
    forum.queue({"status": 200, "body_file": "posts_latest.json"})

    client.latest_posts()

    assert sleeps.waits == [10.0]


@pytest.mark.parametrize(
    ("headers", "body", "text", "wait"),
    [
        ({"Retry-After": "12"}, {"extras": {"wait_seconds": 39}}, "", 12.0),
        ({}, {"extras": {"wait_seconds": 39}}, "", 39.0),
        ({}, None, "Please retry again in 8 seconds.", 8.0),
        ({}, {"extras": {"wait_seconds": "soon"}}, "", 10.0),
        ({"Retry-After": "garbage"}, None, "", 10.0),
    ],
)
def test_wait_from_429_prefers_the_header(headers, body, text, wait):
    assert wait_from_429(headers, body, text) == wait


def test_retry_after_as_an_http_date():
    when = datetime(2026, 1, 1, 12, 0, 30, tzinfo=UTC)
    now = datetime(2026, 1, 1, 12, 0, 0, tzinfo=UTC).timestamp()
    assert retry_after(format_datetime(when, usegmt=True), now=lambda: now) == 30.0


class FakeClock:
    """A clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds


def test_budget_allows_a_burst_then_paces_requests():
    clock = FakeClock()
    bucket = TokenBucket(60, burst=3, clock=clock, sleep=clock.sleep)

    for _ in range(6):
        bucket.acquire()

    assert clock.waits == pytest.approx([1.0, 1.0, 1.0])  # 60 a minute: one a second


def test_budget_refills_while_idle():
    clock = FakeClock()
    bucket = TokenBucket(30, burst=2, clock=clock, sleep=clock.sleep)
    bucket.acquire()
    bucket.acquire()

    clock.now += 60  # a quiet minute refills the burst, not more
    for _ in range(3):
        bucket.acquire()

    assert clock.waits == pytest.approx([2.0])


def test_budget_zero_means_unlimited():
    clock = FakeClock()
    bucket = TokenBucket(0, clock=clock, sleep=clock.sleep)
    for _ in range(1000):
        bucket.acquire()
    assert clock.waits == []


def test_budget_is_shared_fairly_between_threads():
    clock = FakeClock()
    bucket = TokenBucket(60, burst=1, clock=clock, sleep=lambda seconds: None)
    waits: list[float] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(5):
            wait = bucket.reserve()
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # 20 requests at one a second with no time passing: each waits one second longer
    assert sorted(waits) == pytest.approx([float(n) for n in range(20)])


def test_client_consults_the_budget_before_each_request(make_client, forum, sleeps):
    client = make_client(requests_per_minute=6)  # one every ten seconds, burst of three
    for _ in range(5):
        forum.queue({"status": 200, "body_file": "posts_latest.json"})

    for _ in range(5):
        client.latest_posts()

    # the recorder does not advance time, so the 4th and 5th requests queue up behind the 3rd
    assert sleeps.waits == pytest.approx([10.0, 20.0], abs=0.5)
    assert len(forum.received) == 5
