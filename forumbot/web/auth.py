"""Login, logout, the current user, and the role check every console route goes through."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forumbot.review.errors import ReviewError
from forumbot.storage import audit
from forumbot.storage.models import AuditEntry, Post, User, utcnow
from forumbot.web.users import authenticate, end_sessions

T = TypeVar("T")

if TYPE_CHECKING:
    from forumbot.config import Settings
    from forumbot.drafting.engine import Drafter
    from forumbot.web import ConsolePaths

bp = Blueprint("auth", __name__)

MAX_FAILURES = 5
WINDOW = timedelta(minutes=5)


def attempt(name: str) -> dict[str, Any]:
    """Who is trying to sign in, as the audit log records it (name as typed, address)."""
    return {"address": request.remote_addr, "username": name.strip()[:255]}


def too_many_failures(name: str) -> bool:
    """MAX_FAILURES failed sign-ins for this name and address within WINDOW, none succeeded
    since. Counted from the audit log (through its entity index), so the limit holds across
    processes and restarts."""
    key, since = audit.details_json(attempt(name)), utcnow() - WINDOW
    last_success = db().scalar(
        select(func.max(AuditEntry.at)).where(
            AuditEntry.entity_type == "user",
            AuditEntry.entity_id.in_(select(User.id).where(User.username == name.strip())),
            AuditEntry.action == "login",
            AuditEntry.details == key,
            AuditEntry.at > since,
        )
    )
    failures = db().scalar(
        select(func.count(AuditEntry.id)).where(
            AuditEntry.entity_type == "user",
            AuditEntry.entity_id == 0,
            AuditEntry.action == "login_failed",
            AuditEntry.details == key,
            AuditEntry.at > (last_success or since),
        )
    )
    return (failures or 0) >= MAX_FAILURES


def db() -> Session:
    """The request's database session, closed when the request ends."""
    if "db" not in g:
        g.db = current_app.config["FORUMBOT_SESSIONS"]()
    return g.db


def paths() -> ConsolePaths:
    """Where this console reads and writes config, reply templates, models and the corpus."""
    return current_app.config["FORUMBOT_PATHS"]


def settings() -> Settings:
    return current_app.config["FORUMBOT_SETTINGS"]


def drafter() -> Drafter:
    """The drafter over the files as they are now (the same store the bot drafts from), so
    an admin's edit applies at once, here and in the running bot."""
    from forumbot.drafting.resource_store import ResourceStore

    store = current_app.config.get("FORUMBOT_RESOURCES")
    if store is None:
        where = paths()
        store = ResourceStore(where.config, where.templates, settings()["drafting.kb_threshold"])
        current_app.config["FORUMBOT_RESOURCES"] = store
    return store.drafter()


@bp.before_app_request
def load_user() -> None:
    """The signed-in user, if the session is still valid: the account is active and the
    session was opened in its current generation (sign-out, a password reset or a
    deactivation raise it, which ends every session opened before, wherever it is kept)."""
    g.user = None
    user_id = session.get("user_id")
    if user_id is not None:
        user = db().get(User, user_id)
        if (
            user is not None
            and user.active
            and session.get("generation") == (user.session_generation or 0)
        ):
            g.user = user


@bp.teardown_app_request
def close_db(_exc: BaseException | None) -> None:
    database = g.pop("db", None)
    if database is not None:
        database.close()


def run_action(
    action: Callable[[], T],
    *,
    done: Callable[[T], str],
    landing: Callable[[T], str],
    refused: Callable[[str], Any],
) -> Any:
    """Run a person's action in the request's session: commit, say what was done and go to
    ``landing(result)``; or roll back and answer with ``refused(message)`` (stale revision,
    checker block, a limit, …), shown on the page the person came from."""
    try:
        result = action()
        db().commit()
    except ReviewError as exc:
        db().rollback()
        return refused(str(exc))
    flash(done(result), "ok")
    return redirect(landing(result))


def act(
    action: Callable[[], Any],
    *,
    done: str,
    done_url: str | Callable[[], str],
    retry_url: str,
) -> Any:
    """``run_action`` for a form whose refusal is flashed over the page it came from
    (``done_url`` may be computed after the action, e.g. the new draft's page)."""

    def refused(message: str) -> Any:
        flash(message, "error")
        return redirect(retry_url)

    return run_action(
        action,
        done=lambda _result: done,
        landing=lambda _result: done_url() if callable(done_url) else done_url,
        refused=refused,
    )


def topic_thread(post: Post) -> list[Post]:
    """Every stored post of the topic, in forum order, for reading a post in context."""
    return list(
        db().scalars(select(Post).where(Post.topic_id == post.topic_id).order_by(Post.post_number))
    )


def local_target(target: str) -> str:
    """A path on this site to go back to; anything else goes to the person's home page.

    Browsers drop tabs and line breaks from a URL and read a backslash as a slash, so
    ``/<tab>/evil.example`` or ``/\\evil.example`` would lead to another host: a target with
    any control character, whitespace or backslash is refused, not cleaned up."""
    if (
        target.startswith("/")
        and not target.startswith("//")
        and "\\" not in target
        and not any(ch.isspace() or unicodedata.category(ch)[0] == "C" for ch in target)
    ):
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc:
            return target
    return url_for("queue.index")  # the role's home page (or the sign-in page)


def role_allowed(role: str, roles: tuple[str, ...]) -> bool:
    return role in roles or role == "admin" or (role == "supervisor" and "agent" in roles)


def login_required(*roles: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Signed-in users only; with roles, only those roles (admin may do everything, and a
    supervisor everything an agent may)."""

    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            if g.user is None:
                return redirect(url_for("auth.login", next=request.path))
            if roles and not role_allowed(g.user.role, roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorate


def _audit_login(user: User | None, action: str, name: str) -> None:
    """Sign-ins, failed attempts (with the name tried) and sign-outs go in the audit log."""
    audit.record(
        db(),
        actor=user.username if user else "system:console",
        entity_type="user",
        entity_id=user.id if user else 0,
        action=action,
        details=attempt(name),
    )
    db().commit()


@bp.route("/login", methods=["GET", "POST"])
def login():  # type: ignore[no-untyped-def]
    error = None
    if request.method == "POST":
        name = request.form.get("username", "")
        if too_many_failures(name):
            error = _("登录失败次数过多，请 5 分钟后再试")
            return render_template("login.html", error=error), 429
        user = authenticate(db(), name, request.form.get("password", ""))
        if user is None:
            error = _("用户名或密码不正确")
            _audit_login(None, "login_failed", name)
        else:
            _audit_login(user, "login", user.username)
            session.clear()
            session["user_id"], session["generation"] = user.id, user.session_generation or 0
            return redirect(local_target(request.args.get("next", "")))
    return render_template("login.html", error=error), (401 if error else 200)


@bp.get("/lang/<code>")
def language(code: str):  # type: ignore[no-untyped-def]
    """Switch the console's language for this session (Chinese by default)."""
    from forumbot.web import LANGUAGES

    if code in LANGUAGES:
        session["lang"] = code
    return redirect(local_target(request.args.get("next", "")))


@bp.post("/logout")
def logout():  # type: ignore[no-untyped-def]
    """Sign out: the user's session generation goes up, so a copy of this session's cookie
    (and any other session of the same account) is refused from now on."""
    if g.user is not None:
        end_sessions(db(), g.user)
        _audit_login(g.user, "logout", g.user.username)  # commits both
    session.clear()
    return redirect(url_for("auth.login"))
