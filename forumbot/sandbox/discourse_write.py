"""Discourse write routes: create posts/topics/PMs, flag, unhide, edit, delete.

``POST /posts`` answers 200 with the bare post object (no raw, no topic_title), 422 with
``{"action":"create_post","errors":[...]}`` on validation failures, and memoizes identical
API requests for ``memoize_seconds`` (the identical body comes back, nothing is created).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from flask import Blueprint, Response, current_app, g, request

from forumbot.sandbox import validation
from forumbot.sandbox.faults import JSON_TYPE
from forumbot.sandbox.memo import signature
from forumbot.sandbox.models import PRIVATE_MESSAGE, WHISPER, AlreadyActedError, Post, User
from forumbot.sandbox.responses import (
    dumps,
    empty_ok,
    invalid_access,
    invalid_params,
    json_response,
    not_found,
)
from forumbot.sandbox.runtime import SandboxRuntime
from forumbot.sandbox.serialize import post_json
from forumbot.sandbox.validation import truthy

blueprint = Blueprint("discourse_write", __name__)

WHISPER_DENIED = "Either whispers are not enabled or you do not have access to create whisper posts"
ALREADY_PERFORMED = "Oops! You already performed this action. Can you try a different one?"
FLAG_TYPES = (2, 3, 4, 6, 7, 8, 10)  # like, off_topic, inappropriate, notify_*, spam, illegal


def _runtime() -> SandboxRuntime:
    return current_app.extensions["sandbox"]


def _params() -> dict[str, Any] | None:
    """Query, form and JSON body merged like Rails ``params``; None if the JSON is broken."""
    params: dict[str, Any] = request.args.to_dict()
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            return None
        params.update(body)
    else:
        params.update(request.form.to_dict())
    return params


def _parse_time(value: object) -> datetime | None:
    try:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


@blueprint.post("/posts.json")
@blueprint.post("/posts")
def create_post() -> Response:
    runtime, user = _runtime(), g.user
    params = _params()
    if params is None:
        return invalid_params("body")
    if not str(params.get("raw") or "").strip():
        return invalid_params("raw")
    if truthy(params.get("whisper")) and not user.staff:
        return invalid_access(WHISPER_DENIED)
    permitted = {k: params[k] for k in validation.PERMITTED if k in params}
    status, body = runtime.memo.run(
        signature(user.id, permitted), lambda: _perform_create(runtime, user, params)
    )
    return Response(body, status=status, headers={"Content-Type": JSON_TYPE})


def _perform_create(
    runtime: SandboxRuntime, user: User, params: dict[str, Any]
) -> tuple[int, bytes]:
    forum = runtime.forum
    with forum.lock:
        if validation.category_invalid(forum, params):
            return 400, invalid_params("category").get_data()
        errors = validation.create_errors(forum, user, params)
        raw = str(params["raw"]).strip()
        duplicate_key = (user.id, raw)
        if not errors and not user.staff:
            seen = runtime.recent_bodies.get(duplicate_key)
            if seen is not None and time.monotonic() - seen < validation.UNIQUE_POSTS_SECONDS:
                errors = [validation.TOO_SIMILAR]
        if errors:
            return 422, dumps({"action": "create_post", "errors": errors})
        post = _create(user, params, raw)
        runtime.recent_bodies[duplicate_key] = time.monotonic()
        if truthy(params.get("nested_post")):
            return 200, dumps({"post": post_json(forum, post, user, add_raw=True)})
        return 200, dumps(post_json(forum, post, user, draft_sequence=0))


def _create(user: User, params: dict[str, Any], raw: str) -> Post:
    forum = _runtime().forum
    created_at = _parse_time(params["created_at"]) if params.get("created_at") else None
    if params.get("archetype") == PRIVATE_MESSAGE:
        return forum.create_topic(
            user.username,
            str(params["title"]),
            raw,
            archetype=PRIVATE_MESSAGE,
            recipients=validation.recipients_of(params),
            created_at=created_at,
        )
    topic_id = validation.as_int(params.get("topic_id"))
    if topic_id is None:
        return forum.create_topic(
            user.username,
            str(params["title"]),
            raw,
            validation.as_int(params.get("category")),
            created_at=created_at,
        )
    # post_type is not a permitted param: only whisper=true makes a whisper.
    return forum.create_reply(
        user.username,
        topic_id,
        raw,
        reply_to_post_number=validation.as_int(params.get("reply_to_post_number")),
        post_type=WHISPER if truthy(params.get("whisper")) else 1,
        created_at=created_at,
    )


@blueprint.post("/post_actions.json")
@blueprint.post("/post_actions")
def create_post_action() -> Response:
    """Flag or like; ``take_action`` (staff) hides the post at once."""
    runtime, user = _runtime(), g.user
    forum = runtime.forum
    params = _params() or {}
    for name in ("id", "post_action_type_id"):
        if params.get(name) in (None, ""):
            return invalid_params(name)
    type_id = validation.as_int(params["post_action_type_id"])
    target = validation.as_int(params["id"])
    with forum.lock:
        post = _find_post(target, truthy(params.get("flag_topic")), user)
        if post is None:
            return not_found()
        if type_id not in FLAG_TYPES or not forum.can_see_topic(forum.topics[post.topic_id], user):
            return invalid_access()
        try:
            forum.flag(
                user.username,
                post.id,
                type_id,
                message=params.get("message") or None,
                take_action=truthy(params.get("take_action")) and user.staff,
            )
        except AlreadyActedError:
            return json_response({"errors": [ALREADY_PERFORMED]}, 403)
        return json_response(post_json(forum, post, user))


def _find_post(target: int | None, flag_topic: bool, user: User) -> Post | None:
    forum = _runtime().forum
    if target is None:
        return None
    if flag_topic:
        topic = forum.topics.get(target)
        if topic is None or not topic.post_ids:
            return None
        target = topic.post_ids[0]
    post = forum.posts.get(target)
    if post is None or not forum.committed(post):
        return None
    if post.deleted_at is not None and not user.staff:
        return None
    return post


@blueprint.put("/posts/<int:post_id>/unhide.json")
@blueprint.put("/posts/<int:post_id>/unhide")
def unhide(post_id: int) -> Response:
    forum, user = _runtime().forum, g.user
    with forum.lock:
        post = _find_post(post_id, False, user)
        if post is None:
            return not_found()
        if not user.staff:
            return invalid_access()
        forum.unhide_post(post.id)
    return empty_ok()


@blueprint.put("/posts/<int:post_id>.json")
@blueprint.put("/posts/<int:post_id>")
def edit_post(post_id: int) -> Response:
    """``post[raw]`` (form) or ``{"post": {"raw": ...}}`` → ``{"post": {...with raw...}}``."""
    forum, user = _runtime().forum, g.user
    params = _params() or {}
    nested = params.get("post") if isinstance(params.get("post"), dict) else {}
    raw = nested.get("raw") or params.get("post[raw]")
    reason = nested.get("edit_reason") or params.get("post[edit_reason]")
    if not raw:
        return invalid_params("post")
    with forum.lock:
        post = _find_post(post_id, False, user)
        if post is None:
            return not_found()
        if not (user.staff or user.id == post.user_id):
            return invalid_access()
        errors = validation.length_errors(str(raw), validation.MIN_POST_LENGTH)
        if errors:
            return json_response({"errors": errors}, 422)
        forum.edit_post(post.id, str(raw), edit_reason=reason)
        return json_response({"post": post_json(forum, post, user, add_raw=True)})


@blueprint.delete("/posts/<int:post_id>.json")
@blueprint.delete("/posts/<int:post_id>")
def delete_post(post_id: int) -> Response:
    forum, user = _runtime().forum, g.user
    with forum.lock:
        post = _find_post(post_id, False, user)
        if post is None:
            return not_found()
        if not (user.staff or user.id == post.user_id):
            return invalid_access()
        forum.delete_post(post.id)
    return empty_ok()
