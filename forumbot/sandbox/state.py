"""The in-memory forum behind the sandbox: users, categories, topics, posts, flags.

Pure logic, no HTTP. One re-entrant lock guards everything; callers that need a
consistent view across several calls (the serializers) hold ``forum.lock`` themselves.

Post ids come from one site-wide sequence shared by every kind of post (regular,
whisper, small action, PM), as in Discourse, so the ids a poller sees are not
contiguous. A post can be created with *delayed visibility*: its id is taken now but
it only shows up later, like a database transaction that commits after a higher id
already committed.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from forumbot.sandbox.models import (
    PRIVATE_MESSAGE,
    REGULAR,
    SMALL_ACTION,
    SYSTEM_USERNAME,
    UNCATEGORIZED_ID,
    WHISPER,
    AlreadyActedError,
    Category,
    Flag,
    NotFoundError,
    Post,
    Topic,
    User,
    utc_now,
)
from forumbot.sandbox.queries import ForumQueries
from forumbot.sandbox.text import cook

Clock = Callable[[], datetime]
Listener = Callable[[str, int], None]


class SandboxForum(ForumQueries):
    """Thread-safe in-memory Discourse data model."""

    def __init__(self, bot_username: str = "forumbot", clock: Clock = utc_now) -> None:
        self.lock = threading.RLock()
        self.bot_username = bot_username
        self.clock = clock
        self._listeners: list[Listener] = []
        self._quiet = 0
        self.reset()

    # ----------------------------------------------------------------- setup
    def reset(self) -> None:
        """Forget everything except the two built-in staff users."""
        with self.lock:
            self.users: dict[int, User] = {}
            self._by_name: dict[str, User] = {}
            self.categories: dict[int, Category] = {}
            self.topics: dict[int, Topic] = {}
            self.posts: dict[int, Post] = {}
            self.flags: list[Flag] = []
            self._next_user_id = 1
            self._next_topic_id = 1
            self._next_post_id = 1
            self._public_ids: list[int] = []  # regular posts of regular topics, ascending
            self._post_counts: dict[int, int] = {}
            system = User(-1, SYSTEM_USERNAME, "system", admin=True, moderator=True, trust_level=4)
            self.users[system.id] = system
            self._by_name[system.username] = system
            self.add_user(self.bot_username, "客服中心", admin=True, trust_level=4)
            self.add_category(UNCATEGORIZED_ID, "Uncategorized", "uncategorized")

    def subscribe(self, listener: Listener) -> None:
        """Call ``listener(event, post_id)`` on post_created / post_edited (under the lock)."""
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    @contextmanager
    def quiet(self) -> Iterator[None]:
        """Emit no events inside (loading the seed is history, not news)."""
        with self.lock:
            self._quiet += 1
            try:
                yield
            finally:
                self._quiet -= 1

    def _emit(self, event: str, post_id: int) -> None:
        if self._quiet:
            return
        for listener in self._listeners:
            listener(event, post_id)

    def add_user(
        self,
        username: str,
        name: str | None = None,
        *,
        admin: bool = False,
        moderator: bool = False,
        trust_level: int = 1,
    ) -> User:
        with self.lock:
            existing = self._by_name.get(username.lower())
            if existing is not None:
                return existing
            user = User(
                self._next_user_id, username, name or username, admin, moderator, trust_level
            )
            self._next_user_id += 1
            self.users[user.id] = user
            self._by_name[username.lower()] = user
            return user

    def add_category(self, category_id: int, name: str, slug: str) -> Category:
        with self.lock:
            category = Category(category_id, name, slug)
            self.categories[category_id] = category
            return category

    # -------------------------------------------------------------- creating
    def create_topic(
        self,
        username: str,
        title: str,
        raw: str,
        category_id: int | None = None,
        *,
        archetype: str = "regular",
        recipients: list[str] | tuple[str, ...] = (),
        created_at: datetime | None = None,
        visible_after: float = 0.0,
        hidden: bool = False,
        override: dict[str, Any] | None = None,
    ) -> Post:
        """Create a topic (or a PM when ``archetype`` is private_message) with its first post."""
        with self.lock:
            user = self._require_user(username)
            now = created_at or self.clock()
            is_pm = archetype == PRIVATE_MESSAGE
            topic = Topic(
                id=self._next_topic_id,
                title=title.strip(),
                category_id=None if is_pm else (category_id or UNCATEGORIZED_ID),
                archetype=PRIVATE_MESSAGE if is_pm else "regular",
                user_id=user.id,
                created_at=now,
                visible_at=self._delay(visible_after),
            )
            if is_pm:
                topic.allowed_user_ids = {user.id} | {
                    self._require_user(name).id for name in recipients
                }
            self._next_topic_id += 1
            self.topics[topic.id] = topic
            return self._add_post(
                topic, user, raw, REGULAR, now, visible_after, hidden=hidden, override=override
            )

    def create_reply(
        self,
        username: str,
        topic_id: int,
        raw: str,
        *,
        reply_to_post_number: int | None = None,
        post_type: int = REGULAR,
        created_at: datetime | None = None,
        visible_after: float = 0.0,
        hidden: bool = False,
        override: dict[str, Any] | None = None,
        action_code: str | None = None,
    ) -> Post:
        with self.lock:
            user = self._require_user(username)
            topic = self.topic(topic_id)
            now = created_at or self.clock()
            post = self._add_post(
                topic, user, raw, post_type, now, visible_after, hidden=hidden, override=override
            )
            post.reply_to_post_number = reply_to_post_number
            post.action_code = action_code
            if reply_to_post_number is not None:
                for other_id in topic.post_ids:
                    other = self.posts[other_id]
                    if other.post_number == reply_to_post_number:
                        other.reply_count += 1
            return post

    def _add_post(
        self,
        topic: Topic,
        user: User,
        raw: str,
        post_type: int,
        now: datetime,
        visible_after: float,
        *,
        hidden: bool,
        override: dict[str, Any] | None,
    ) -> Post:
        topic.highest_post_number += 1
        post = Post(
            id=self._next_post_id,
            topic_id=topic.id,
            user_id=user.id,
            post_number=topic.highest_post_number,
            raw=raw.strip() if isinstance(raw, str) else raw,
            post_type=post_type,
            created_at=now,
            updated_at=now,
            cooked=cook(raw) if isinstance(raw, str) else "",
            hidden=hidden,
            hidden_reason_id=1 if hidden else None,
            visible_at=self._delay(visible_after),
            override=override,
        )
        self._next_post_id += 1
        self.posts[post.id] = post
        topic.post_ids.append(post.id)
        if post_type == REGULAR and not topic.is_pm:
            self._public_ids.append(post.id)  # ids only grow, so the list stays sorted
        if post_type in (REGULAR, WHISPER):
            self._post_counts[user.id] = self._post_counts.get(user.id, 0) + 1
        self._emit("post_created", post.id)
        return post

    def _delay(self, seconds: float) -> datetime | None:
        return self.clock() + timedelta(seconds=seconds) if seconds > 0 else None

    def _require_user(self, username: str) -> User:
        user = self.user_named(username)
        if user is None:
            raise NotFoundError(f"user {username}")
        return user

    # ------------------------------------------------------------- changing
    def edit_post(self, post_id: int, raw: str, edit_reason: str | None = None) -> Post:
        """Edits keep the id; only ``version`` and ``updated_at`` move."""
        with self.lock:
            post = self.post(post_id)
            post.raw, post.cooked = raw.strip(), cook(raw)
            post.version += 1
            post.edit_reason = edit_reason
            post.updated_at = max(self.clock(), post.updated_at + timedelta(milliseconds=1))
            self._emit("post_edited", post.id)
            return post

    def delete_post(self, post_id: int) -> Post:
        """Soft delete; deleting a first post deletes the whole topic, as Discourse does."""
        with self.lock:
            post = self.post(post_id)
            now = self.clock()
            post.deleted_at = post.deleted_at or now
            if post.post_number == 1:
                topic = self.topics[post.topic_id]
                topic.deleted_at = topic.deleted_at or now
            return post

    def hide_post(self, post_id: int, reason_id: int = 1) -> Post:
        """Hide a post; like ``Post#hide!``, a topic left with no visible post is unlisted."""
        with self.lock:
            post = self.post(post_id)
            post.hidden, post.hidden_reason_id = True, reason_id
            topic = self.topics[post.topic_id]
            if all(self.posts[i].hidden for i in topic.post_ids):
                topic.visible = False
            return post

    def unhide_post(self, post_id: int) -> Post:
        """Unhide; unhiding a first post lists its topic again (``Post#unhide!``)."""
        with self.lock:
            post = self.post(post_id)
            post.hidden, post.hidden_reason_id = False, None
            if post.post_number == 1:
                self.topics[post.topic_id].visible = True
            return post

    def close_topic(self, topic_id: int, username: str = SYSTEM_USERNAME) -> Post:
        """Close a topic; like Discourse this adds a small-action post (and uses an id)."""
        with self.lock:
            topic = self.topic(topic_id)
            topic.closed = True
            return self.create_reply(
                username, topic_id, "", post_type=SMALL_ACTION, action_code="closed.enabled"
            )

    def flag(
        self,
        username: str,
        post_id: int,
        post_action_type_id: int,
        message: str | None = None,
        take_action: bool = False,
    ) -> Flag:
        with self.lock:
            user = self._require_user(username)
            post = self.post(post_id)
            for flag in self.flags:
                same = (flag.post_id, flag.user_id, flag.post_action_type_id)
                if same == (post.id, user.id, post_action_type_id):
                    raise AlreadyActedError(f"{username} already acted on post {post_id}")
            flag = Flag(
                len(self.flags) + 1,
                post.id,
                user.id,
                post_action_type_id,
                message,
                take_action,
                self.clock(),
            )
            self.flags.append(flag)
            if take_action and user.staff:
                self.hide_post(post.id, reason_id=1)
            return flag

    def reveal_all(self) -> int:
        """Commit every delayed post now; returns how many were still pending."""
        with self.lock:
            pending = [p for p in self.posts.values() if not self.committed(p)]
            pending_topics = [t for t in self.topics.values() if not self.committed(t)]
            for obj in [*pending, *pending_topics]:
                obj.visible_at = None
            return len(pending)
