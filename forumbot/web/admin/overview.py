"""The admin start page: the latest changes made through the admin pages."""

from __future__ import annotations

from flask import render_template
from sqlalchemy import select

from forumbot.storage.models import AuditEntry
from forumbot.web.admin import bp
from forumbot.web.auth import db, login_required

ADMIN_ENTITIES = ("user", "department", "template", "knowledge")


@bp.get("/")
@login_required("admin")
def index():  # type: ignore[no-untyped-def]
    recent = db().scalars(
        select(AuditEntry)
        .where(AuditEntry.entity_type.in_(ADMIN_ENTITIES))
        .order_by(AuditEntry.id.desc())
        .limit(20)
    )
    return render_template("admin/index.html", recent=list(recent))
