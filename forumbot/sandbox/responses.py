"""JSON responses and error envelopes exactly as Discourse writes them.

Every JSON answer carries ``Content-Type: application/json; charset=utf-8`` (pydiscourse
refuses anything else). Errors use ``{"errors": [...], "error_type": "..."}``.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response

from forumbot.sandbox.faults import JSON_TYPE

INVALID_API_CREDENTIALS = (
    "You are not permitted to view the requested resource. The API username or key is invalid."
)
INVALID_ACCESS = "You are not permitted to view the requested resource."
NOT_FOUND = "The requested URL or resource could not be found."


def dumps(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()


def json_response(data: Any, status: int = 200) -> Response:
    return Response(dumps(data), status=status, headers={"Content-Type": JSON_TYPE})


def error(message: str, error_type: str, status: int) -> Response:
    return json_response({"errors": [message], "error_type": error_type}, status)


def invalid_credentials() -> Response:
    return error(INVALID_API_CREDENTIALS, "invalid_access", 403)


def invalid_access(message: str = INVALID_ACCESS) -> Response:
    return error(message, "invalid_access", 403)


def not_found() -> Response:
    return error(NOT_FOUND, "not_found", 404)


def invalid_params(param: str) -> Response:
    """``ActionController::ParameterMissing`` → 400 with I18n ``invalid_params``."""
    return error(
        f"You supplied invalid parameters to the request: {param}", "invalid_parameters", 400
    )


def empty_ok() -> Response:
    """``render body: nil``: an empty 200 (pydiscourse accepts any type for empty bodies)."""
    return Response(b"", status=200, headers={"Content-Type": "text/html"})
