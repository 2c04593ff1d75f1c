"""Exceptions raised by the Discourse client.

Every failure of a Discourse call is a ``DiscourseError``, so a job can catch one class and
still tell apart "try again later" (``TransportError``, ``RateLimited``, ``ServerError``) from
"this will never work" (``Forbidden``, ``NotFound``, ``Unprocessable``)::

    DiscourseError                 base; .status .errors .error_type .method .path
    ├── TransportError             no answer (connection refused, DNS, timeout) after retries
    │   └── RequestTimeout         connect or read timeout
    ├── InvalidResponse            2xx but not the JSON we expected
    │   └── PostEnqueued           the new post waits in the forum's approval queue
    ├── RateLimited                429 and the wait exceeds max_wait or retries ran out
    └── HTTPStatusError            any other non-2xx (also a 3xx redirect)
        ├── Forbidden              403: bad key/username, not permitted, already done
        ├── NotFound               404 / 410
        ├── Unprocessable          422: .errors carries the forum's reasons
        ├── BadRequest             400
        └── ServerError            5xx (after retries for reads; never retried for writes)

``DiscourseError`` itself is raised for a 2xx answer whose body still lists ``errors``.
Messages are one line, name the call and quote the forum's own words; they never contain the
API key or the username (both are secrets).
"""

from __future__ import annotations

from collections.abc import Sequence

_MAX_QUOTE = 300


class DiscourseError(Exception):
    """Base of every failure of a Discourse call."""

    def __init__(
        self,
        message: str,
        *,
        method: str | None = None,
        path: str | None = None,
        status: int | None = None,
        errors: Sequence[str] = (),
        error_type: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.method = method
        self.path = path
        self.status = status
        self.errors: list[str] = list(errors)
        self.error_type = error_type

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r})"


class TransportError(DiscourseError):
    """No answer from the forum: connection refused, DNS failure, reset or timeout."""


class RequestTimeout(TransportError):
    """The forum did not accept the connection or did not answer within the timeout."""


class InvalidResponse(DiscourseError):
    """A 2xx answer that is not the JSON we expected (a proxy page, truncated body, wrong shape)."""


class PostEnqueued(InvalidResponse):
    """The forum accepted the post into its approval queue: there is no post id yet.

    A subclass of ``InvalidResponse`` because callers asked for a bare post and did not get
    one; the publisher must not send it again (the queued copy would be published too).
    """

    def __init__(self, message: str, *, pending_post: dict | None = None, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.pending_post = pending_post or {}


class RateLimited(DiscourseError):
    """429 that the client did not wait out; ``wait_seconds`` says when to come back."""

    def __init__(self, message: str, *, wait_seconds: float, **kwargs) -> None:
        super().__init__(message, **kwargs)
        self.wait_seconds = wait_seconds


class HTTPStatusError(DiscourseError):
    """A non-2xx answer without a more specific class."""


class Forbidden(HTTPStatusError):
    """403: bad API key or username, the user may not do this, or the action was already done."""


class NotFound(HTTPStatusError):
    """404 or 410: deleted, never existed, or invisible to the API user."""


class Unprocessable(HTTPStatusError):
    """422: the forum validated the request and refused it; ``errors`` holds its reasons."""


class BadRequest(HTTPStatusError):
    """400: a parameter is missing or malformed."""


class ServerError(HTTPStatusError):
    """5xx: the forum failed; reads were retried before this, writes never are."""


_CREDENTIAL_ERROR_TYPES = {"invalid_access", "not_logged_in"}
_STOPS = (".", "?", "!", "。", "？", "！", "…")


def quote(text: str) -> str:
    """Collapse the forum's text to one short line so messages stay one line."""
    line = " ".join(str(text).split())
    return line if len(line) <= _MAX_QUOTE else line[: _MAX_QUOTE - 1] + "…"


def _said(errors: Sequence[str]) -> str:
    return ": " + quote("; ".join(errors)) if errors else ""


def _stop(text: str) -> str:
    """End a sentence once, whether or not the forum's words already ended it."""
    return text if text.endswith(_STOPS) else text + "."


def status_error(
    method: str,
    path: str,
    status: int,
    errors: Sequence[str] = (),
    error_type: str | None = None,
    *,
    location: str | None = None,
    attempts: int = 1,
) -> HTTPStatusError:
    """Build the exception for a non-2xx, non-429 answer, with a message saying what to do."""
    call = f"{method} {path}"
    said = _said(errors)
    kind = f" {error_type}" if error_type else ""
    cls: type[HTTPStatusError] = HTTPStatusError
    if 300 <= status < 400:
        target = f" to {location}" if location else ""
        message = (
            f"Discourse redirected {call} ({status}{target}) instead of answering; "
            "the base URL (scheme, host, path) or the API key is wrong."
        )
    elif status == 403:
        cls = Forbidden
        if error_type in _CREDENTIAL_ERROR_TYPES:
            message = _stop(
                f"Discourse refused the API key or username, or the user may not do this "
                f"({status}{kind}, {call}){said}"
            )
            message += " Check DISCOURSE_API_KEY, DISCOURSE_API_USERNAME and the key's scopes."
        else:
            message = _stop(f"Discourse forbade {call} ({status}{kind}){said}")
    elif status in (404, 410):
        cls = NotFound
        message = _stop(f"Discourse has nothing at {call} ({status}){said}")
        message += " It was deleted, never existed or is hidden from the API user."
    elif status == 422:
        cls = Unprocessable
        message = _stop(f"Discourse rejected {call} (422){said or ' without giving a reason'}")
    elif status == 400:
        cls = BadRequest
        message = _stop(f"Discourse called {call} a bad request (400{kind}){said}")
    elif status >= 500:
        cls = ServerError
        tries = f" after {attempts} attempts" if attempts > 1 else ""
        message = _stop(f"Discourse failed on {call} with {status}{tries}{said}")
        if method != "GET":
            message += " It may have been carried out, so it was not repeated."
    else:
        message = _stop(f"Discourse answered {call} with {status}{kind}{said}")
    return cls(
        message,
        method=method,
        path=path,
        status=status,
        errors=errors,
        error_type=error_type,
    )
