"""Everything a running sandbox holds besides the forum: limiter, faults, memo, stats, threads."""

from __future__ import annotations

import dataclasses
import random
import threading
from collections import Counter
from typing import Any

from forumbot.sandbox.faults import FaultInjector, RateLimiter
from forumbot.sandbox.memo import Memoizer
from forumbot.sandbox.seed import PostFactory, load_seed, load_seed_data
from forumbot.sandbox.settings import SandboxSettings
from forumbot.sandbox.state import SandboxForum
from forumbot.sandbox.webhooks import WebhookSender


class Stats:
    """Request counters by ``METHOD route status`` (thread-safe)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.requests: Counter[str] = Counter()

    def count(self, method: str, route: str, status: int) -> None:
        with self._lock:
            self.requests[f"{method} {route} {status}"] += 1

    def snapshot(self) -> dict[str, int]:
        with self._lock:
            return dict(sorted(self.requests.items()))

    def clear(self) -> None:
        with self._lock:
            self.requests.clear()


class PostGenerator:
    """Adds owner posts at a steady rate on a daemon thread (for the demo)."""

    def __init__(self, runtime: SandboxRuntime, per_minute: float) -> None:
        self.runtime = runtime
        self.interval = 60.0 / per_minute
        self.created = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sandbox-generator", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            with self.runtime.forum.lock:
                self.runtime.factory.make_post()
            self.created += 1

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


class SandboxRuntime:
    """The sandbox's mutable machinery, reset together by ``POST /_sandbox/reset``."""

    def __init__(self, forum: SandboxForum, settings: SandboxSettings) -> None:
        self.forum = forum
        self.settings = settings
        self._initial = dataclasses.replace(settings)
        self.stop_event = threading.Event()
        self.stats = Stats()
        #: (user id, raw) -> monotonic time, for the non-staff duplicate-body check.
        self.recent_bodies: dict[tuple[int, str], float] = {}
        self.limiter = RateLimiter(settings.rate_limit_per_minute)
        self.memo = Memoizer(settings.memoize_seconds)
        self.faults = FaultInjector(
            settings.fault_rate,
            settings.fault_kinds,
            settings.timeout_seconds,
            settings.random_seed,
        )
        self.seed_data = load_seed_data() if settings.seed else {}
        self.factory = PostFactory(forum, self.seed_data, random.Random(settings.random_seed))
        self.webhooks: WebhookSender | None = None
        if settings.webhook_url:
            self.webhooks = WebhookSender(forum, settings.webhook_url, settings.webhook_secret)
        self.generator: PostGenerator | None = None
        if settings.generate_posts_per_minute > 0:
            self.generator = PostGenerator(self, settings.generate_posts_per_minute)

    def load_seed(self) -> None:
        if self.settings.seed:
            load_seed(self.forum, self.seed_data)

    def reset(self) -> None:
        """Back to the seeded forum and the settings the sandbox started with."""
        initial = self._initial
        for field in dataclasses.fields(SandboxSettings):
            setattr(self.settings, field.name, getattr(initial, field.name))
        with self.forum.lock:
            self.forum.reset()
            self.load_seed()
            self.factory = PostFactory(
                self.forum, self.seed_data, random.Random(initial.random_seed)
            )
        self.limiter.reset(initial.rate_limit_per_minute)
        self.memo.clear(initial.memoize_seconds)
        self.faults.configure(
            initial.fault_rate, initial.fault_kinds, initial.timeout_seconds, initial.random_seed
        )
        self.faults.counts.clear()
        self.stats.clear()
        self.recent_bodies.clear()
        if self.webhooks is not None:
            self.webhooks.clear()

    def sleep(self, seconds: float) -> None:
        """Sleep for a fault, waking early when the server stops."""
        self.stop_event.wait(seconds)

    def snapshot(self) -> dict[str, Any]:
        with self.forum.lock:
            posts = len(self.forum.posts)
            max_id = self.forum.max_post_id
        return {
            "requests": self.stats.snapshot(),
            "rate_limited": self.limiter.limited,
            "faults": self.faults.snapshot(),
            "memoized_hits": self.memo.hits,
            "post_count": posts,
            "max_post_id": max_id,
            "webhooks_delivered": len(self.webhooks.deliveries) if self.webhooks else 0,
            "generated_posts": self.generator.created if self.generator else 0,
        }

    def close(self) -> None:
        self.stop_event.set()
        if self.generator is not None:
            self.generator.close()
        if self.webhooks is not None:
            self.webhooks.close()
