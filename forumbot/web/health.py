"""GET /healthz: is the database reachable and how far has intake read."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from forumbot.storage.models import Draft, IntakeCursor, Post

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():  # type: ignore[no-untyped-def]
    sessions = current_app.config["FORUMBOT_SESSIONS"]
    try:
        with sessions() as session:
            posts = session.scalar(select(func.count()).select_from(Post))
            drafts = dict(
                session.execute(select(Draft.state, func.count()).group_by(Draft.state)).all()
            )
            cursor = session.get(IntakeCursor, "latest_posts")
    except SQLAlchemyError as exc:
        return jsonify({"ok": False, "error": f"database unavailable: {type(exc).__name__}"}), 503
    return jsonify(
        {
            "ok": True,
            "posts": posts,
            "drafts": drafts,
            "high_water_mark": cursor.high_water_mark if cursor else 0,
        }
    )
