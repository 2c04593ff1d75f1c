"""The sandbox's Flask app: Discourse routes behind faults, auth and the rate limiter.

Order per request, as on a real site: infrastructure faults first (nginx, timeouts),
then API-key authentication (403 on a bad key or username), then the site-wide admin
API rate limit (429), then the route. Control routes under ``/_sandbox/`` skip all three.
"""

from __future__ import annotations

import hmac

from flask import Flask, Response, g, request

from forumbot.sandbox import control, discourse_read, discourse_write
from forumbot.sandbox.faults import (
    STATIC_KINDS,
    fault_response,
    malformed,
    rate_limit_response,
)
from forumbot.sandbox.models import User
from forumbot.sandbox.responses import invalid_credentials, json_response, not_found
from forumbot.sandbox.runtime import SandboxRuntime
from forumbot.sandbox.settings import SandboxSettings
from forumbot.sandbox.state import SandboxForum

CREATE_PATHS = ("/posts", "/posts.json")


def runtime_of(app: Flask) -> SandboxRuntime:
    return app.extensions["sandbox"]


def _raw(response: tuple[int, dict[str, str], bytes]) -> Response:
    status, headers, body = response
    return Response(body, status=status, headers=headers)


def _authenticate(runtime: SandboxRuntime) -> User | None:
    """An "all users" admin key: ``Api-Username`` (or ``Api-User-Id``) picks any user."""
    key = request.headers.get("Api-Key", "")
    if not hmac.compare_digest(key.encode(), runtime.settings.api_key.encode()):
        return None
    forum = runtime.forum
    with forum.lock:
        username = request.headers.get("Api-Username")
        if username:
            return forum.user_named(username)
        user_id = request.headers.get("Api-User-Id", "")
        if user_id.lstrip("-").isdigit():
            return forum.users.get(int(user_id))
    return None


def _before(runtime: SandboxRuntime) -> Response | None:
    g.fault = g.after_commit = None
    if request.path.startswith("/_sandbox/"):
        return None
    is_create = request.method == "POST" and request.path in CREATE_PATHS
    kind = runtime.faults.draw(is_create)
    g.fault = kind
    if kind in STATIC_KINDS:
        return _raw(fault_response(kind))
    if kind == "timeout":
        runtime.sleep(runtime.faults.timeout_seconds)
    elif kind == "after_commit":
        g.after_commit = runtime.faults.after_commit_mode()
    user = _authenticate(runtime)
    if user is None:
        return invalid_credentials()
    g.user = user
    wait = runtime.limiter.hit()
    if wait is not None:
        return _raw(rate_limit_response(wait))
    return None


def _after(runtime: SandboxRuntime, response: Response) -> Response:
    if g.get("fault") == "malformed" and response.status_code < 300:
        body = malformed(response.get_data())
        response = Response(body, status=200, headers={"Content-Type": response.content_type})
    mode = g.get("after_commit")
    if mode is not None and response.status_code == 200:
        if mode == "502":
            response = _raw(fault_response("502"))
        else:
            runtime.sleep(runtime.faults.timeout_seconds)
    rule = request.url_rule.rule if request.url_rule is not None else "<unmatched>"
    runtime.stats.count(request.method, rule, response.status_code)
    return response


def create_app(forum: SandboxForum, settings: SandboxSettings) -> Flask:
    """A Flask app serving ``forum`` like Discourse; loads the seed into an empty forum."""
    app = Flask(__name__)
    runtime = SandboxRuntime(forum, settings)
    if settings.seed and not forum.posts:
        runtime.load_seed()
    app.extensions["sandbox"] = runtime
    app.before_request(lambda: _before(runtime))
    app.after_request(lambda response: _after(runtime, response))
    app.register_blueprint(discourse_read.blueprint)
    app.register_blueprint(discourse_write.blueprint)
    app.register_blueprint(control.blueprint)

    @app.errorhandler(404)
    @app.errorhandler(405)
    def _not_found(_error: Exception) -> Response:
        # Discourse answers unknown routes (and unknown verbs on known paths) with 404 JSON.
        return not_found()

    @app.errorhandler(500)
    def _server_error(_error: Exception) -> Response:
        return json_response({"status": 500, "error": "Internal Server Error"}, 500)

    return app
