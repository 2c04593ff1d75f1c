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

import bisect
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from forumbot.sandbox.text import cook

REGULAR, MODERATOR_ACTION, SMALL_ACTION, WHISPER = 1, 2, 3, 4
PRIVATE_MESSAGE = "private_message"
SYSTEM_USERNAME = "system"
UNCATEGORIZED_ID = 1

Clock = Callable[[], datetime]
Listener = Callable[[str, int], None]


class ForumError(Exception):
    """Base of the errors the forum raises for impossible requests."""


class NotFoundError(ForumError):
    """The user, topic or post does not exist."""


class AlreadyActedError(ForumError):
    """The user already took this action on this post."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def slugify(title: str) -> str:
    """Discourse's default ascii slug: titles without ascii letters become ``topic``."""
    slug = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
    return "topic" if not slug or slug.isdigit() else slug


@dataclass
class User:
    id: int
    username: str
    name: str
    admin: bool = False
    moderator: bool = False
    trust_level: int = 1

    @property
    def staff(self) -> bool:
        return self.admin or self.moderator


@dataclass
class Category:
    id: int
    name: str
    slug: str


@dataclass
class Topic:
    id: int
    title: str
    category_id: int | None
    archetype: str
    user_id: int
    created_at: datetime
    visible_at: datetime | None = None
    closed: bool = False
    archived: bool = False
    visible: bool = True
    deleted_at: datetime | None = None
    post_ids: list[int] = field(default_factory=list)
    allowed_user_ids: set[int] = field(default_factory=set)
    highest_post_number: int = 0

    @property
    def slug(self) -> str:
        return slugify(self.title)

    @property
    def is_pm(self) -> bool:
        return self.archetype == PRIVATE_MESSAGE


@dataclass
class Post:
    id: int
    topic_id: int
    user_id: int
    post_number: int
    raw: str
    post_type: int
    created_at: datetime
    updated_at: datetime
    cooked: str = ""
    version: int = 1
    reply_to_post_number: int | None = None
    reply_count: int = 0
    hidden: bool = False
    hidden_reason_id: int | None = None
    deleted_at: datetime | None = None
    visible_at: datetime | None = None
    action_code: str | None = None
    edit_reason: str | None = None
    override: dict[str, Any] | None = None


@dataclass
class Flag:
    id: int
    post_id: int
    user_id: int
    post_action_type_id: int
    message: str | None
    take_action: bool
    created_at: datetime


class SandboxForum:
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

    # ---------------------------------------------------------------- lookup
    def user_named(self, username: str) -> User | None:
        """Case-insensitive, like Discourse's ``username_lower``."""
        return self._by_name.get(username.strip().lower())

    def user(self, user_id: int) -> User:
        return self.users[user_id]

    def post_count_of(self, user_id: int) -> int:
        return self._post_counts.get(user_id, 0)

    def topic(self, topic_id: int) -> Topic:
        topic = self.topics.get(topic_id)
        if topic is None:
            raise NotFoundError(f"topic {topic_id}")
        return topic

    def post(self, post_id: int) -> Post:
        post = self.posts.get(post_id)
        if post is None:
            raise NotFoundError(f"post {post_id}")
        return post

    def committed(self, obj: Post | Topic) -> bool:
        """False while a delayed post's (or topic's) transaction has not committed yet."""
        return obj.visible_at is None or obj.visible_at <= self.clock()

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
        with self.lock:
            post = self.post(post_id)
            post.hidden, post.hidden_reason_id = True, reason_id
            return post

    def unhide_post(self, post_id: int) -> Post:
        with self.lock:
            post = self.post(post_id)
            post.hidden, post.hidden_reason_id = False, None
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

    # --------------------------------------------------------------- queries
    def listable(self, post: Post) -> bool:
        """What ``GET /posts.json`` shows (LatestPostsQuery + Post scopes)."""
        topic = self.topics[post.topic_id]
        return (
            not post.hidden
            and post.deleted_at is None
            and topic.deleted_at is None
            and topic.visible
            and self.committed(post)
            and self.committed(topic)
        )

    def latest_posts(self, before: int | None = None, limit: int = 50) -> list[Post]:
        """Newest listable posts with ``id < before``, id descending; O(page) via bisect."""
        with self.lock:
            ids = self._public_ids
            end = len(ids) if before is None or before <= 0 else bisect.bisect_left(ids, before)
            page: list[Post] = []
            for index in range(end - 1, -1, -1):
                post = self.posts[ids[index]]
                if self.listable(post):
                    page.append(post)
                    if len(page) == limit:
                        break
            return page

    def topic_posts(self, topic: Topic, viewer: User) -> list[Post]:
        """The posts a viewer sees in a topic's stream, in post_number order.

        Staff also see deleted posts (with ``deleted_at`` set), as in Discourse's TopicView.
        """
        with self.lock:
            result = []
            for post_id in topic.post_ids:
                post = self.posts[post_id]
                if not self.committed(post):
                    continue
                if post.deleted_at is not None and not viewer.staff:
                    continue
                if post.post_type == WHISPER and not viewer.staff:
                    continue
                result.append(post)
            return result

    def can_see_topic(self, topic: Topic, viewer: User) -> bool:
        if not self.committed(topic):
            return False
        if topic.deleted_at is not None and not viewer.staff:
            return False
        return not topic.is_pm or viewer.admin or viewer.id in topic.allowed_user_ids

    def posts_by(self, username: str | None = None) -> list[Post]:
        """Every post (PMs, hidden, deleted, delayed too), ascending id."""
        with self.lock:
            user = self.user_named(username) if username else None
            if username and user is None:
                return []
            posts = sorted(self.posts.values(), key=lambda p: p.id)
            return [p for p in posts if user is None or p.user_id == user.id]

    @property
    def max_post_id(self) -> int:
        return self._next_post_id - 1
