"""Discourse's outgoing webhooks: verify the signature, drop replays, store the post.

Discourse signs the raw body: ``X-Discourse-Event-Signature: sha256=<hex HMAC-SHA256>``.
Polling stays on as the safety net; the webhook makes intake prompt and carries edits of old
posts that /posts.json no longer lists.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
from dataclasses import dataclass

from sqlalchemy.orm import Session

from forumbot.intake.parse import Skip, out_of_range, parse_post
from forumbot.intake.store import store_posts
from forumbot.storage.models import WebhookDelivery
from forumbot.storage.upsert import insert_ignoring_duplicates

log = logging.getLogger(__name__)
HANDLED_EVENTS = frozenset({"post_created", "post_edited"})


def signature(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """Constant-time comparison, so the signature cannot be guessed byte by byte."""
    return header is not None and hmac.compare_digest(signature(secret, body), header.strip())


@dataclass(frozen=True)
class WebhookOutcome:
    status: int
    message: str


def handle_delivery(
    session: Session,
    *,
    body: bytes,
    headers: dict[str, str],
    secret: str,
    bot_username: str,
    skip_usernames: frozenset[str] = frozenset(),
) -> WebhookOutcome:
    """Process one delivery in the caller's transaction; commit when the status is 2xx."""
    if not signature_ok(secret, body, headers.get("X-Discourse-Event-Signature")):
        return WebhookOutcome(403, "bad or missing X-Discourse-Event-Signature")
    event = headers.get("X-Discourse-Event", "")
    event_id = headers.get("X-Discourse-Event-Id", "")
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return WebhookOutcome(400, "body is not JSON")
    if not isinstance(payload, dict):
        return WebhookOutcome(400, "body is not a JSON object")
    if "ping" in payload:
        return WebhookOutcome(200, "pong")
    if event not in HANDLED_EVENTS:
        return WebhookOutcome(200, f"event {event or '(none)'} ignored")
    if not event_id:
        return WebhookOutcome(400, "missing X-Discourse-Event-Id")
    problem = out_of_range(payload.get("post"))
    if problem is not None:  # refused before it is remembered: a corrected redelivery counts
        return WebhookOutcome(422, f"post {problem}")
    row = {"event_id": event_id[:64], "event": event[:64]}
    if not insert_ignoring_duplicates(session, WebhookDelivery, [row], WebhookDelivery.event_id):
        return WebhookOutcome(200, f"event {event_id} already handled")
    parsed = parse_post(
        payload.get("post"), bot_username=bot_username, skip_usernames=skip_usernames
    )
    if isinstance(parsed, Skip):
        log.info("webhook %s: skipped post %s: %s", event_id, parsed.forum_post_id, parsed.reason)
        return WebhookOutcome(200, f"skipped: {parsed.reason}")
    result = store_posts(session, [parsed])
    return WebhookOutcome(200, f"stored {result.stored}, updated {result.updated}")
