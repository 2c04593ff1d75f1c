"""POST /webhooks/discourse: Discourse's signed post_created / post_edited deliveries."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request

from forumbot.config import ConfigError
from forumbot.intake.webhook import handle_delivery

bp = Blueprint("webhook", __name__)


@bp.post("/webhooks/discourse")
def discourse_webhook():  # type: ignore[no-untyped-def]
    settings = current_app.config["FORUMBOT_SETTINGS"]
    if not settings["webhook.enabled"]:
        return jsonify({"errors": ["webhook intake is disabled (webhook.enabled)"]}), 404
    try:
        secret = settings.secret("FORUMBOT_WEBHOOK_SECRET")
        bot = settings.secret("DISCOURSE_API_USERNAME")
    except ConfigError as exc:
        return jsonify({"errors": [str(exc)]}), 503
    with current_app.config["FORUMBOT_SESSIONS"]() as session:
        outcome = handle_delivery(
            session,
            body=request.get_data(cache=False),
            headers={k: v for k, v in request.headers.items()},
            secret=secret,
            bot_username=bot,
            skip_usernames=frozenset(u.lower() for u in settings["intake.skip_usernames"]),
        )
        if outcome.status < 300:
            session.commit()
    if outcome.status >= 400:
        return jsonify({"errors": [outcome.message]}), outcome.status
    return jsonify({"ok": True, "message": outcome.message})
