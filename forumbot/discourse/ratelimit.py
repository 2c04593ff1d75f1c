"""Rate limits on both sides: our own request budget and reading the forum's 429 answers.

Discourse allows 60 admin-API requests a minute per site, shared by every admin key. The
token bucket keeps forumbot's steady polling and publishing below that on its own, so a 429
is an exception rather than the way the client learns its speed.
"""

from __future__ import annotations

import email.utils
import re
import threading
import time
from collections.abc import Callable, Mapping

DEFAULT_429_WAIT = 10.0

_PER_IP_WAIT = re.compile(r"retry again in (\d+(?:\.\d+)?) seconds?", re.IGNORECASE)


class TokenBucket:
    """Thread-safe token bucket: ``acquire()`` sleeps until a request fits the budget.

    Each caller reserves its token under the lock and sleeps outside it, so concurrent
    callers queue up fairly instead of all waking at once. ``per_minute`` of 0 disables it.
    """

    def __init__(
        self,
        per_minute: float,
        *,
        burst: int = 3,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if per_minute < 0:
            raise ValueError("per_minute must be >= 0 (0 means unlimited)")
        if burst < 1:
            raise ValueError("burst must be >= 1")
        self.rate = per_minute / 60.0
        self.burst = float(burst)
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tokens = self.burst
        self._last = clock()

    def reserve(self) -> float:
        """Take one token and return how long the caller must wait before using it."""
        if self.rate == 0:
            return 0.0
        with self._lock:
            now = self._clock()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.rate)
            self._last = now
            self._tokens -= 1.0
            return 0.0 if self._tokens >= 0 else -self._tokens / self.rate

    def acquire(self) -> float:
        """Wait (via the injected sleep) until one more request is within budget."""
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)
        return wait


def retry_after(value: str | None, *, now: Callable[[], float] = time.time) -> float | None:
    """Seconds from a ``Retry-After`` header: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - now())


def wait_from_429(headers: Mapping[str, str], body: object, text: str) -> float:
    """How long a 429 asks us to wait.

    In order: the ``Retry-After`` header; the JSON envelope's ``extras.wait_seconds``; the
    per-IP limiter's plain-text "Please retry again in N seconds"; else 10 s (as pydiscourse).
    """
    seconds = retry_after(headers.get("Retry-After"))
    if seconds is not None:
        return seconds
    if isinstance(body, dict):
        extras = body.get("extras")
        wait = extras.get("wait_seconds") if isinstance(extras, dict) else None
        if isinstance(wait, int | float) and not isinstance(wait, bool) and wait >= 0:
            return float(wait)
    match = _PER_IP_WAIT.search(text or "")
    if match:
        return float(match.group(1))
    return DEFAULT_429_WAIT
