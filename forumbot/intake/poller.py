"""Poll /posts.json and store every new post once: an idempotent ``run_once``.

Discourse lists the newest 50 posts per page, ``before=N`` giving ids below N. A poll walks
back from the newest page until it reaches the high-water mark less an overlap (a post can
become visible below the mark because ids are allocated before commit). Each page is
committed with the walk's position, so a crash resumes where it stopped; the mark itself
moves only when the walk has reached it, so nothing below is ever skipped. Two pollers on one
database are safe: inserts ignore posts already stored.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import Any, Protocol

from sqlalchemy.orm import Session, sessionmaker

from forumbot.intake.parse import IncomingPost, Skip, parse_post
from forumbot.intake.store import StoreResult, store_posts
from forumbot.storage.models import IntakeCursor, utcnow
from forumbot.storage.upsert import insert_ignoring_duplicates

log = logging.getLogger(__name__)

PAGE_SIZE = 50  # fixed by Discourse for /posts.json
CURSOR_NAME = "latest_posts"


class PostSource(Protocol):
    def latest_posts(self, before: int | None = None) -> list[dict[str, Any]]: ...


@dataclass
class PollResult:
    pages: int = 0
    seen: int = 0
    skipped: int = 0
    caught_up: bool = False
    high_water_mark: int = 0
    store: StoreResult = field(default_factory=StoreResult)


@dataclass
class Poller:
    sessions: sessionmaker[Session]
    source: PostSource
    bot_username: str
    skip_usernames: frozenset[str] = frozenset()
    overlap_ids: int = 25
    max_pages: int = 40

    def _cursor(self, session: Session) -> IntakeCursor:
        cursor = session.get(IntakeCursor, CURSOR_NAME, with_for_update=True)
        if cursor is None:
            row = {"name": CURSOR_NAME, "high_water_mark": 0, "updated_at": utcnow()}
            insert_ignoring_duplicates(session, IntakeCursor, [row], IntakeCursor.name)
            cursor = session.get(IntakeCursor, CURSOR_NAME, with_for_update=True)
            assert cursor is not None
        return cursor

    def _parse(self, items: list[Any], result: PollResult) -> list[IncomingPost]:
        posts = []
        for item in items:
            parsed = parse_post(
                item, bot_username=self.bot_username, skip_usernames=self.skip_usernames
            )
            if isinstance(parsed, Skip):
                result.skipped += 1
                level = logging.DEBUG if parsed.routine else logging.WARNING
                log.log(level, "skipped post %s: %s", parsed.forum_post_id, parsed.reason)
            else:
                if parsed.note:
                    log.warning("post %s: %s", parsed.forum_post_id, parsed.note)
                posts.append(parsed)
        return posts

    def run_once(self) -> PollResult:
        """Read new posts until caught up or ``max_pages`` pages were read."""
        result = PollResult()
        with self.sessions() as session:
            cursor = self._cursor(session)
            hwm, top, before = cursor.high_water_mark, cursor.walk_top, cursor.walk_before
            session.commit()
        floor = max(0, hwm - self.overlap_ids)
        while result.pages < self.max_pages:
            items = self.source.latest_posts(before)
            result.pages += 1
            result.seen += len(items)
            ids = [i["id"] for i in items if isinstance(i, dict) and type(i.get("id")) is int]
            if top is None:
                top = max([hwm, *ids])
            page_min = min(ids) if ids else 0
            finished = len(items) < PAGE_SIZE or page_min <= floor or not ids
            with self.sessions() as session:
                result.store.add(store_posts(session, self._parse(items, result)))
                cursor = self._cursor(session)
                if finished:
                    cursor.high_water_mark = max(cursor.high_water_mark, top)
                    cursor.walk_top = cursor.walk_before = None
                else:
                    cursor.walk_top, cursor.walk_before = top, page_min
                hwm = cursor.high_water_mark
                session.commit()
            if finished:
                result.caught_up = True
                break
            before = page_min
        result.high_water_mark = hwm
        if result.store.stored or result.store.updated:
            log.info(
                "intake: %d new, %d updated, %d skipped in %d page(s); high-water mark %d",
                result.store.stored,
                result.store.updated,
                result.skipped,
                result.pages,
                hwm,
            )
        return result
