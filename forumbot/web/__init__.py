"""The web side: the app factory, the review console and the Discourse webhook endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Flask, render_template, request, session
from flask_babel import Babel, gettext
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.orm import Session, sessionmaker

from forumbot.config import Settings
from forumbot.paths import CONFIG_DIR, CORPUS_DIR, MODELS_DIR, TEMPLATES_DIR

csrf = CSRFProtect()
LANGUAGES = {"zh": "中文", "en": "English"}
# Punctuation the templates put between translated words: full-width in Chinese only.
PUNCTUATION = {
    "zh": {"colon": "：", "lp": "（", "rp": "）", "enum": "、", "comma": "，"},
    "en": {"colon": ": ", "lp": " (", "rp": ")", "enum": ", ", "comma": ", "},
}


@dataclass(frozen=True)
class ConsolePaths:
    """The files the admin pages read and write; tests point them at copies."""

    config: Path = CONFIG_DIR
    templates: Path = TEMPLATES_DIR
    models: Path = MODELS_DIR
    corpus: Path = CORPUS_DIR


def console_language() -> str:
    """Chinese unless the person chose English (kept in their session)."""
    chosen = session.get("lang") if request else None
    return chosen if chosen in LANGUAGES else "zh"


def create_app(
    settings: Settings, sessions: sessionmaker[Session], paths: ConsolePaths | None = None
) -> Flask:
    """Build the Flask app; tests pass their own settings, a fresh database and file copies.

    The console needs ``FORUMBOT_SECRET_KEY`` (it signs the session cookie); without it only
    the health check and the webhook are served.
    """
    from forumbot.web import (
        admin,
        auth,
        catalogue,
        dashboard,
        departments,
        health,
        models_admin,
        moderation,
        queue,
        timing,
        webhook,
    )
    from forumbot.web.users import ROLE_NAMES_ZH

    app = Flask(__name__)
    app.config.update(
        FORUMBOT_SETTINGS=settings,
        FORUMBOT_SESSIONS=sessions,
        FORUMBOT_PATHS=paths or ConsolePaths(),
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,  # a webhook post is at most ~32k characters
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        BABEL_DEFAULT_LOCALE="zh",
    )
    app.register_blueprint(health.bp)
    app.register_blueprint(webhook.bp)
    csrf.exempt(webhook.bp)  # Discourse signs its deliveries instead
    secret = settings.secrets.get("FORUMBOT_SECRET_KEY")
    if secret:
        app.secret_key = secret
        csrf.init_app(app)
        catalogue.prepare_for_console()  # messages.mo is built, not committed
        Babel(app, locale_selector=console_language)
        for blueprint in (
            auth.bp,
            queue.bp,
            departments.bp,
            moderation.bp,
            dashboard.bp,
            admin.bp,
            models_admin.bp,
        ):
            app.register_blueprint(blueprint)
        app.jinja_env.globals.update(
            role_names=ROLE_NAMES_ZH, languages=LANGUAGES, console_language=console_language
        )
        app.jinja_env.filters.update(time_left=timing.time_left, ago=timing.ago)

        @app.context_processor
        def punctuation() -> dict[str, dict[str, str]]:
            return {"punct": PUNCTUATION[console_language()]}

        @app.after_request
        def security_headers(response):  # type: ignore[no-untyped-def]
            response.headers.setdefault(
                "Content-Security-Policy", "default-src 'self'; style-src 'self' 'unsafe-inline'"
            )
            response.headers.setdefault("X-Content-Type-Options", "nosniff")
            response.headers.setdefault("X-Frame-Options", "DENY")
            return response

        @app.errorhandler(403)
        def forbidden(_error):  # type: ignore[no-untyped-def]
            return render_template("error.html", message=gettext("您没有权限查看此页面")), 403

        @app.errorhandler(404)
        def not_found(_error):  # type: ignore[no-untyped-def]
            return render_template("error.html", message=gettext("页面不存在")), 404

        @app.errorhandler(CSRFError)
        def csrf_refused(_error):  # type: ignore[no-untyped-def]
            message = gettext("表单缺少安全令牌或已过期，请刷新页面后重试（未做任何更改）")
            return render_template("error.html", message=message), 400

        @app.errorhandler(400)
        def bad_request(error):  # type: ignore[no-untyped-def]
            message = gettext("请求无效：%(reason)s", reason=error.description)
            return render_template("error.html", message=message), 400

    return app
