"""Control routes under ``/_sandbox/`` for tests, benchmarks and the demo.

No auth, no faults, no rate limit. They change the forum behind Discourse's back
(owners posting, edits, deletes, hiding, closing, delayed commits) and report what
happened (every post by a user, flags, request statistics).
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, current_app, request

from forumbot.sandbox.models import PRIVATE_MESSAGE, REGULAR, ForumError, Post
from forumbot.sandbox.responses import json_response
from forumbot.sandbox.runtime import SandboxRuntime
from forumbot.sandbox.seed import build_backlog
from forumbot.sandbox.serialize import iso

blueprint = Blueprint("sandbox_control", __name__, url_prefix="/_sandbox")


def _runtime() -> SandboxRuntime:
    return current_app.extensions["sandbox"]


def _body() -> dict[str, Any]:
    body = request.get_json(silent=True)
    return body if isinstance(body, dict) else {}


def _problem(message: str, status: int = 400) -> Response:
    return json_response({"errors": [message]}, status)


@blueprint.errorhandler(ForumError)
def _forum_error(error: ForumError) -> Response:
    return _problem(f"not found: {error}", 404)


@blueprint.errorhandler(ValueError)
@blueprint.errorhandler(KeyError)
@blueprint.errorhandler(TypeError)
def _bad_value(error: Exception) -> Response:
    return _problem(f"bad request: {error}")


@blueprint.post("/faults")
def set_faults() -> Response:
    """``{"rate": 0.2, "kinds": [...], "timeout_seconds": 1.5, "seed": 1}``; rate 0 = off."""
    body, faults = _body(), _runtime().faults
    faults.configure(
        rate=body.get("rate"),
        kinds=body.get("kinds"),
        timeout_seconds=body.get("timeout_seconds"),
        seed=body.get("seed"),
    )
    return json_response(
        {
            "rate": faults.rate,
            "kinds": list(faults.kinds),
            "timeout_seconds": faults.timeout_seconds,
        }
    )


@blueprint.post("/settings")
def set_settings() -> Response:
    """Change ``rate_limit_per_minute`` and ``memoize_seconds`` live."""
    body, runtime = _body(), _runtime()
    if "rate_limit_per_minute" in body:
        runtime.settings.rate_limit_per_minute = int(body["rate_limit_per_minute"])
        runtime.limiter.reset(runtime.settings.rate_limit_per_minute)
    if "memoize_seconds" in body:
        runtime.settings.memoize_seconds = float(body["memoize_seconds"])
        runtime.memo.clear(runtime.settings.memoize_seconds)
    return json_response(
        {
            "rate_limit_per_minute": runtime.settings.rate_limit_per_minute,
            "memoize_seconds": runtime.settings.memoize_seconds,
        }
    )


@blueprint.post("/users")
def add_user() -> Response:
    body, forum = _body(), _runtime().forum
    user = forum.add_user(
        str(body["username"]),
        body.get("name"),
        admin=bool(body.get("admin")),
        moderator=bool(body.get("moderator")),
        trust_level=int(body.get("trust_level", 1)),
    )
    return json_response({"id": user.id, "username": user.username})


@blueprint.post("/posts")
def add_post() -> Response:
    """Post as anyone without the API; unknown usernames become owners on the fly."""
    body, forum = _body(), _runtime().forum
    username = str(body.get("username") or "")
    if not username or "raw" not in body:
        return _problem("username and raw are required")
    common = {
        "visible_after": float(body.get("visible_after_seconds") or 0),
        "hidden": bool(body.get("hidden")),
        "override": body.get("override"),
    }
    with forum.lock:
        forum.add_user(username)
        raw = body["raw"] if body["raw"] is not None else ""
        if body.get("topic_id") is not None:
            post = forum.create_reply(
                username,
                int(body["topic_id"]),
                raw,
                reply_to_post_number=body.get("reply_to_post_number"),
                post_type=int(body.get("post_type") or REGULAR),
                **common,
            )
        else:
            is_pm = body.get("archetype") == PRIVATE_MESSAGE
            recipients = body.get("recipients") or ([forum.bot_username] if is_pm else [])
            for name in recipients:
                forum.add_user(name)
            post = forum.create_topic(
                username,
                str(body.get("title") or str(raw)[:30] or "无标题"),
                raw,
                body.get("category_id"),
                archetype=PRIVATE_MESSAGE if is_pm else "regular",
                recipients=recipients,
                **common,
            )
        return json_response(
            {"id": post.id, "topic_id": post.topic_id, "post_number": post.post_number}
        )


@blueprint.post("/backlog")
def backlog() -> Response:
    """``{"count": 10000}``: many varied owner posts at once."""
    runtime = _runtime()
    count = int(_body().get("count", 100))
    if count < 0:
        return _problem("count must be >= 0")
    first, last = build_backlog(runtime.factory, count)
    return json_response({"count": count, "first_id": first, "last_id": last})


@blueprint.post("/posts/<int:post_id>/edit")
def edit(post_id: int) -> Response:
    body = _body()
    post = _runtime().forum.edit_post(post_id, str(body.get("raw", "")), body.get("edit_reason"))
    return json_response(_item(post))


@blueprint.post("/posts/<int:post_id>/delete")
def delete(post_id: int) -> Response:
    return json_response(_item(_runtime().forum.delete_post(post_id)))


@blueprint.post("/posts/<int:post_id>/hide")
def hide(post_id: int) -> Response:
    return json_response(_item(_runtime().forum.hide_post(post_id)))


@blueprint.post("/posts/<int:post_id>/unhide")
def unhide(post_id: int) -> Response:
    return json_response(_item(_runtime().forum.unhide_post(post_id)))


@blueprint.post("/topics/<int:topic_id>/close")
def close(topic_id: int) -> Response:
    action = _runtime().forum.close_topic(topic_id)
    return json_response({"topic_id": topic_id, "closed": True, "small_action_id": action.id})


@blueprint.post("/reveal")
def reveal() -> Response:
    return json_response({"revealed": _runtime().forum.reveal_all()})


def _item(post: Post) -> dict[str, Any]:
    forum = _runtime().forum
    with forum.lock:
        topic = forum.topics[post.topic_id]
        return {
            "id": post.id,
            "topic_id": post.topic_id,
            "post_number": post.post_number,
            "username": forum.user(post.user_id).username,
            "raw": post.raw,
            "archetype": topic.archetype,
            "post_type": post.post_type,
            "topic_title": topic.title,
            "reply_to_post_number": post.reply_to_post_number,
            "hidden": post.hidden,
            "deleted_at": iso(post.deleted_at),
            "created_at": iso(post.created_at),
            "updated_at": iso(post.updated_at),
            "version": post.version,
            "committed": forum.committed(post),
        }


@blueprint.get("/posts")
def list_posts() -> Response:
    """Every post (PMs, whispers, hidden, deleted, delayed) by ``username``, or all."""
    forum = _runtime().forum
    with forum.lock:
        posts = forum.posts_by(request.args.get("username") or None)
        return json_response({"posts": [_item(p) for p in posts]})


@blueprint.get("/flags")
def flags() -> Response:
    forum = _runtime().forum
    with forum.lock:
        items = [
            {
                "id": f.id,
                "post_id": f.post_id,
                "username": forum.user(f.user_id).username,
                "post_action_type_id": f.post_action_type_id,
                "message": f.message,
                "take_action": f.take_action,
                "created_at": iso(f.created_at),
            }
            for f in forum.flags
        ]
    return json_response({"flags": items})


@blueprint.get("/webhooks")
def webhooks() -> Response:
    sender = _runtime().webhooks
    deliveries = list(sender.deliveries) if sender else []
    return json_response({"deliveries": [vars(d) for d in deliveries]})


@blueprint.get("/stats")
def stats() -> Response:
    return json_response(_runtime().snapshot())


@blueprint.post("/reset")
def reset() -> Response:
    _runtime().reset()
    return json_response({"reset": True})
