"""The web side: the app factory, the review console and the Discourse webhook endpoint."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from flask import Flask, request, session
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session, sessionmaker

from forumbot import workcalendar
from forumbot.cases import incidents
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
    settings: Settings,
    sessions: sessionmaker[Session],
    paths: ConsolePaths | None = None,
    *,
    host: str | None = None,
) -> Flask:
    """Build the Flask app; tests pass their own settings, a fresh database and file copies.

    The console needs ``FORUMBOT_SECRET_KEY`` (it signs the session cookie); without it only
    the health check and the webhook are served. ``host`` is the address it will listen on
    (default ``console.host``); with ``console.secure_cookies = "auto"`` it decides whether
    the session cookie is Secure.
    """
    from forumbot.web import (
        admin,
        auth,
        catalogue,
        dashboard,
        departments,
        hardening,
        health,
        incident_pages,
        models_admin,
        moderation,
        queue,
        timing,
        webhook,
    )
    from forumbot.web.ids import RowIdConverter
    from forumbot.web.users import ROLE_NAMES_ZH

    # Due times and dates on the console count the same working days as the bot.
    workcalendar.configure(settings["calendar.extra_holidays"], settings["calendar.extra_workdays"])
    incidents.configure(
        settings["cases.incident_window_hours"],
        settings["cases.spike_count"],
        settings["cases.spike_hours"],
    )
    app = Flask(__name__)
    app.url_map.converters["int"] = RowIdConverter  # before any route: ids that fit, else 404
    app.config.update(
        FORUMBOT_SETTINGS=settings,
        FORUMBOT_SESSIONS=sessions,
        FORUMBOT_PATHS=paths or ConsolePaths(models=settings.models_dir),
        BABEL_DEFAULT_LOCALE="zh",
    )
    hardening.configure(
        app,
        secure_cookies=hardening.cookies_secure(
            settings["console.secure_cookies"], host or settings["console.host"]
        ),
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
            incident_pages.bp,
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

        hardening.register_console_errors(app)

    return app
