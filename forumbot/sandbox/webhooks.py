"""Outgoing webhooks the way Discourse sends them (``Jobs::EmitWebHookEvent``).

``POST`` to the payload URL with ``{"post": {...}}`` and the ``X-Discourse-*`` headers; with
a secret, ``X-Discourse-Event-Signature: sha256=<hex HMAC-SHA256(secret, body)>``. Delivery
runs on a background thread after the post "commits", so a delayed post's webhook arrives
only once it is visible.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
from dataclasses import dataclass
from typing import Any

import requests

from forumbot.sandbox.serialize import webhook_post_json
from forumbot.sandbox.state import SandboxForum

log = logging.getLogger(__name__)
USER_AGENT = "Discourse/3.4.0"


def signature(secret: str, body: bytes) -> str:
    """The ``X-Discourse-Event-Signature`` header value for ``body``."""
    digest = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"


def build_request(
    event: str, event_id: int, payload: dict[str, Any], secret: str | None, instance: str
) -> tuple[dict[str, str], bytes]:
    """Headers and body of one delivery (pure, so tests can check the signature)."""
    body = json.dumps({"post": payload}, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Discourse-Instance": instance,
        "X-Discourse-Event-Id": str(event_id),
        "X-Discourse-Event-Type": "post",
        "X-Discourse-Event": event,
    }
    if secret:
        headers["X-Discourse-Event-Signature"] = signature(secret, body)
    return headers, body


@dataclass
class Delivery:
    event_id: int
    event: str
    post_id: int
    status: int | None
    error: str | None


class WebhookSender:
    """Queues post events from the forum and delivers them on a daemon thread."""

    def __init__(
        self,
        forum: SandboxForum,
        url: str,
        secret: str | None = None,
        instance: str = "http://127.0.0.1",
        timeout: float = 5.0,
    ) -> None:
        self.forum = forum
        self.url = url
        self.secret = secret
        self.instance = instance
        self.timeout = timeout
        self.deliveries: list[Delivery] = []
        self._pending: list[tuple[str, int]] = []
        self._next_event_id = 1
        self._cond = threading.Condition()
        self._stop = threading.Event()
        self._session = requests.Session()
        self._thread = threading.Thread(target=self._run, name="sandbox-webhooks", daemon=True)
        forum.subscribe(self.enqueue)
        self._thread.start()

    def enqueue(self, event: str, post_id: int) -> None:
        with self._cond:
            self._pending.append((event, post_id))
            self._cond.notify()

    def clear(self) -> None:
        with self._cond:
            self._pending.clear()
            self.deliveries.clear()

    def _due(self) -> list[tuple[str, int, dict[str, Any]]]:
        """Pop the events whose post has committed, serialized under the forum lock."""
        ready = []
        with self._cond, self.forum.lock:
            keep = []
            for event, post_id in self._pending:
                post = self.forum.posts.get(post_id)
                if post is None:
                    continue
                if not self.forum.committed(post):
                    keep.append((event, post_id))
                    continue
                ready.append((event, post_id, webhook_post_json(self.forum, post)))
            self._pending = keep
        return ready

    def _run(self) -> None:
        while not self._stop.is_set():
            with self._cond:
                if not self._pending:
                    self._cond.wait(timeout=0.2)
            for event, post_id, payload in self._due():
                self._deliver(event, post_id, payload)
            if self._pending:
                self._stop.wait(0.05)

    def _deliver(self, event: str, post_id: int, payload: dict[str, Any]) -> None:
        with self._cond:
            event_id = self._next_event_id
            self._next_event_id += 1
        headers, body = build_request(event, event_id, payload, self.secret, self.instance)
        status, error = None, None
        try:
            response = self._session.post(
                self.url, data=body, headers=headers, timeout=self.timeout
            )
            status = response.status_code
            response.close()
        except requests.RequestException as exc:
            error = str(exc)
            log.warning("webhook %s for post %s failed: %s", event, post_id, exc)
        with self._cond:
            self.deliveries.append(Delivery(event_id, event, post_id, status, error))

    def close(self) -> None:
        self.forum.unsubscribe(self.enqueue)
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        self._thread.join(timeout=5)
        self._session.close()
