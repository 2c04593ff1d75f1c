"""The checks ``POST /posts`` runs before creating (PostCreator, PostValidator, TopicCreator).

Pure functions over the forum: they return Discourse's full error messages, empty when
the post may be created. Defaults are Discourse's site settings. Not modelled: title
length and entropy, ``max_consecutive_replies``, watched words, approval queues.
"""

from __future__ import annotations

from typing import Any

from forumbot.sandbox.models import PRIVATE_MESSAGE, User
from forumbot.sandbox.state import SandboxForum

MIN_POST_LENGTH = 20  # min_post_length and min_first_post_length
MIN_PM_POST_LENGTH = 10  # min_personal_message_post_length
MAX_POST_LENGTH = 32000
UNIQUE_POSTS_SECONDS = 5 * 60  # unique_posts_mins

#: ``PostsController#create_params``: only these take part in memoization.
PERMITTED = (
    "raw",
    "topic_id",
    "archetype",
    "category",
    "target_recipients",
    "reply_to_post_number",
    "auto_track",
    "typing_duration_msecs",
    "composer_open_duration_msecs",
    "visible",
    "draft_key",
    "composer_version",
    "locale",
    "title",
    "tags",
    "created_at",
    "embed_url",
    "external_id",
    "skip_validations",
    "import_mode",
    "is_warning",
    "no_bump",
    "shared_draft",
    "whisper",
    "unlist_topic",
    "nested_post",
)

TOPIC_GONE = (
    "Something has gone wrong. Perhaps this topic was closed or deleted while you were "
    "looking at it?"
)
NO_USER_SELECTED = "You must select a valid user."
PM_ON_EXISTING_TOPIC = "You can not create a PM on an existing topic."
TITLE_BLANK = "Title can't be blank"
TOO_SIMILAR = "Body is too similar to what you recently posted"


def too_short(minimum: int) -> str:
    return f"Body is too short (minimum is {minimum} characters)"


def truthy(value: object) -> bool:
    """Rails-style boolean params: ``true``, ``"true"``, ``"1"``..."""
    return value is True or str(value).lower() in ("true", "1", "yes", "on")


def as_int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def recipients_of(params: dict[str, Any]) -> list[str]:
    """``target_recipients`` is a comma-separated string (``target_usernames`` is ignored)."""
    value = params.get("target_recipients") or ""
    names = value if isinstance(value, list) else str(value).split(",")
    return [name.strip() for name in names if str(name).strip()]


def can_post_in(forum: SandboxForum, topic_id: int | None, user: User) -> bool:
    """Guardian ``can_create_post_on_topic?``: admins, moderators, TL4 may post in closed topics."""
    topic = forum.topics.get(topic_id) if topic_id is not None else None
    if topic is None or topic.deleted_at is not None or not forum.committed(topic):
        return False
    if topic.is_pm and not (user.admin or user.id in topic.allowed_user_ids):
        return False
    trusted = user.admin or user.moderator or user.trust_level >= 4
    return trusted or not (topic.closed or topic.archived)


def length_errors(raw: str, minimum: int) -> list[str]:
    length = len(raw.strip())
    if length < minimum:
        return [too_short(minimum)]
    if length > MAX_POST_LENGTH:
        return [f"Body is too long (maximum is {MAX_POST_LENGTH} characters)"]
    return []


def create_errors(forum: SandboxForum, user: User, params: dict[str, Any]) -> list[str]:
    """Why this create would fail with 422 (empty list: it succeeds)."""
    raw = str(params.get("raw", ""))
    if params.get("archetype") == PRIVATE_MESSAGE:
        if params.get("topic_id") not in (None, ""):
            return [PM_ON_EXISTING_TOPIC]
        names = recipients_of(params)
        if not names or any(forum.user_named(name) is None for name in names):
            return [NO_USER_SELECTED]
        if not str(params.get("title") or "").strip():
            return [TITLE_BLANK]
        return length_errors(raw, MIN_PM_POST_LENGTH)
    if params.get("topic_id") not in (None, ""):
        if not can_post_in(forum, as_int(params["topic_id"]), user):
            return [TOPIC_GONE]
        return length_errors(raw, MIN_POST_LENGTH)
    if not str(params.get("title") or "").strip():
        return [TITLE_BLANK]
    return length_errors(raw, MIN_POST_LENGTH)


def category_invalid(forum: SandboxForum, params: dict[str, Any]) -> bool:
    """A new topic naming an unknown category is a 400, not a 422."""
    if params.get("topic_id") not in (None, "") or params.get("category") in (None, ""):
        return False
    category = as_int(params["category"])
    return category is None or category not in forum.categories
