"""The records of the sandbox forum: users, categories, topics, posts, flags.

Plain dataclasses with Discourse's names and enums; all behaviour lives in ``state.py``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

REGULAR, MODERATOR_ACTION, SMALL_ACTION, WHISPER = 1, 2, 3, 4
PRIVATE_MESSAGE = "private_message"
SYSTEM_USERNAME = "system"
UNCATEGORIZED_ID = 1


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
