"""Store incoming posts exactly once, and carry forum edits and deletions to their drafts."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from forumbot.cases import forum_changes
from forumbot.intake.parse import IncomingPost
from forumbot.storage.models import Post, utcnow
from forumbot.storage.stages import RECEIVED
from forumbot.storage.upsert import insert_ignoring_duplicates

log = logging.getLogger(__name__)
ACTOR = "system:intake"


@dataclass
class StoreResult:
    stored: int = 0
    updated: int = 0
    unchanged: int = 0
    new_ids: list[int] = field(default_factory=list)

    def add(self, other: StoreResult) -> None:
        self.stored += other.stored
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.new_ids.extend(other.new_ids)


def _row(post: IncomingPost) -> dict[str, object]:
    now = utcnow()
    return {
        "forum_post_id": post.forum_post_id,
        "topic_id": post.topic_id,
        "post_number": post.post_number,
        "reply_to_post_number": post.reply_to_post_number,
        "username": post.username,
        "raw": post.raw,
        "topic_title": post.topic_title,
        "category_id": post.category_id,
        "forum_created_at": post.created_at,
        "forum_updated_at": post.updated_at,
        "version": post.version,
        "deleted": post.deleted,
        "hidden": post.hidden,
        "intake_note": post.note,
        "stage": RECEIVED,
        "received_at": now,
        "updated_at": now,
    }


def _apply_change(session: Session, stored: Post, post: IncomingPost) -> bool:
    before = stored.version
    changed = forum_changes.apply(session, stored, post, actor=ACTOR)
    if stored.version > before:
        log.info("post %s edited (v%s); labelling it again", stored.forum_post_id, stored.version)
    return changed


def store_posts(session: Session, posts: Iterable[IncomingPost]) -> StoreResult:
    """Insert new posts and apply newer versions of known ones, in the caller's transaction."""
    by_id: dict[int, IncomingPost] = {}
    for post in posts:
        kept = by_id.get(post.forum_post_id)
        if kept is None or post.version > kept.version:
            by_id[post.forum_post_id] = post
    result = StoreResult()
    if not by_id:
        return result
    known = {
        p.forum_post_id: p
        for p in session.scalars(select(Post).where(Post.forum_post_id.in_(list(by_id))))
    }
    fresh = [_row(p) for fid, p in sorted(by_id.items()) if fid not in known]
    if fresh:
        result.new_ids = insert_ignoring_duplicates(session, Post, fresh, Post.forum_post_id)
        result.stored = len(result.new_ids)
        result.unchanged += len(fresh) - result.stored
    for fid, stored in known.items():
        if _apply_change(session, stored, by_id[fid]):
            result.updated += 1
        else:
            result.unchanged += 1
    return result
