"""What every response of the web side gets: security headers, no caching of pages with forum
or account data, the session cookie's Secure flag, forum text without bidirectional
controls, and error pages in the reader's language that never show a traceback."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, current_app, g, jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from markupsafe import Markup
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from forumbot.hosts import is_loopback
from forumbot.textsafety import neutralise

log = logging.getLogger(__name__)

# The largest request body: a knowledge entry or reply template form is a few KB, a
# Discourse webhook for a 32,000-character post well under 300 KB.
MAX_BODY_BYTES = 1024 * 1024
CSP = "default-src 'self'; style-src 'self' 'unsafe-inline'"
# Said when even the error page cannot be rendered (the database is down, say).
PLAIN_SERVER_ERROR = "服务器内部错误，操作可能没有完成；请稍后重试，如仍出错请联系管理员。"


def cookies_secure(choice: str, host: str) -> bool:
    """``console.secure_cookies``: on, off, or auto (on unless serving on loopback, where the
    demo and the tests speak plain HTTP and a browser would drop a Secure cookie)."""
    if choice == "auto":
        return not is_loopback(host)
    return choice == "on"


def neutral_output(value: Any) -> Any:
    """Jinja's ``finalize``: every ``{{ … }}`` of every template loses bidirectional
    controls before it is escaped, so no page can forget it; escaping is unchanged."""
    if isinstance(value, str):
        cleaned = neutralise(value)
        if cleaned is not value:
            return Markup(cleaned) if isinstance(value, Markup) else cleaned
    return value


def configure(app: Flask, *, secure_cookies: bool) -> None:
    """Limits and cookie flags; call before anything touches ``app.jinja_env``."""
    app.config.update(
        MAX_CONTENT_LENGTH=MAX_BODY_BYTES,
        MAX_FORM_MEMORY_SIZE=MAX_BODY_BYTES,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=secure_cookies,
    )
    app.jinja_options = {**app.jinja_options, "finalize": neutral_output}

    @app.after_request
    def security_headers(response):  # type: ignore[no-untyped-def]
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.endpoint != "static":  # pages show forum posts and account data
            response.headers["Cache-Control"] = "no-store"
        return response

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(_error):  # type: ignore[no-untyped-def]
        megabytes = MAX_BODY_BYTES // (1024 * 1024)
        if not _console():
            return jsonify({"errors": [f"request body too large (limit {megabytes} MB)"]}), 413
        message = gettext(
            "提交的内容过大（上限 %(mb)s MB），未做任何更改；请缩短内容后重试", mb=megabytes
        )
        return _page(message, 413)

    @app.errorhandler(InternalServerError)
    def server_error(error):  # type: ignore[no-untyped-def]
        # The traceback goes to the log (Flask logs unhandled exceptions), never to the page.
        if not _console():
            return jsonify({"errors": ["internal server error"]}), 500
        try:
            message = gettext("服务器内部错误，操作可能没有完成；请稍后重试，如仍出错请联系管理员")
            return _page(message, 500)
        except Exception:  # the page itself failed (database gone): a plain line instead
            log.exception("the 500 page could not be rendered")
            return PLAIN_SERVER_ERROR, 500, {"Content-Type": "text/plain; charset=utf-8"}


def register_console_errors(app: Flask) -> None:
    """The console's refusals as pages: forbidden, not found, a missing CSRF token, a bad
    request (the 413 and 500 pages are registered by ``configure``)."""

    @app.errorhandler(403)
    def forbidden(_error):  # type: ignore[no-untyped-def]
        return _page(gettext("您没有权限查看此页面"), 403)

    @app.errorhandler(404)
    def not_found(_error):  # type: ignore[no-untyped-def]
        return _page(gettext("页面不存在"), 404)

    @app.errorhandler(CSRFError)
    def csrf_refused(_error):  # type: ignore[no-untyped-def]
        message = gettext("表单缺少安全令牌或已过期，请刷新页面后重试（未做任何更改）")
        return _page(message, 400)

    @app.errorhandler(400)
    def bad_request(error: HTTPException):  # type: ignore[no-untyped-def]
        return _page(gettext("请求无效：%(reason)s", reason=error.description), 400)


def _console() -> bool:
    """A person's page (the console is served and this is not the webhook or health check)."""
    return "babel" in current_app.extensions and request.blueprint not in ("webhook", "health")


def _page(message: str, status: int) -> tuple[str, int]:
    g.setdefault("user", None)  # an error before the user was loaded: shown signed out
    return render_template("error.html", message=message), status
