"""Admin page for departments: names, descriptions and response days in departments.toml
(validated, saved atomically, synced to the database), with their open and overdue requests."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import case, func, select

from forumbot.cases.writing import sync_departments
from forumbot.drafting.edits import (
    EditError,
    edit_department,
    parse_response_days,
    save_validated,
)
from forumbot.drafting.resources import load_departments
from forumbot.storage import audit
from forumbot.storage.models import Department, DepartmentRequest, utcnow
from forumbot.texthash import text_sha256
from forumbot.web.admin import bp
from forumbot.web.auth import db, login_required, paths


def departments_file() -> Path:
    """The departments.toml the console edits (a copy in tests)."""
    return paths().config / "departments.toml"


def configured_departments() -> dict[str, Any]:
    """The departments as configured in the file, by code (users and knowledge pick from them)."""
    return load_departments(departments_file())[0]


@bp.get("/departments")
@login_required("admin")
def departments():  # type: ignore[no-untyped-def]
    where = departments_file()
    now = utcnow()
    counts = {
        code: (open_count, overdue or 0)
        for code, open_count, overdue in db().execute(
            select(
                Department.code,
                func.count(DepartmentRequest.id),
                func.sum(case((DepartmentRequest.due_at < now, 1), else_=0)),
            )
            .join(DepartmentRequest, DepartmentRequest.department_id == Department.id)
            .where(DepartmentRequest.state == "open")
            .group_by(Department.code)
        )
    }
    return render_template(
        "admin/departments.html",
        configured=configured_departments(),
        counts=counts,
        base=text_sha256(where.read_text(encoding="utf-8")),
    )


@bp.post("/departments/<code>")
@login_required("admin")
def department_save(code: str):  # type: ignore[no-untyped-def]
    where = departments_file()
    form = request.form
    try:
        before = configured_departments().get(code)
        if before is None:
            abort(404)
        days = parse_response_days(form.get("response_days", ""))
        old_text = where.read_text(encoding="utf-8")
        new_text = edit_department(
            old_text,
            code,
            name=form.get("name", ""),
            description=form.get("description", ""),
            response_days=days,
        )
        save_validated(where, new_text, load_departments, expected_sha256=form.get("base", ""))
    except EditError as exc:
        flash(str(exc), "error")
        return redirect(url_for("admin.departments"))
    after = configured_departments()[code]
    rows = sync_departments(db(), configured_departments())
    audit.record(
        db(),
        actor=g.user.username,
        entity_type="department",
        entity_id=rows[code].id,
        action="department_edit",
        details={
            "code": code,
            "name": [before.name, after.name],
            "response_days": [before.response_days, after.response_days],
            "description_changed": before.description != after.description,
            "old_sha256": text_sha256(old_text),
            "new_sha256": text_sha256(new_text),
        },
    )
    db().commit()
    flash(_("已保存部门 %(name)s", name=after.name), "ok")
    return redirect(url_for("admin.departments"))
