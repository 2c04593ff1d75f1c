"""Fault injection and Discourse's admin-API rate limiter, as pure logic.

Both take an injected clock / seeded RNG so tests are deterministic. The HTTP layer
(``app.py``) turns their decisions into responses with :func:`fault_response` and
:func:`rate_limit_response`.
"""

from __future__ import annotations

import json
import math
import random
import threading
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable

from forumbot.sandbox.settings import FAULT_KINDS

JSON_TYPE = "application/json; charset=utf-8"
#: Kinds that answer before the app runs (the rest need the request to be processed).
STATIC_KINDS = ("500", "502", "503", "429", "429_text")

_NGINX_PAGE = (
    "<html>\r\n<head><title>{code} {reason}</title></head>\r\n<body>\r\n"
    "<center><h1>{code} {reason}</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)
_IP_LIMIT_TEXT = (
    "Slow down, too many requests from this IP address.\n"
    "Please retry again in {wait} seconds.\n"
    "Error code: ip_10_secs_limit."
)

Response = tuple[int, dict[str, str], bytes]


def time_left(seconds: int) -> str:
    """``RateLimiter.time_left`` with Discourse's English strings."""
    if seconds <= 3:
        return "a few seconds"
    if seconds < 60:
        return f"{seconds} seconds"
    if seconds < 3600:
        minutes = seconds // 60
        return "1 minute" if minutes == 1 else f"{minutes} minutes"
    hours = seconds // 3600
    return "1 hour" if hours == 1 else f"{hours} hours"


def rate_limit_response(wait_seconds: int) -> Response:
    """The 429 ApplicationController renders for ``RateLimiter::LimitExceeded``."""
    left = time_left(wait_seconds)
    body = {
        "errors": [
            f"You’ve performed this action too many times. Please wait {left} before trying again."
        ],
        "error_type": "rate_limit",
        "extras": {"wait_seconds": wait_seconds, "time_left": left},
    }
    headers = {
        "Content-Type": JSON_TYPE,
        "Retry-After": str(wait_seconds),
        "Discourse-Rate-Limit-Error-Code": "admin_api_key_rate_limit",
    }
    return 429, headers, json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()


def fault_response(kind: str) -> Response:
    """The response of a fault that answers instead of the app."""
    if kind == "500":
        body = json.dumps({"status": 500, "error": "Internal Server Error"}).encode()
        return 500, {"Content-Type": JSON_TYPE}, body
    if kind in ("502", "503"):
        reason = "Bad Gateway" if kind == "502" else "Service Temporarily Unavailable"
        page = _NGINX_PAGE.format(code=kind, reason=reason).encode()
        return int(kind), {"Content-Type": "text/html"}, page
    if kind == "429":
        return rate_limit_response(1)
    if kind == "429_text":
        headers = {"Content-Type": "text/plain", "Retry-After": "1"}
        return 429, headers, _IP_LIMIT_TEXT.format(wait=1).encode()
    raise ValueError(f"fault {kind!r} has no static response")


def malformed(body: bytes) -> bytes:
    """Cut a JSON body in half, as a dropped connection or broken proxy would."""
    cut = body[: max(1, len(body) // 2)]
    return cut if cut != body else b'{"latest_posts":[{"id":'


class RateLimiter:
    """A rolling-window limiter shared by the whole site (Discourse key ``admin_api_min``)."""

    def __init__(
        self,
        per_minute: int,
        clock: Callable[[], float] = time.monotonic,
        window: float = 60.0,
    ) -> None:
        self.per_minute = per_minute
        self.window = window
        self.clock = clock
        self.limited = 0
        self._hits: deque[float] = deque()
        self._lock = threading.Lock()

    def hit(self) -> int | None:
        """Record a request; return seconds to wait (the 429) when over the limit."""
        with self._lock:
            if self.per_minute <= 0:
                return None
            now = self.clock()
            while self._hits and self._hits[0] <= now - self.window:
                self._hits.popleft()
            if len(self._hits) >= self.per_minute:
                self.limited += 1
                return max(1, math.ceil(self._hits[0] + self.window - now))
            self._hits.append(now)
            return None

    def reset(self, per_minute: int | None = None) -> None:
        with self._lock:
            self._hits.clear()
            self.limited = 0
            if per_minute is not None:
                self.per_minute = per_minute


class FaultInjector:
    """Decides, with a seeded RNG, whether a request fails and how."""

    def __init__(
        self,
        rate: float = 0.0,
        kinds: Iterable[str] = FAULT_KINDS,
        timeout_seconds: float = 5.0,
        seed: int = 0,
    ) -> None:
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self.rate = 0.0
        self.kinds: tuple[str, ...] = FAULT_KINDS
        self.timeout_seconds = timeout_seconds
        self._rng = random.Random(seed)
        self.configure(rate=rate, kinds=kinds)

    def configure(
        self,
        rate: float | None = None,
        kinds: Iterable[str] | None = None,
        timeout_seconds: float | None = None,
        seed: int | None = None,
    ) -> None:
        with self._lock:
            if rate is not None:
                if not 0.0 <= float(rate) <= 1.0:
                    raise ValueError("rate must be between 0 and 1")
                self.rate = float(rate)
            if kinds is not None:
                kinds = tuple(kinds)
                unknown = set(kinds) - set(FAULT_KINDS)
                if unknown:
                    raise ValueError(f"unknown fault kinds: {sorted(unknown)}")
                self.kinds = kinds
            if timeout_seconds is not None:
                self.timeout_seconds = float(timeout_seconds)
            if seed is not None:
                self._rng = random.Random(seed)

    def draw(self, is_create: bool) -> str | None:
        """A fault kind for this request, or None. ``after_commit`` only hits creates."""
        with self._lock:
            if self.rate <= 0.0:
                return None
            roll = self._rng.random()
            kinds = [k for k in self.kinds if is_create or k != "after_commit"]
            if roll >= self.rate or not kinds:
                return None
            kind = self._rng.choice(kinds)
            self.counts[kind] += 1
            return kind

    def after_commit_mode(self) -> str:
        """How an after-commit fault ends: a 502 or a too-slow answer."""
        with self._lock:
            return self._rng.choice(("502", "timeout"))

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(self.counts)
