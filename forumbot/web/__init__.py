"""The web side: the app factory; the review console (later) and the webhook endpoint."""

from __future__ import annotations

from flask import Flask
from sqlalchemy.orm import Session, sessionmaker

from forumbot.config import Settings


def create_app(settings: Settings, sessions: sessionmaker[Session]) -> Flask:
    """Build the Flask app; tests pass their own settings and a fresh database."""
    app = Flask(__name__)
    app.config["FORUMBOT_SETTINGS"] = settings
    app.config["FORUMBOT_SESSIONS"] = sessions
    app.config["MAX_CONTENT_LENGTH"] = 2 * 1024 * 1024  # a webhook post is at most ~32k chars

    from forumbot.web import health, webhook

    app.register_blueprint(health.bp)
    app.register_blueprint(webhook.bp)
    return app
