"""The agents' queue: list drafts, read one with its post and findings, approve or reject."""

from __future__ import annotations

import json

from flask import Blueprint, abort, g, redirect, render_template, request, url_for
from sqlalchemy import select

from forumbot.classify.labels import LABEL_NAMES_ZH, LABELS, STYLES
from forumbot.review import audit, queue
from forumbot.review.queue import DraftRef
from forumbot.review.states import STATE_NAMES_ZH, STATES
from forumbot.storage.models import Draft, Post
from forumbot.web.auth import act, db, login_required, topic_thread

bp = Blueprint("queue", __name__)
PAGE = 50


HOME = {"specialist": "departments.listing", "moderator": "moderation.listing"}


@bp.get("/")
@login_required()
def index():  # type: ignore[no-untyped-def]
    return redirect(url_for(HOME.get(g.user.role, "queue.listing")))


@bp.get("/queue")
@login_required("agent")
def listing():  # type: ignore[no-untyped-def]
    state = request.args.get("state", "pending_approval")
    style = request.args.get("style") or None
    query = select(Draft).join(Post).order_by(Draft.created_at).limit(PAGE)
    if state in STATES:
        query = query.where(Draft.state == state)
    if style in STYLES or style == "holding":
        query = query.where(Draft.style == style)
    drafts = db().scalars(query).all()
    return render_template(
        "queue.html",
        drafts=drafts,
        state=state,
        style=style,
        states=STATES,
        styles=STYLES,
        state_names=STATE_NAMES_ZH,
    )


def _draft_for_user(draft_id: int) -> Draft:
    """The draft, if this user may act on it: moderators only on moderation proposals."""
    draft = db().get(Draft, draft_id)
    if draft is None:
        abort(404)
    if g.user.role == "moderator" and draft.kind != "flag":
        abort(403)
    return draft


@bp.get("/drafts/<int:draft_id>")
@login_required("agent", "moderator")
def item(draft_id: int):  # type: ignore[no-untyped-def]
    draft = _draft_for_user(draft_id)
    context = json.loads(draft.context) if draft.context else {}
    return render_template(
        "draft.html",
        draft=draft,
        thread=topic_thread(draft.post),
        context=context,
        label_names=LABEL_NAMES_ZH,
        labels=LABELS,
        state_names=STATE_NAMES_ZH,
        findings=queue.reply_findings(draft),
        history=audit.history(db(), draft.id),
    )


@bp.post("/drafts/<int:draft_id>/approve")
@login_required("agent", "moderator")
def approve(draft_id: int):  # type: ignore[no-untyped-def]
    _draft_for_user(draft_id)
    text = request.form.get("text")
    return act(
        lambda: queue.approve(
            db(),
            DraftRef(draft_id, request.form.get("revision", type=int)),
            actor=g.user.username,
            text=text.replace("\r\n", "\n") if text else None,
            override=request.form.get("override") or None,
        ),
        done=f"草稿 #{draft_id} 已批准，将在下次发布时发出",
        done_url=url_for("queue.listing"),
        retry_url=url_for("queue.item", draft_id=draft_id),
    )


@bp.post("/drafts/<int:draft_id>/reject")
@login_required("agent", "moderator")
def reject(draft_id: int):  # type: ignore[no-untyped-def]
    _draft_for_user(draft_id)
    return act(
        lambda: queue.reject(
            db(),
            DraftRef(draft_id, request.form.get("revision", type=int)),
            actor=g.user.username,
            reason=request.form.get("reason", ""),
        ),
        done=f"草稿 #{draft_id} 已驳回",
        done_url=url_for("queue.listing"),
        retry_url=url_for("queue.item", draft_id=draft_id),
    )
