"""Previews shared by the template and knowledge editors: the post a preview runs against, and
the signed token without which a save is refused (it proves this exact text was previewed)."""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import select

from forumbot.cases.writing import post_view
from forumbot.drafting.edits import EditError
from forumbot.drafting.engine import PostView
from forumbot.labelling.labeller import latest_classification
from forumbot.review.limits import problem
from forumbot.storage.models import Draft, Post
from forumbot.texthash import text_sha256
from forumbot.web.auth import db

PREVIEW_MAX_AGE = 2 * 3600  # a preview older than this must be done again before saving
SAMPLE_POST = PostView(0, "请问物业费是按建筑面积还是套内面积算的？", "物业费怎么算", 1, "示例业主")


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="forumbot-admin-preview")


def sign_preview(kind: str, target: str, text: str, base: str, post: int) -> str:
    """A token saying: this exact text was previewed here, on this file version, this post."""
    claim = {"kind": kind, "target": target, "sha256": text_sha256(text), "base": base}
    return _serializer().dumps({**claim, "post": post})


def check_lengths(fields: dict[str, str]) -> None:
    """The editor's form fields (form name -> limit name) against the one table of limits."""
    for name, field in fields.items():
        found = problem(field, request.form.get(name, ""))
        if found:
            raise EditError(found)


def previewed(kind: str, target: str, text: str) -> dict[str, Any]:
    """The preview claim for exactly this text, or a refusal: save needs a preview first."""
    try:
        claim = _serializer().loads(request.form.get("preview", ""), max_age=PREVIEW_MAX_AGE)
    except BadSignature:
        raise EditError("请先预览，确认效果后再保存（没有找到有效的预览记录）") from None
    if claim.get("kind") != kind or claim.get("target") != target:
        raise EditError("预览记录与要保存的内容不符，请重新预览")
    if claim.get("sha256") != text_sha256(text):
        raise EditError("内容在预览之后又改动过，请重新预览后再保存")
    return claim


def preview_post(ref: str | None, style: str) -> Post | None:
    """The post named by forum post id, else the newest post with a draft in this style,
    else the newest post; None when nothing is stored yet (the sample post is used)."""
    ref = (ref or "").strip()
    if ref:
        too_long = problem("preview_post", ref)
        if too_long:
            raise EditError(too_long)
        if not ref.isdigit():
            raise EditError("帖子编号必须是数字（论坛帖子 ID）")
        post = db().scalar(select(Post).where(Post.forum_post_id == int(ref)))
        if post is None and int(ref) != SAMPLE_POST.forum_post_id:
            raise EditError(f"找不到论坛帖子 #{ref}")
        return post
    newest_with_style = (
        select(Post).join(Draft).where(Draft.style == style).order_by(Post.id.desc()).limit(1)
    )
    return db().scalar(newest_with_style) or db().scalar(
        select(Post).order_by(Post.id.desc()).limit(1)
    )


def preview_label(post: Post | None) -> str:
    """The post's latest label; the sample post (or an unlabelled one) counts as an inquiry."""
    current = latest_classification(db(), post.id) if post is not None else None
    return current.label if current is not None else "inquiry"


def preview_view(post: Post | None) -> PostView:
    """The post as the drafter sees it, or the sample post when there is none."""
    return post_view(post) if post is not None else SAMPLE_POST
