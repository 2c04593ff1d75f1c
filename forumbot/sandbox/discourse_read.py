"""Discourse read routes: latest posts, one post, a topic, chosen posts of a topic.

Visibility follows Discourse's guardian for the acting user (``Api-Username``): staff see
deleted posts and topics (with ``deleted_at`` set) and whispers; everyone else gets 404
for deleted things and 403 for posts in PMs they are not part of.
"""

from __future__ import annotations

from flask import Blueprint, Response, current_app, g, request

from forumbot.sandbox.models import WHISPER, Post, Topic, User
from forumbot.sandbox.responses import invalid_access, json_response, not_found
from forumbot.sandbox.runtime import SandboxRuntime
from forumbot.sandbox.serialize import latest_posts_json, post_json
from forumbot.sandbox.serialize_topic import topic_json, topic_posts_json
from forumbot.sandbox.validation import truthy

blueprint = Blueprint("discourse_read", __name__)


def _runtime() -> SandboxRuntime:
    return current_app.extensions["sandbox"]


def _int_arg(name: str) -> int | None:
    value = request.args.get(name, "")
    try:
        return int(value)
    except ValueError:
        return None


@blueprint.get("/posts.json")
@blueprint.get("/posts")
def latest_posts() -> Response:
    """Public regular posts, id descending, 50 per page; ``before=N`` means ``id < N``."""
    forum = _runtime().forum
    with forum.lock:
        page = forum.latest_posts(before=_int_arg("before"))
        return json_response(latest_posts_json(forum, page, g.user))


def _visible_post(post_id: int, viewer: User) -> Post | Response:
    forum = _runtime().forum
    post = forum.posts.get(post_id)
    if post is None or not forum.committed(post):
        return not_found()
    topic = forum.topics[post.topic_id]
    gone = post.deleted_at is not None or topic.deleted_at is not None
    if gone and not viewer.staff:
        return not_found()
    if not forum.can_see_topic(topic, viewer) or (post.post_type == WHISPER and not viewer.staff):
        return invalid_access()
    return post


@blueprint.get("/posts/<int:post_id>.json")
@blueprint.get("/posts/<int:post_id>")
def show_post(post_id: int) -> Response:
    """One post with ``raw`` (omitted for a hidden post unless staff or the author)."""
    forum = _runtime().forum
    with forum.lock:
        post = _visible_post(post_id, g.user)
        if isinstance(post, Response):
            return post
        return json_response(post_json(forum, post, g.user, add_raw=True))


@blueprint.get("/posts/<int:post_id>/raw")
def post_raw(post_id: int) -> Response:
    forum = _runtime().forum
    with forum.lock:
        post = _visible_post(post_id, g.user)
        if isinstance(post, Response):
            return post
        return Response(post.raw or "", headers={"Content-Type": "text/plain; charset=utf-8"})


@blueprint.get("/posts/by_number/<int:topic_id>/<int:post_number>.json")
@blueprint.get("/posts/by_number/<int:topic_id>/<int:post_number>")
def post_by_number(topic_id: int, post_number: int) -> Response:
    forum = _runtime().forum
    with forum.lock:
        topic = forum.topics.get(topic_id)
        if topic is None:
            return not_found()
        for post_id in topic.post_ids:
            if forum.posts[post_id].post_number == post_number:
                return show_post(post_id)
        return not_found()


def _visible_topic(topic_id: int, viewer: User) -> Topic | Response:
    forum = _runtime().forum
    topic = forum.topics.get(topic_id)
    if topic is None or not forum.can_see_topic(topic, viewer):
        return not_found()  # TopicsController turns InvalidAccess into NotFound
    return topic


@blueprint.get("/t/<int:topic_id>.json")
@blueprint.get("/t/<int:topic_id>")
@blueprint.get("/t/<slug>/<int:topic_id>.json")
@blueprint.get("/t/<slug>/<int:topic_id>")
@blueprint.get("/t/<int:topic_id>/<int:post_number>.json")
@blueprint.get("/t/<slug>/<int:topic_id>/<int:post_number>.json")
def show_topic(topic_id: int, slug: str | None = None, post_number: int | None = None) -> Response:
    forum = _runtime().forum
    with forum.lock:
        topic = _visible_topic(topic_id, g.user)
        if isinstance(topic, Response):
            return topic
        data = topic_json(
            forum,
            topic,
            g.user,
            include_raw=truthy(request.args.get("include_raw")),
            near_post_number=post_number,
        )
        return json_response(data)


@blueprint.get("/t/<int:topic_id>/posts.json")
@blueprint.get("/t/<int:topic_id>/posts")
def topic_posts(topic_id: int) -> Response:
    """``post_ids[]`` picks posts; else ``post_number`` + ``asc`` walk the stream."""
    forum = _runtime().forum
    raw_ids = request.args.getlist("post_ids[]") or request.args.getlist("post_ids")
    post_ids = [int(v) for v in raw_ids if v.strip().isdigit()]
    with forum.lock:
        topic = _visible_topic(topic_id, g.user)
        if isinstance(topic, Response):
            return topic
        data = topic_posts_json(
            forum,
            topic,
            g.user,
            post_ids=post_ids,
            post_number=_int_arg("post_number"),
            asc=request.args.get("asc", "true").lower() != "false",
            include_raw=truthy(request.args.get("include_raw")),
        )
        return json_response(data)
