"""The moderation page: abuse proposals, approved (flag and hide) or dismissed."""

from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import select

from forumbot.storage.models import Draft
from forumbot.web.auth import db, login_required

bp = Blueprint("moderation", __name__)


@bp.get("/moderation")
@login_required("moderator")
def listing():  # type: ignore[no-untyped-def]
    proposals = (
        db()
        .scalars(
            select(Draft)
            .where(Draft.kind == "flag", Draft.state == "pending_approval")
            .order_by(Draft.created_at)
        )
        .all()
    )
    return render_template("moderation.html", proposals=proposals)
