"""Console accounts: roles, password hashing (Argon2id) and the checks at login."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from forumbot.drafting.job import sync_departments
from forumbot.drafting.resources import load_departments
from forumbot.paths import CONFIG_DIR
from forumbot.review.errors import ReviewError
from forumbot.storage.models import User

ROLES = ("agent", "specialist", "moderator", "admin")
ROLE_NAMES_ZH = {
    "agent": "客服专员",
    "specialist": "专业部门",
    "moderator": "版主",
    "admin": "管理员",
}
MIN_PASSWORD = 10
_hasher = PasswordHasher()


def add_user(
    session: Session, username: str, password: str, role: str, department: str | None = None
) -> User:
    """Create an account; a specialist belongs to exactly one department."""
    username = username.strip()
    if not username or ":" in username:
        raise ReviewError("用户名不能为空，也不能包含冒号")
    if role not in ROLES:
        raise ReviewError(f"未知角色 {role!r}，可选：{', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        raise ReviewError(f"密码至少需要 {MIN_PASSWORD} 个字符")
    if session.scalar(select(User).where(User.username == username)) is not None:
        raise ReviewError(f"用户 {username} 已存在")
    dept_id = None
    if role == "specialist":
        if not department:
            raise ReviewError(
                "专业部门账号需要 --department（engineering、planning、sales、property、service）"
            )
        known = sync_departments(session, load_departments(CONFIG_DIR / "departments.toml")[0])
        if department not in known:
            raise ReviewError(f"部门 {department} 不存在，可选：{', '.join(sorted(known))}")
        dept_id = known[department].id
    user = User(
        username=username, role=role, department_id=dept_id, password_hash=_hasher.hash(password)
    )
    session.add(user)
    session.flush()
    return user


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
