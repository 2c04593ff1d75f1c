"""Admin pages for the classifier: corrections since the last training, retraining in the
background, comparing a candidate with the current model, promote and roll back."""

from __future__ import annotations

from flask import Blueprint, render_template

from forumbot.web.auth import login_required

bp = Blueprint("models", __name__, url_prefix="/admin/models")


@bp.get("/")
@login_required("admin")
def index():  # type: ignore[no-untyped-def]
    return render_template("admin/models.html")
