"""Admin pages for console accounts: add, change role and department, deactivate or
reactivate, reset a password; every change audited."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import abort, g, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from forumbot.storage import audit
from forumbot.storage.models import Department, User
from forumbot.web.admin import bp
from forumbot.web.admin.departments import configured_departments, departments_file
from forumbot.web.auth import act, db, login_required
from forumbot.web.users import (
    MIN_PASSWORD,
    ROLES,
    add_user,
    change_role,
    reset_password,
    set_active,
)


def _user(user_id: int) -> User:
    user = db().get(User, user_id)
    if user is None:
        abort(404)
    return user


def _department_code(department_id: int | None) -> str | None:
    row = db().get(Department, department_id) if department_id else None
    return row.code if row else None


@bp.get("/users")
@login_required("admin")
def users():  # type: ignore[no-untyped-def]
    accounts = db().scalars(select(User).order_by(User.active.desc(), User.username)).all()
    departments = {d.id: d for d in db().scalars(select(Department))}
    return render_template(
        "admin/users.html",
        accounts=accounts,
        departments=departments,
        configured=configured_departments(),
        roles=ROLES,
        min_password=MIN_PASSWORD,
    )


def _audit_user(user: User, action: str, **fields: Any) -> None:
    """An admin's change to an account, in the audit log."""
    audit.record(
        db(), actor=g.user.username, entity_type="user", entity_id=user.id, action=action, **fields
    )


def _act_on_users(action: Callable[[], None], done: str) -> Any:
    """Run an account change and come back to the users page (with the refusal, if any)."""
    return act(action, done=done, done_url=url_for("admin.users"), retry_url=url_for("admin.users"))


@bp.post("/users")
@login_required("admin")
def user_add():  # type: ignore[no-untyped-def]
    form = request.form
    name = form.get("username", "").strip()
    role = form.get("role", "")

    def action() -> None:
        user = add_user(
            db(),
            name,
            form.get("password", ""),
            role,
            form.get("department") or None,
            departments_file=departments_file(),
        )
        _audit_user(
            user,
            "user_add",
            to_state=role,
            details={"username": user.username, "department": _department_code(user.department_id)},
        )

    return _act_on_users(action, _("已添加用户 %(name)s", name=name))


@bp.post("/users/<int:user_id>/role")
@login_required("admin")
def user_role(user_id: int):  # type: ignore[no-untyped-def]
    user = _user(user_id)
    role = request.form.get("role", "")
    before_role, before_dept = user.role, _department_code(user.department_id)

    def action() -> None:
        change_role(
            db(),
            user,
            role,
            request.form.get("department") or None,
            by=g.user,
            departments_file=departments_file(),
        )
        _audit_user(
            user,
            "user_role",
            from_state=before_role,
            to_state=role,
            details={
                "username": user.username,
                "department_from": before_dept,
                "department_to": _department_code(user.department_id),
            },
        )

    return _act_on_users(action, _("已更改用户 %(name)s 的角色", name=user.username))


@bp.post("/users/<int:user_id>/active")
@login_required("admin")
def user_active(user_id: int):  # type: ignore[no-untyped-def]
    user = _user(user_id)
    active = request.form.get("active") == "1"

    def action() -> None:
        before = "active" if user.active else "inactive"
        set_active(db(), user, active, by=g.user)
        _audit_user(
            user,
            "user_reactivate" if active else "user_deactivate",
            from_state=before,
            to_state="active" if active else "inactive",
            details={"username": user.username},
        )

    done = (
        _("已重新启用用户 %(name)s", name=user.username)
        if active
        else _("已停用用户 %(name)s", name=user.username)
    )
    return _act_on_users(action, done)


@bp.post("/users/<int:user_id>/password")
@login_required("admin")
def user_password(user_id: int):  # type: ignore[no-untyped-def]
    user = _user(user_id)

    def action() -> None:
        reset_password(db(), user, request.form.get("password", ""))
        _audit_user(
            user,
            "user_password_reset",
            details={"username": user.username},
        )

    return _act_on_users(
        action, _("已为用户 %(name)s 设置新密码，请通过安全渠道告知本人", name=user.username)
    )
