"""The web side: the app factory, the review console and the Discourse webhook endpoint."""

from __future__ import annotations

from flask import Flask, render_template
from flask_wtf.csrf import CSRFProtect
from sqlalchemy.orm import Session, sessionmaker

from forumbot.config import Settings

csrf = CSRFProtect()


def create_app(settings: Settings, sessions: sessionmaker[Session]) -> Flask:
    """Build the Flask app; tests pass their own settings and a fresh database.

    The console needs ``FORUMBOT_SECRET_KEY`` (it signs the session cookie); without it only
    the health check and the webhook are served.
    """
    from forumbot.web import auth, departments, health, moderation, queue, webhook
    from forumbot.web.users import ROLE_NAMES_ZH

    app = Flask(__name__)
    app.config.update(
        FORUMBOT_SETTINGS=settings,
        FORUMBOT_SESSIONS=sessions,
        FORUMBOT_LOGIN_THROTTLE=auth.LoginThrottle(),
        MAX_CONTENT_LENGTH=2 * 1024 * 1024,  # a webhook post is at most ~32k characters
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.register_blueprint(health.bp)
    app.register_blueprint(webhook.bp)
    csrf.exempt(webhook.bp)  # Discourse signs its deliveries instead
    secret = settings.secrets.get("FORUMBOT_SECRET_KEY")
    if secret:
        app.secret_key = secret
        csrf.init_app(app)
        app.register_blueprint(auth.bp)
        app.register_blueprint(queue.bp)
        app.register_blueprint(departments.bp)
        app.register_blueprint(moderation.bp)
        app.jinja_env.globals["role_names"] = ROLE_NAMES_ZH

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
            return render_template("error.html", message="您没有权限查看此页面"), 403

        @app.errorhandler(400)
        def bad_request(error):  # type: ignore[no-untyped-def]
            return render_template("error.html", message=f"请求无效：{error.description}"), 400

    return app
