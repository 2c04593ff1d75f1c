"""``GET /t/{id}.json`` and ``GET /t/{id}/posts.json`` as TopicViewSerializer renders them."""

from __future__ import annotations

import html
from typing import Any

from forumbot.sandbox.models import REGULAR, WHISPER, Post, Topic, User
from forumbot.sandbox.serialize import CHUNK_SIZE, basic_user, iso, post_json
from forumbot.sandbox.state import SandboxForum

_STAFF_DETAILS = (
    "can_move_posts",
    "can_delete",
    "can_remove_allowed_users",
    "can_create_post",
    "can_reply_as_new_topic",
    "can_convert_topic",
    "can_review_topic",
    "can_close_topic",
    "can_archive_topic",
    "can_split_merge_topic",
    "can_edit_staff_notes",
    "can_toggle_topic_visibility",
    "can_pin_unpin_topic",
    "can_moderate_category",
)


def _topic_post(forum: SandboxForum, post: Post, viewer: User, include_raw: bool) -> dict[str, Any]:
    return post_json(forum, post, viewer, add_raw=include_raw, topic_view=True)


def _participants(forum: SandboxForum, posts: list[Post]) -> list[dict[str, Any]]:
    counts: dict[int, int] = {}
    for post in posts:
        if post.post_type == REGULAR:
            counts[post.user_id] = counts.get(post.user_id, 0) + 1
    result = []
    for user_id, count in sorted(counts.items(), key=lambda item: -item[1]):
        user = forum.user(user_id)
        result.append(
            basic_user(user)
            | {
                "post_count": count,
                "primary_group_name": None,
                "flair_name": None,
                "flair_url": None,
                "flair_color": None,
                "flair_bg_color": None,
                "flair_group_id": None,
                "admin": user.admin,
                "moderator": user.moderator,
                "trust_level": user.trust_level,
            }
        )
    return result


def _details(forum: SandboxForum, topic: Topic, posts: list[Post], viewer: User) -> dict[str, Any]:
    regular = [p for p in posts if p.post_type == REGULAR] or posts
    can_post = not topic.deleted_at and (viewer.admin or not (topic.closed or topic.archived))
    details: dict[str, Any] = {}
    if viewer.staff:
        details["can_edit"] = True
    details["notification_level"] = 1
    if viewer.staff:
        details |= {name: True for name in _STAFF_DETAILS}
        details["can_create_post"] = bool(can_post)
    else:
        if can_post:
            details["can_create_post"] = True
            details["can_reply_as_new_topic"] = True
        details["can_flag_topic"] = True
    details["can_remove_self_id"] = viewer.id
    details["participants"] = _participants(forum, posts)
    details["created_by"] = basic_user(forum.user(topic.user_id))
    details["last_poster"] = basic_user(forum.user(regular[-1].user_id))
    if topic.is_pm:
        details["allowed_users"] = [
            basic_user(forum.user(uid)) for uid in sorted(topic.allowed_user_ids)
        ]
        details["allowed_groups"] = []
    return details


def topic_json(
    forum: SandboxForum,
    topic: Topic,
    viewer: User,
    *,
    include_raw: bool = False,
    near_post_number: int | None = None,
) -> dict[str, Any]:
    """The topic view: first chunk of posts (20), the full stream of visible ids, details."""
    posts = forum.topic_posts(topic, viewer)
    start = 0
    if near_post_number is not None:
        numbers = [p.post_number for p in posts]
        start = next((i for i, n in enumerate(numbers) if n >= near_post_number), 0)
        start = max(0, min(start, len(posts) - CHUNK_SIZE))
    chunk = posts[start : start + CHUNK_SIZE]
    regular = [p for p in posts if p.post_type == REGULAR]
    visible_numbers = [p.post_number for p in posts if viewer.staff or p.post_type != WHISPER]
    last_posted = regular[-1].created_at if regular else None
    days_ago = max(0, (forum.clock() - topic.created_at).days)
    return {
        "post_stream": {
            "posts": [_topic_post(forum, p, viewer, include_raw) for p in chunk],
            "stream": [p.id for p in posts],
        },
        "timeline_lookup": [[1, days_ago]],
        "suggested_topics": [],
        "tags": [],
        "tags_descriptions": {},
        "id": topic.id,
        "title": topic.title,
        "fancy_title": html.escape(topic.title),
        "posts_count": len(regular),
        "created_at": iso(topic.created_at),
        "views": 1,
        "reply_count": max(0, len(regular) - 1),
        "like_count": 0,
        "last_posted_at": iso(last_posted),
        "visible": topic.visible,
        "closed": topic.closed,
        "archived": topic.archived,
        "has_summary": False,
        "archetype": topic.archetype,
        "slug": topic.slug,
        "category_id": topic.category_id,
        "word_count": sum(len(p.raw or "") for p in regular),
        "deleted_at": iso(topic.deleted_at),
        "user_id": topic.user_id,
        "featured_link": None,
        "pinned_globally": False,
        "pinned_at": None,
        "pinned_until": None,
        "image_url": None,
        "slow_mode_seconds": 0,
        "draft": None,
        "draft_key": f"topic_{topic.id}",
        "draft_sequence": 0,
        "unpinned": None,
        "pinned": False,
        "current_post_number": chunk[0].post_number if chunk else 1,
        "highest_post_number": max(visible_numbers, default=0),
        "deleted_by": None,
        "has_deleted": any(forum.posts[i].deleted_at for i in topic.post_ids),
        "actions_summary": [
            {"id": type_id, "count": 0, "hidden": False, "can_act": True} for type_id in (4, 8, 7)
        ],
        "chunk_size": CHUNK_SIZE,
        "bookmarked": False,
        "bookmarks": [],
        "topic_timer": None,
        "message_bus_last_id": 0,
        "participant_count": len({p.user_id for p in regular}),
        "show_read_indicator": False,
        "thumbnails": None,
        "slow_mode_enabled_until": None,
        "details": _details(forum, topic, posts, viewer),
    }


def topic_posts_json(
    forum: SandboxForum,
    topic: Topic,
    viewer: User,
    *,
    post_ids: list[int] | None = None,
    post_number: int | None = None,
    asc: bool = True,
    include_raw: bool = False,
) -> dict[str, Any]:
    """``GET /t/{id}/posts.json``: chosen posts (by id, or after/before a post number)."""
    posts = forum.topic_posts(topic, viewer)
    if post_ids:
        wanted = set(post_ids)
        chosen = [p for p in posts if p.id in wanted]
    elif post_number is not None:
        if asc:
            chosen = [p for p in posts if p.post_number > post_number][:CHUNK_SIZE]
        else:
            chosen = [p for p in posts if p.post_number < post_number][-CHUNK_SIZE:]
    else:
        chosen = posts[:CHUNK_SIZE]
    return {
        "post_stream": {"posts": [_topic_post(forum, p, viewer, include_raw) for p in chosen]},
        "id": topic.id,
    }
