"""Discourse's create memoization (``DistributedMemoizer``), in memory.

For API requests Discourse caches the whole result of ``POST /posts`` for 120 s, keyed by
the permitted params and the user: an identical second request returns the identical body
(even a failure) and creates nothing. Identical requests arriving together wait for the
first one, like the Redis lock does.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable
from typing import Any

Result = tuple[int, bytes]


def signature(user_id: int, params: dict[str, Any]) -> str:
    """SHA1 of the user and the permitted params, insensitive to their order."""
    payload = json.dumps([user_id, sorted((k, str(v)) for k, v in params.items())])
    return hashlib.sha1(payload.encode()).hexdigest()


class Memoizer:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.seconds = seconds
        self.clock = clock
        self.hits = 0
        self._cache: dict[str, tuple[float, Result]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def run(self, key: str, compute: Callable[[], Result]) -> Result:
        """Return the cached result for ``key`` or compute, cache and return it."""
        if self.seconds <= 0:
            return compute()
        with self._lock:
            key_lock = self._locks.setdefault(key, threading.Lock())
        with key_lock:
            now = self.clock()
            with self._lock:
                cached = self._cache.get(key)
                if cached is not None and cached[0] > now:
                    self.hits += 1
                    return cached[1]
            result = compute()
            with self._lock:
                self._cache[key] = (self.clock() + self.seconds, result)
                self._prune(now)
            return result

    def _prune(self, now: float) -> None:
        if len(self._cache) > 1000:
            for key in [k for k, (expires, _) in self._cache.items() if expires <= now]:
                self._cache.pop(key, None)
                self._locks.pop(key, None)

    def clear(self, seconds: float | None = None) -> None:
        with self._lock:
            self._cache.clear()
            self._locks.clear()
            self.hits = 0
            if seconds is not None:
                self.seconds = seconds
