"""The dashboard: posts by label and day, drafts by state, response times, overdue promises."""

from __future__ import annotations

from flask import Blueprint, render_template

from forumbot.web.auth import login_required

bp = Blueprint("dashboard", __name__)


@bp.get("/dashboard")
@login_required("agent")
def index():  # type: ignore[no-untyped-def]
    return render_template("dashboard.html")
