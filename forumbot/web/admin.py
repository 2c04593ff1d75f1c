"""Admin pages: users and roles, departments and response times, reply templates and the
knowledge base (each edit previewed against a real post before it is saved)."""

from __future__ import annotations

from flask import Blueprint, render_template

from forumbot.web.auth import login_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.get("/")
@login_required("admin")
def index():  # type: ignore[no-untyped-def]
    return render_template("admin/index.html")
