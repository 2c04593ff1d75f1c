"""The Discourse HTTP API client and its exceptions (see ``errors`` for the tree).

The client (and ``requests`` with it) is imported when first named, so that a command which
only handles the exceptions (every command, through the CLI's error handler) does not pay
for the HTTP stack.
"""

from typing import Any

from forumbot.discourse.errors import (
    BadRequest,
    DiscourseError,
    Forbidden,
    HTTPStatusError,
    InvalidResponse,
    NotFound,
    PostEnqueued,
    RateLimited,
    RequestTimeout,
    ServerError,
    TransportError,
    Unprocessable,
)

__all__ = [
    "BadRequest",
    "DiscourseClient",
    "DiscourseError",
    "Forbidden",
    "HTTPStatusError",
    "InvalidResponse",
    "NotFound",
    "PostEnqueued",
    "RateLimited",
    "RequestTimeout",
    "ServerError",
    "TransportError",
    "Unprocessable",
]


def __getattr__(name: str) -> Any:
    if name == "DiscourseClient":
        from forumbot.discourse.client import DiscourseClient

        return DiscourseClient
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
