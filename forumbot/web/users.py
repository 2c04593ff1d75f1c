"""Console accounts: roles, password hashing (Argon2id), the checks at login, and the admin's
changes (role, department, deactivation, password reset)."""

from __future__ import annotations

from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from forumbot.cases.writing import sync_departments
from forumbot.drafting.resources import load_departments
from forumbot.paths import CONFIG_DIR
from forumbot.review.errors import ReviewError
from forumbot.storage.models import User
from forumbot.textsafety import invisible_characters

ROLES = ("agent", "supervisor", "specialist", "moderator", "admin")
ROLE_NAMES_ZH = {
    "agent": "客服专员",
    "supervisor": "客服主管",
    "specialist": "专业部门",
    "moderator": "版主",
    "admin": "管理员",
}
MIN_PASSWORD = 10
MAX_USERNAME = 64
_hasher = PasswordHasher()


def check_username(username: str) -> str:
    """The name as stored (outer spaces trimmed), or ReviewError: a console name is shown in
    the top bar, the users page and the audit log, so it may hold nothing that is invisible
    or that reorders the text around it (a name that would display as another person's)."""
    name = username.strip()
    if not name or ":" in name:
        raise ReviewError("用户名不能为空，也不能包含冒号")
    if len(name) > MAX_USERNAME:
        raise ReviewError(f"用户名最多 {MAX_USERNAME} 个字符，请改短一些")
    hidden = invisible_characters(name)
    if hidden:
        raise ReviewError(
            f"用户名不能包含不可见字符或控制字符（{'、'.join(hidden)}，如方向控制符、零宽字符），"
            "请重新输入"
        )
    if any(ch.isspace() for ch in name):
        raise ReviewError("用户名不能包含空白字符，请去掉空格后重试")
    return name


def end_sessions(session: Session, user: User) -> None:
    """Sign the user out everywhere: sessions opened before carry an older generation."""
    user.session_generation = User.session_generation + 1
    session.flush()


def _check_password(password: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise ReviewError(f"密码至少需要 {MIN_PASSWORD} 个字符")


def _department_id(
    session: Session, role: str, department: str | None, departments_file: Path | None
) -> int | None:
    """The department row of a specialist (who belongs to exactly one); None for other roles."""
    if role != "specialist":
        return None
    if not department:
        raise ReviewError(
            "专业部门账号需要指定所属部门（--department：engineering、planning、sales、property、service）"
        )
    configured = load_departments(departments_file or CONFIG_DIR / "departments.toml")[0]
    known = sync_departments(session, configured)
    if department not in configured:
        raise ReviewError(f"部门 {department} 不存在，可选：{', '.join(sorted(configured))}")
    return known[department].id


def add_user(
    session: Session,
    username: str,
    password: str,
    role: str,
    department: str | None = None,
    *,
    departments_file: Path | None = None,
) -> User:
    """Create an account; a specialist belongs to exactly one department."""
    username = check_username(username)
    if role not in ROLES:
        raise ReviewError(f"未知角色 {role!r}，可选：{', '.join(ROLES)}")
    _check_password(password)
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise ReviewError(f"用户 {username} 已存在")
    dept_id = _department_id(session, role, department, departments_file)
    user = User(
        username=username, role=role, department_id=dept_id, password_hash=_hasher.hash(password)
    )
    session.add(user)
    session.flush()
    return user


def _other_active_admins(session: Session, user: User) -> int:
    return len(
        session.scalars(
            select(User.id).where(User.role == "admin", User.active, User.id != user.id)
        ).all()
    )


def change_role(
    session: Session,
    user: User,
    role: str,
    department: str | None,
    *,
    by: User,
    departments_file: Path | None = None,
) -> None:
    """Give an account another role or department. Nobody takes admin away from themselves,
    and the last active admin stays one, so the console always has someone to run it."""
    if role not in ROLES:
        raise ReviewError(f"未知角色 {role!r}，可选：{', '.join(ROLES)}")
    if user.role == "admin" and role != "admin":
        if user.id == by.id:
            raise ReviewError("不能取消自己的管理员角色（否则无人能管理系统）")
        if user.active and _other_active_admins(session, user) == 0:
            raise ReviewError("这是最后一个启用中的管理员账号，不能改为其他角色")
    user.department_id = _department_id(session, role, department, departments_file)
    user.role = role
    session.flush()


def set_active(session: Session, user: User, active: bool, *, by: User) -> None:
    """Deactivate (signed out at the next request, cannot log in) or reactivate an account."""
    if not active:
        if user.id == by.id:
            raise ReviewError("不能停用自己的账号")
        if user.role == "admin" and _other_active_admins(session, user) == 0:
            raise ReviewError("这是最后一个启用中的管理员账号，不能停用")
        end_sessions(session, user)  # reactivating later must not revive old sessions
    user.active = active
    session.flush()


def reset_password(session: Session, user: User, password: str) -> None:
    """Set a new password that the admin passes on to the person; every session of the
    account ends (whoever knew the old password is out)."""
    _check_password(password)
    user.password_hash = _hasher.hash(password)
    end_sessions(session, user)


def authenticate(session: Session, username: str, password: str) -> User | None:
    user = session.scalar(select(User).where(User.username == username.strip(), User.active))
    if user is None:
        _hasher.hash(password)  # spend the same time as for a real account
        return None
    try:
        _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    return user
