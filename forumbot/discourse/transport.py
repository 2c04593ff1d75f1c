"""The network layer under the client: urllib3's retry policy and naming transport failures.

urllib3 retries what it can see without reading bodies: connection errors for every method,
and for ``GET`` only read timeouts, broken connections and 500/502/503/504. It never retries
a ``POST`` after the request may have reached the forum; a reply must not appear twice.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NewConnectionError, ReadTimeoutError
from urllib3.util.retry import Retry

from forumbot.discourse.errors import RequestTimeout, TransportError, quote

RETRY_STATUSES = frozenset({500, 502, 503, 504})


class CountingRetry(Retry):
    """urllib3's ``Retry`` that calls ``on_retry`` before each retry it makes.

    The client uses it to count every request sent and to spend its budget on retries too.
    """

    on_retry: Callable[[], None] | None = None

    def new(self, **kw: Any) -> CountingRetry:
        retry = super().new(**kw)
        retry.on_retry = self.on_retry
        return retry

    def increment(self, *args: Any, **kwargs: Any) -> CountingRetry:
        retry = super().increment(*args, **kwargs)  # raises when no retry is allowed
        if self.on_retry is not None:
            self.on_retry()
        return retry


def retry_policy(retries: int, backoff: float, on_retry: Callable[[], None]) -> Retry:
    """Connect errors for all methods; read errors and 5xx for GET only; 429s left to us."""
    retry = CountingRetry(
        total=retries,
        connect=retries,
        read=retries,
        status=retries,
        other=0,
        redirect=0,
        allowed_methods=frozenset({"GET"}),
        status_forcelist=RETRY_STATUSES,
        backoff_factor=backoff,
        backoff_jitter=backoff,
        raise_on_status=False,  # the last 5xx comes back as a response: it becomes ServerError
        raise_on_redirect=False,
        respect_retry_after_header=False,  # else urllib3 would sleep out 429/503 by itself
    )
    retry.on_retry = on_retry
    return retry


def transport_error(
    exc: requests.RequestException,
    *,
    method: str,
    path: str,
    origin: str,
    timeout: float,
    retries: int,
) -> TransportError:
    """A one-line error that says what failed and whether the forum may have acted."""
    chain = causes(exc)
    never_sent = isinstance(exc, requests.ConnectTimeout) or any(
        isinstance(e, NewConnectionError) for e in chain
    )
    timed_out = isinstance(exc, requests.Timeout) or any(
        isinstance(e, ReadTimeoutError | TimeoutError) for e in chain
    )
    retried = method == "GET" or never_sent
    tries = f" after {retries + 1} attempts" if retried and retries else ""
    unsure = "" if retried else "; it may have reached the forum, so it was not repeated"
    call = f"{method} {path}"
    if timed_out:
        phase = "accept a connection" if never_sent else "answer"
        message = f"Discourse at {origin} did not {phase} within {timeout:g} s for {call}"
        return RequestTimeout(f"{message}{tries}{unsure}.", method=method, path=path)
    if never_sent:
        return TransportError(
            f"Could not connect to Discourse at {origin} for {call}{tries}: {reason(chain)}. "
            "Check the forum's base URL and that it is up.",
            method=method,
            path=path,
        )
    return TransportError(
        f"The connection to Discourse at {origin} failed during {call}{tries}: "
        f"{reason(chain)}{unsure}.",
        method=method,
        path=path,
    )


def causes(exc: BaseException) -> list[BaseException]:
    """The exception, what it wraps (args, ``reason``) and its causes, outermost first."""
    seen: list[BaseException] = []
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop(0)
        if any(current is s for s in seen):
            continue
        seen.append(current)
        nested = [getattr(current, "reason", None), current.__cause__, current.__context__]
        nested += [a for a in current.args if isinstance(a, BaseException)]
        todo.extend(e for e in nested if isinstance(e, BaseException))
    return seen


def reason(chain: Sequence[BaseException]) -> str:
    """A short human reason, e.g. 'Connection refused', from the innermost OS error."""
    for error in reversed(chain):
        if isinstance(error, OSError) and error.strerror:
            return error.strerror
    for error in reversed(chain):
        if type(error).__module__.startswith("http.client"):
            return quote(str(error)) or type(error).__name__
    return type(chain[-1]).__name__


def safe_url(url: str | None) -> str | None:
    """A URL without query or credentials, fit for a message or a log."""
    if not url:
        return None
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        port = ""
    origin = f"{parts.scheme}://{host}{port}" if parts.scheme else ""
    return origin + parts.path
