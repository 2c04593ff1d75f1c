"""Turn forum state into the JSON real Discourse sends, endpoint by endpoint.

Field lists and order follow the OpenAPI spec (``discourse_api_docs``) and Discourse's
``PostSerializer``: which optional keys appear depends on how the controller calls the
serializer (``add_raw``, ``add_title``, ``add_excerpt``, inside a topic view or not) and
on who is asking (staff see reviewable counts, raw of hidden posts, whispers).
Call these while holding ``forum.lock``.
"""

from __future__ import annotations

import html
from datetime import datetime
from typing import Any

from forumbot.sandbox import text
from forumbot.sandbox.models import WHISPER, Post, Topic, User
from forumbot.sandbox.state import SandboxForum

CHUNK_SIZE = 20
#: Flag/like types offered on someone else's post, in Discourse's order (PostActionTypeView).
_ACTS_ON_OTHERS = (2, 3, 4, 8, 6, 7)
_ACTS_ON_OWN = (3, 4, 8, 7)
#: Absent from topic-view posts in the spec's getTopic schema (additionalProperties: false).
_NOT_IN_TOPIC_VIEW = ("posts_count", "flair_group_id", "badges_granted", "post_url")
_HIDDEN_COOKED = "<p>This post was flagged by the community and is temporarily hidden.</p>"
_AVATAR_COLORS = ("e47774", "b19c9b", "9de0ff", "d6c6a5", "ba8a5d", "3ab54a", "8c91ff")


def iso(moment: datetime | None) -> str | None:
    """ISO-8601 UTC with milliseconds and ``Z``: ``2020-01-25T02:10:07.971Z``."""
    if moment is None:
        return None
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def avatar_template(user: User) -> str:
    color = _AVATAR_COLORS[abs(user.id) % len(_AVATAR_COLORS)]
    return f"/letter_avatar_proxy/v4/letter/{user.username[:1].lower()}/{color}/{{size}}.png"


def basic_user(user: User) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "name": user.name,
        "avatar_template": avatar_template(user),
    }


def _actions_summary(forum: SandboxForum, post: Post, viewer: User) -> list[dict[str, Any]]:
    own = post.user_id == viewer.id
    acted = {
        f.post_action_type_id: f
        for f in forum.flags
        if f.post_id == post.id and f.user_id == viewer.id
    }
    summary = []
    for type_id in _ACTS_ON_OWN if own else _ACTS_ON_OTHERS:
        item: dict[str, Any] = {"id": type_id}
        count = sum(
            1 for f in forum.flags if f.post_id == post.id and f.post_action_type_id == type_id
        )
        if count and viewer.staff:
            item["count"] = count
        if type_id in acted:
            item["acted"] = True
            item["can_undo"] = True
        elif not acted or type_id == 2:
            item["can_act"] = True
        if "count" in item or "can_act" in item or "acted" in item:
            summary.append(item)
    return summary


def post_json(
    forum: SandboxForum,
    post: Post,
    viewer: User,
    *,
    add_raw: bool = False,
    add_title: bool = False,
    add_excerpt: bool = False,
    topic_view: bool = False,
    draft_sequence: int | None = None,
) -> dict[str, Any]:
    """One post as ``PostSerializer`` renders it for ``viewer``."""
    topic = forum.topics[post.topic_id]
    author = forum.user(post.user_id)
    yours = author.id == viewer.id
    cooked_hidden = post.hidden and not viewer.staff
    cooked = _HIDDEN_COOKED if cooked_hidden else post.cooked
    data: dict[str, Any] = {
        "id": post.id,
        "name": author.name,
        "username": author.username,
        "avatar_template": avatar_template(author),
        "created_at": iso(post.created_at),
        "cooked": cooked,
    }
    if cooked_hidden:
        data["cooked_hidden"] = True
    data |= {
        "post_number": post.post_number,
        "post_type": post.post_type,
        "posts_count": forum.post_count_of(author.id),
        "updated_at": iso(post.updated_at),
        "reply_count": post.reply_count,
        "reply_to_post_number": post.reply_to_post_number,
        "quote_count": 0,
        "incoming_link_count": 0,
        "reads": 1,
        "readers_count": 0,
        "score": 0,
        "yours": yours,
        "topic_id": topic.id,
        "topic_slug": topic.slug,
    }
    if add_title:
        data["topic_title"] = topic.title
        data["topic_html_title"] = html.escape(topic.title)
        data["category_id"] = topic.category_id
    data |= {
        "display_username": author.name,
        "primary_group_name": None,
        "flair_name": None,
        "flair_url": None,
        "flair_bg_color": None,
        "flair_color": None,
        "flair_group_id": None,
        "badges_granted": [],
        "version": 1 if post.hidden and not viewer.staff else post.version,
        "can_edit": viewer.staff or yours,
        "can_delete": viewer.staff and post.post_number > 1 and post.deleted_at is None,
        "can_recover": viewer.staff and post.deleted_at is not None,
        "can_see_hidden_post": viewer.staff or yours,
        "can_wiki": viewer.staff,
    }
    if topic_view:
        data["read"] = True
    data["user_title"] = None
    reply_to = _reply_to_user(forum, topic, post)
    if reply_to is not None:
        data["reply_to_user"] = reply_to
    data["bookmarked"] = False
    if add_raw and (not post.hidden or viewer.staff or yours):
        data["raw"] = post.raw
    data |= {
        "actions_summary": _actions_summary(forum, post, viewer),
        "moderator": author.moderator,
        "admin": author.admin,
        "staff": author.staff,
        "user_id": author.id,
    }
    if draft_sequence is not None:
        data["draft_sequence"] = draft_sequence
    data["hidden"] = post.hidden
    if post.hidden:
        data["hidden_reason_id"] = post.hidden_reason_id
    data |= {
        "trust_level": author.trust_level,
        "deleted_at": iso(post.deleted_at),
        "user_deleted": False,
        "edit_reason": post.edit_reason,
        "can_view_edit_history": True,
        "wiki": False,
    }
    if post.action_code:
        data["action_code"] = post.action_code
    if add_excerpt:
        data["excerpt"] = text.excerpt(cooked)
        if text.truncated(cooked):
            data["truncated"] = True
    if viewer.staff:  # include_reviewable_id? == can_review_topic?
        data["reviewable_id"] = 0 if topic_view else None
        data["reviewable_score_count"] = 0
        data["reviewable_score_pending_count"] = 0
    data["post_url"] = f"/t/{topic.slug}/{topic.id}/{post.post_number}"
    if topic_view:
        for key in _NOT_IN_TOPIC_VIEW:
            del data[key]
    return apply_override(data, post.override)


def _reply_to_user(forum: SandboxForum, topic: Topic, post: Post) -> dict[str, Any] | None:
    if post.reply_to_post_number is None:
        return None
    for other_id in topic.post_ids:
        other = forum.posts[other_id]
        if other.post_number == post.reply_to_post_number:
            user = forum.user(other.user_id)
            return {
                "username": user.username,
                "name": user.name,
                "avatar_template": avatar_template(user),
            }
    return None


def apply_override(data: dict[str, Any], override: dict[str, Any] | None) -> dict[str, Any]:
    """Merge a test's override into serialized JSON; ``"drop": [keys]`` removes keys."""
    if not override:
        return data
    for key, value in override.items():
        if key != "drop":
            data[key] = value
    for key in override.get("drop") or ():
        data.pop(key, None)
    return data


def latest_posts_json(forum: SandboxForum, posts: list[Post], viewer: User) -> dict[str, Any]:
    """``GET /posts.json``: raw, title, category and excerpt included (PostsController#latest)."""
    return {
        "latest_posts": [
            post_json(forum, p, viewer, add_raw=True, add_title=True, add_excerpt=True)
            for p in posts
        ]
    }


def webhook_post_json(forum: SandboxForum, post: Post) -> dict[str, Any]:
    """``WebHookPostSerializer``: post fields plus raw and topic facts, minus viewer fields."""
    system = forum.user(-1)
    topic = forum.topics[post.topic_id]
    data = post_json(forum, post, system, add_raw=True, add_title=True)
    for key in list(data):
        if key.startswith(("can_", "flair_")) or key in ("actions_summary", "yours"):
            del data[key]
    category = forum.categories.get(topic.category_id or 0)
    visible = forum.topic_posts(topic, system)
    data |= {
        "raw": post.raw,
        "category_slug": category.slug if category else None,
        "topic_posts_count": sum(1 for p in visible if p.post_type != WHISPER),
        "topic_filtered_posts_count": len(visible),
        "topic_archetype": topic.archetype,
    }
    return data
