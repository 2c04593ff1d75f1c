"""The Discourse HTTP API client and its exceptions (see ``errors`` for the tree)."""

from forumbot.discourse.client import DiscourseClient
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
