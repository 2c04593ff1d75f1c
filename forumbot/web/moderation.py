"""The moderation page: abuse proposals, approved (flag and hide) or dismissed, each with the
case its post was written in (whose owner it may be aimed at, how many neighbours joined).
Threats and other posts reporting danger come first, marked: someone may be at risk."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import case as sql_case
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from forumbot.storage.models import Draft, Post
from forumbot.web import casework
from forumbot.web.auth import db, login_required

bp = Blueprint("moderation", __name__)


@bp.get("/moderation")
@login_required("moderator")
def listing():  # type: ignore[no-untyped-def]
    proposals = (
        db()
        .scalars(
            select(Draft)
            .join(Post, Post.id == Draft.post_id)
            .where(Draft.kind == "flag", Draft.state == "pending_approval")
            .options(selectinload(Draft.post))
            .order_by(sql_case((Post.urgent.is_(True), 0), else_=1), Draft.created_at, Draft.id)
        )
        .all()
    )
    cases = casework.summaries(db(), [d.case_id or d.post.case_id for d in proposals])
    return render_template("moderation.html", proposals=proposals, cases=cases)
