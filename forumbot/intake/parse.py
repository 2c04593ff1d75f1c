"""Turn one Discourse post item (from /posts.json or a webhook) into what we store, or a skip.

Pure functions: forum text is data and is kept verbatim; anything malformed becomes a
``Skip`` with a reason a person can read in the log, never an exception that stops a job.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

REGULAR_POST_TYPE = 1
MAX_RAW_CHARS = 200_000  # Discourse's max_post_length is 32,000; anything beyond is not a post
# The largest number each numeric field's column holds (BigInteger or Integer, signed).
COLUMN_MAX = {
    "id": 2**63 - 1,
    "topic_id": 2**63 - 1,
    "post_number": 2**31 - 1,
    "reply_to_post_number": 2**31 - 1,
    "category_id": 2**31 - 1,
    "version": 2**31 - 1,
}


@dataclass(frozen=True)
class IncomingPost:
    forum_post_id: int
    topic_id: int
    post_number: int
    reply_to_post_number: int | None
    username: str
    raw: str
    topic_title: str | None
    category_id: int | None
    created_at: datetime | None
    updated_at: datetime | None
    version: int
    hidden: bool
    deleted: bool
    note: str | None


@dataclass(frozen=True)
class Skip:
    forum_post_id: Any
    reason: str
    # Routine skips (our own replies, whispers, private messages) are expected every poll;
    # the others mean the forum sent something malformed and are worth a warning.
    routine: bool = False


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return None


def _time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.astimezone(UTC) if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def out_of_range(item: Any) -> str | None:
    """Name the first number too large (or too negative) for its column, else None.

    The database driver would fail on it (an overflow, not a skip): a webhook refuses such a
    delivery with a 4xx, the poller skips the post."""
    if not isinstance(item, dict):
        return None
    for name, limit in COLUMN_MAX.items():
        value = _int(item.get(name))
        if value is not None and not -limit - 1 <= value <= limit:
            return f"{name} {value} is out of range (at most {limit})"
    return None


def parse_post(
    item: Any, *, bot_username: str, skip_usernames: frozenset[str] = frozenset()
) -> IncomingPost | Skip:
    """Decide whether a post item is taken in, and normalise its fields."""
    if not isinstance(item, dict):
        return Skip(None, f"not a JSON object: {type(item).__name__}")
    problem = out_of_range(item)
    if problem is not None:
        return Skip(str(item.get("id"))[:40], problem)
    post_id = _int(item.get("id"))
    if post_id is None or post_id <= 0:
        return Skip(item.get("id"), f"invalid post id {item.get('id')!r}")
    username = item.get("username")
    if not isinstance(username, str) or not username:
        return Skip(post_id, "no username")
    if username.lower() == bot_username.lower():
        return Skip(post_id, "the bot's own post", routine=True)
    if username.lower() in skip_usernames:
        return Skip(post_id, f"author {username} is in intake.skip_usernames", routine=True)
    post_type = item.get("post_type", REGULAR_POST_TYPE)
    if post_type != REGULAR_POST_TYPE:
        kind = {2: "moderator action", 3: "small action", 4: "whisper"}.get(post_type, "unknown")
        return Skip(
            post_id,
            f"post_type {post_type!r} ({kind}), not a regular post",
            routine=kind != "unknown",
        )
    archetype = item.get("topic_archetype") or item.get("archetype")
    if archetype == "private_message":
        return Skip(post_id, "private message", routine=True)
    topic_id = _int(item.get("topic_id"))
    post_number = _int(item.get("post_number"))
    if topic_id is None or topic_id <= 0 or post_number is None or post_number <= 0:
        return Skip(post_id, "missing or invalid topic_id/post_number")
    notes = []
    raw = item.get("raw")
    if not isinstance(raw, str):
        raw = ""
        notes.append("raw missing (hidden post or API change); stored empty")
    if len(raw) > MAX_RAW_CHARS:
        notes.append(f"raw of {len(raw)} characters cut to {MAX_RAW_CHARS}")
        raw = raw[:MAX_RAW_CHARS]
    created_at = _time(item.get("created_at"))
    if created_at is None and item.get("created_at") is not None:
        notes.append(f"unreadable created_at {str(item.get('created_at'))[:40]!r}")
    version = _int(item.get("version")) or 1
    title = item.get("topic_title")
    category = _int(item.get("category_id"))
    return IncomingPost(
        forum_post_id=post_id,
        topic_id=topic_id,
        post_number=post_number,
        reply_to_post_number=_int(item.get("reply_to_post_number")),
        username=username[:255],
        raw=raw,
        topic_title=title if isinstance(title, str) else None,
        category_id=category,
        created_at=created_at,
        updated_at=_time(item.get("updated_at")),
        version=version,
        hidden=bool(item.get("hidden")),
        deleted=item.get("deleted_at") is not None,
        note="; ".join(notes) or None,
    )
