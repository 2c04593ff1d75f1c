"""forumbot's one client for the Discourse HTTP API.

Reads (``GET``) are retried on connection errors, read timeouts, 5xx and malformed JSON.
Writes (``POST``) are not idempotent on Discourse, so they are retried only when the request
certainly did not reach the forum (the connection could not be opened) or when the forum's
rate limiter refused it (429, rejected before any processing). After a read timeout, a reset
connection or a 5xx a write raises at once and the publisher decides, because it marks its
replies and can look for them. Failures are the exceptions in ``forumbot.discourse.errors``.

Tests and the sandbox point the client elsewhere with ``base_url`` or an own ``session``.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from forumbot import __version__
from forumbot.discourse.errors import (
    DiscourseError,
    InvalidResponse,
    PostEnqueued,
    RateLimited,
    quote,
    status_error,
)
from forumbot.discourse.ratelimit import TokenBucket, wait_from_429
from forumbot.discourse.transport import retry_policy, safe_url, transport_error

log = logging.getLogger(__name__)

USER_AGENT = f"forumbot/{__version__} python-requests/{requests.__version__}"
# Flag types whose flag must carry a message (core db/fixtures/003_flags.rb).
FLAGS_NEEDING_MESSAGE = frozenset({6, 7, 10})
_RATE_LIMIT_CODE_HEADERS = ("Discourse-Rate-Limit-Error-Code", "Discourse-Rate-Limit-Error-Id")

Json = dict[str, Any]


class _TryAgain(Exception):
    """Internal: the answer asks for another attempt after ``wait`` seconds."""

    def __init__(self, wait: float) -> None:
        super().__init__(wait)
        self.wait = wait


class DiscourseClient:
    """Calls the Discourse API as one admin user, within a request budget, with retries.

    ``timeout`` applies to connecting and to reading, on every call. ``retries`` bounds the
    retries of one call; ``backoff`` is the base of their exponential backoff. A 429 is waited
    out with ``sleep`` unless it asks for more than ``max_wait``. ``requests_per_minute`` (0 =
    unlimited) keeps forumbot under the forum's limit by itself. Without ``session`` the client
    builds and owns one with the retry policy mounted; a session passed in is used as it is
    (its adapters, so its retries, and its lifetime belong to the caller). ``calls`` counts the
    requests attempted, retries included.
    """

    def __init__(
        self,
        base_url: str,
        api_key: str,
        api_username: str,
        *,
        timeout: float = 10.0,
        retries: int = 4,
        backoff: float = 0.5,
        max_wait: float = 60.0,
        requests_per_minute: float = 50,
        session: requests.Session | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if urlsplit(base_url).scheme not in ("http", "https"):
            raise ValueError("base_url must start with http:// or https://")
        if not api_key:
            raise ValueError("api_key is empty; set DISCOURSE_API_KEY")
        if timeout <= 0 or retries < 0 or backoff < 0 or max_wait < 0:
            raise ValueError("timeout must be > 0; retries, backoff and max_wait >= 0")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.backoff = backoff
        self.max_wait = max_wait
        self.calls = 0
        self._calls_lock = threading.Lock()
        self._sleep = sleep
        self._budget = TokenBucket(requests_per_minute, sleep=sleep)
        self._headers = {
            "Api-Key": api_key,
            "Accept": "application/json",
            "User-Agent": USER_AGENT,
        }
        if api_username:  # a single-user key may leave the username out
            self._headers["Api-Username"] = api_username
        self._owns_session = session is None
        if session is None:
            session = requests.Session()
            adapter = HTTPAdapter(max_retries=retry_policy(retries, backoff, self._spend))
            session.mount("http://", adapter)
            session.mount("https://", adapter)
        self._session = session

    # -- reading -------------------------------------------------------------------------

    def latest_posts(self, before: int | None = None) -> list[dict]:
        """Newest 50 public posts, descending ids; ``before=N`` pages to ids strictly below N."""
        params = None if before is None else {"before": int(before)}
        body = self._request("GET", "/posts.json", params=params)
        return self._expect(body, "latest_posts", list, "GET", "/posts.json")

    def topic(self, topic_id: int) -> dict:
        """A topic with its first chunk of posts and the ids of all of them."""
        path = f"/t/{int(topic_id)}.json"
        body = self._request("GET", path)
        self._expect(body, "post_stream", dict, "GET", path)
        return body

    def topic_posts(
        self, topic_id: int, post_ids: Sequence[int], *, include_raw: bool = True
    ) -> list[dict]:
        """Chosen posts of one topic (with ``raw`` by default); no ids means no request."""
        ids = [int(post_id) for post_id in post_ids]
        if not ids:
            return []
        path = f"/t/{int(topic_id)}/posts.json"
        params: list[tuple[str, Any]] = [("post_ids[]", post_id) for post_id in ids]
        if include_raw:
            params.append(("include_raw", "true"))
        body = self._request("GET", path, params=params)
        stream = self._expect(body, "post_stream", dict, "GET", path)
        return self._expect(stream, "posts", list, "GET", path)

    def post(self, post_id: int) -> dict:
        """One post with its ``raw`` markdown (omitted by the forum for hidden posts)."""
        path = f"/posts/{int(post_id)}.json"
        return self._post_object(self._request("GET", path), "GET", path)

    # -- writing -------------------------------------------------------------------------

    def create_reply(
        self, topic_id: int, raw: str, *, reply_to_post_number: int | None = None
    ) -> dict:
        """Publish a public reply and return the bare post the forum created."""
        payload: Json = {"topic_id": int(topic_id), "raw": raw}
        if reply_to_post_number is not None:
            payload["reply_to_post_number"] = int(reply_to_post_number)
        body = self._request("POST", "/posts.json", payload=payload)
        return self._post_object(body, "POST", "/posts.json")

    def send_private_message(self, recipients: Sequence[str], title: str, raw: str) -> dict:
        """Start a private message to usernames, groups or emails; returns its first post."""
        if isinstance(recipients, str):
            recipients = [recipients]
        names = [name.strip() for name in recipients if name and name.strip()]
        if not names or any("," in name for name in names):
            raise ValueError("recipients must be non-empty names without commas")
        payload: Json = {
            "archetype": "private_message",
            "title": title,
            "raw": raw,
            "target_recipients": ",".join(names),
        }
        body = self._request("POST", "/posts.json", payload=payload)
        return self._post_object(body, "POST", "/posts.json")

    def flag_post(
        self,
        post_id: int,
        post_action_type_id: int = 4,
        *,
        message: str | None = None,
        take_action: bool = False,
    ) -> dict:
        """Flag a post (4 = inappropriate); ``take_action`` lets staff hide it at once."""
        if post_action_type_id in FLAGS_NEEDING_MESSAGE and not message:
            raise ValueError(f"flag type {post_action_type_id} needs a message")
        payload: Json = {
            "id": int(post_id),
            "post_action_type_id": int(post_action_type_id),
            "flag_topic": False,
        }
        if message:
            payload["message"] = message
        if take_action:
            payload["take_action"] = True
        body = self._request("POST", "/post_actions.json", payload=payload)
        return self._post_object(body, "POST", "/post_actions.json")

    # -- lifecycle -----------------------------------------------------------------------

    def close(self) -> None:
        """Close the connection pool (a session passed in stays open: its owner closes it)."""
        if self._owns_session:
            self._session.close()

    def __enter__(self) -> DiscourseClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"<DiscourseClient {self._origin}>"

    # -- plumbing ------------------------------------------------------------------------

    @property
    def _origin(self) -> str:
        """The base URL without any user:password part, safe to show."""
        return safe_url(self.base_url) or ""

    def _spend(self) -> None:
        """Wait for budget, then count one request about to be sent."""
        self._budget.acquire()
        with self._calls_lock:
            self.calls += 1

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Any = None,
        payload: Json | None = None,
    ) -> Json:
        """Send one call, waiting out 429s and re-reading garbled GET answers; JSON back."""
        attempt = 0
        while True:
            self._spend()
            try:
                response = self._session.request(
                    method,
                    self.base_url + path,
                    params=params,
                    json=payload,
                    headers=self._headers,
                    timeout=(self.timeout, self.timeout),
                    allow_redirects=False,
                )
            except requests.RequestException as exc:
                raise transport_error(
                    exc,
                    method=method,
                    path=path,
                    origin=self._origin,
                    timeout=self.timeout,
                    retries=self.retries,
                ) from exc
            try:
                log.debug("%s %s -> %s", method, path, response.status_code)
                return self._read(response, method, path, attempt)
            except _TryAgain as again:
                self._sleep(again.wait)
                attempt += 1
            finally:
                response.close()

    def _read(self, response: requests.Response, method: str, path: str, attempt: int) -> Json:
        """The JSON object of a good answer; raise the matching error, or ``_TryAgain``."""
        status = response.status_code
        if status == 429:
            raise self._rate_limited(response, method, path, attempt)
        if not 200 <= status < 300:
            errors, error_type, _, _ = _error_details(response)
            history = getattr(getattr(response.raw, "retries", None), "history", ())
            raise status_error(
                method,
                path,
                status,
                errors,
                error_type,
                location=safe_url(response.headers.get("Location")),
                attempts=len(history) + 1,
            )
        body, problem = _json_body(response)
        if problem:
            if method == "GET" and attempt < self.retries:
                log.warning("Discourse %s %s: %s; retrying", method, path, problem)
                raise _TryAgain(self.backoff * 2**attempt + random.uniform(0, self.backoff))
            if method == "GET":
                hint = f" after {attempt + 1} attempts" if attempt else ""
            else:
                hint = "; it may still have been carried out"
            raise InvalidResponse(
                f"Discourse answered {method} {path} with {status} but {problem}{hint}.",
                method=method,
                path=path,
                status=status,
            )
        errors = body.get("errors")
        if errors:
            reasons = [str(e) for e in errors] if isinstance(errors, list) else [str(errors)]
            raise DiscourseError(
                f"Discourse answered {method} {path} with {status} but reported errors: "
                f"{quote('; '.join(reasons)).rstrip('.')}.",
                method=method,
                path=path,
                status=status,
                errors=reasons,
                error_type=body.get("error_type"),
            )
        return body

    def _rate_limited(
        self, response: requests.Response, method: str, path: str, attempt: int
    ) -> Exception:
        """Decide about a 429: wait (``_TryAgain``) or give the job its turn back."""
        errors, error_type, body, text = _error_details(response)
        wait = wait_from_429(response.headers, body, text)
        code = next(filter(None, map(response.headers.get, _RATE_LIMIT_CODE_HEADERS)), None)
        log.warning(
            "Discourse rate limit on %s %s (code %s): asked to wait %.1f s",
            method,
            path,
            code or "none",
            wait,
        )
        detail = dict(method=method, path=path, status=429, errors=errors, error_type=error_type)
        code_text = f", code {code}" if code else ""
        if wait > self.max_wait:
            return RateLimited(
                f"Discourse rate-limited {method} {path} (429{code_text}) for {wait:.0f} s, "
                f"longer than max_wait {self.max_wait:.0f} s; try again later.",
                wait_seconds=wait,
                **detail,
            )
        if attempt >= self.retries:
            return RateLimited(
                f"Discourse still rate-limited {method} {path} (429{code_text}) after "
                f"{attempt} retries; try again in {wait:.0f} s.",
                wait_seconds=wait,
                **detail,
            )
        return _TryAgain(wait)

    @staticmethod
    def _expect(body: Json, key: str, kind: type, method: str, path: str) -> Any:
        value = body.get(key)
        if not isinstance(value, kind):
            raise InvalidResponse(
                f"Discourse answered {method} {path} without the expected {key!r} "
                f"{kind.__name__}; is the base URL a Discourse forum?",
                method=method,
                path=path,
            )
        return value

    @staticmethod
    def _post_object(body: Json, method: str, path: str) -> Json:
        """The bare post object the forum returns from reads, creates and flags."""
        if body.get("action") == "enqueued" or "pending_post" in body:
            pending = body.get("pending_post")
            raise PostEnqueued(
                f"Discourse queued {method} {path} for approval; the post is not public yet "
                "and must not be sent again.",
                method=method,
                path=path,
                status=200,
                pending_post=pending if isinstance(pending, dict) else None,
            )
        if not isinstance(body.get("id"), int):
            raise InvalidResponse(
                f"Discourse answered {method} {path} without a post id.", method=method, path=path
            )
        return body


def _json_body(response: requests.Response) -> tuple[Json, str | None]:
    """The JSON object of a 2xx answer, or a description of what was wrong with it."""
    content_type = response.headers.get("Content-Type", "")
    if not content_type.lower().startswith("application/json"):
        return {}, f"with content type {content_type or 'none'!r} instead of JSON"
    try:
        body = json.loads(response.content)
    except ValueError as exc:
        return {}, f"its JSON is malformed ({exc.__class__.__name__} at byte {_pos(exc)})"
    if not isinstance(body, dict):
        return {}, f"its JSON is a {type(body).__name__}, not an object"
    return body, None


def _error_details(response: requests.Response) -> tuple[list[str], str | None, Any, str]:
    """Forum messages from an error answer: JSON envelope, plain text or nothing (HTML)."""
    text = response.content.decode("utf-8", "replace")
    content_type = response.headers.get("Content-Type", "").lower()
    if content_type.startswith("application/json"):
        try:
            body = json.loads(text)
        except ValueError:
            body = None
        if isinstance(body, dict):
            raw_errors = body.get("errors") or []
            if not isinstance(raw_errors, list):
                raw_errors = [raw_errors]
            error_type = body.get("error_type")
            return [str(e) for e in raw_errors], error_type and str(error_type), body, text
        return [], None, body, text
    if content_type.startswith("text/plain") and text.strip():
        return [quote(text)], None, None, text
    return [], None, None, text


def _pos(exc: ValueError) -> int | str:
    return getattr(exc, "pos", "?")
