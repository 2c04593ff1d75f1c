"""A scripted Discourse on 127.0.0.1 for the client's tests, and recorded exchanges to play.

``FakeForum`` is a real HTTP server on an ephemeral port: each test queues the answers the
forum should give and afterwards reads the requests it received. Scenarios live in
``exchanges/*.json``, one per file, each a list of request/response pairs: the response is
served, the request is what the client must have sent. Response bodies come from recordings
of real Discourse (``tests/fixtures/discourse/``) or real error bodies quoted in the notes.
"""

from __future__ import annotations

import json
import socket
import threading
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from forumbot.discourse import DiscourseClient

HERE = Path(__file__).parent
EXCHANGES = HERE / "exchanges"
RECORDINGS = HERE.parent / "fixtures" / "discourse"
JSON_TYPE = "application/json; charset=utf-8"

API_KEY = "test-key-5f0c9a1d7e"
API_USERNAME = "cs_desk_admin"


@dataclass
class Received:
    """One request as the forum saw it."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None


@dataclass
class Answer:
    """What the forum does with the next request: answer, answer late, or hang up."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    delay: float = 0.0
    hang_up: bool = False


def answer_from(spec: dict[str, Any]) -> Answer:
    """Build an ``Answer`` from an exchange's ``response`` object."""
    headers = dict(spec.get("headers", {}))
    if "body_file" in spec:
        data = json.loads((RECORDINGS / spec["body_file"]).read_text(encoding="utf-8"))
        for key in spec.get("drop_keys", []):
            data.pop(key, None)
        body = json.dumps(data, ensure_ascii=False).encode()
        headers.setdefault("Content-Type", JSON_TYPE)
    elif "json" in spec:
        body = json.dumps(spec["json"], ensure_ascii=False).encode()
        headers.setdefault("Content-Type", JSON_TYPE)
    else:
        body = spec.get("text", "").encode()
    return Answer(
        status=spec.get("status", 200),
        headers=headers,
        body=body,
        delay=spec.get("delay", 0.0),
        hang_up=spec.get("hang_up", False),
    )


class FakeForum:
    """Serves queued answers in order and records every request it receives."""

    def __init__(self) -> None:
        self.received: list[Received] = []
        self.unexpected: list[str] = []
        self._answers: deque[Answer] = deque()
        self._stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _make_handler(self))
        self._server.daemon_threads = True
        self._server.handle_error = lambda request, address: None  # client hung up: fine
        host, port = self._server.server_address[:2]
        self.url = f"http://{host}:{port}"
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True
        )
        self._thread.start()

    def queue(self, *responses: dict[str, Any]) -> None:
        """Queue answers written like an exchange's ``response`` object."""
        self._answers.extend(answer_from(response) for response in responses)

    def play(self, scenario: str) -> list[dict[str, Any]]:
        """Queue a scenario's responses; return the requests the client is expected to send."""
        exchanges = load_exchange(scenario)["exchanges"]
        self.queue(*(exchange["response"] for exchange in exchanges))
        return [exchange["request"] for exchange in exchanges]

    def assert_received(self, expected: list[dict[str, Any]]) -> None:
        """Exactly the expected requests arrived: method, path, query and JSON body."""
        assert [(r.method, r.path) for r in self.received] == [
            (e["method"], e["path"]) for e in expected
        ]
        for got, want in zip(self.received, expected, strict=True):
            assert got.query == want.get("query", {})
            if "json" in want:
                assert got.headers["Content-Type"] == "application/json"
                assert got.json == want["json"]
            else:
                assert got.body == b""

    def next_answer(self, request: Received) -> Answer | None:
        self.received.append(request)
        if self._answers:
            return self._answers.popleft()
        self.unexpected.append(f"{request.method} {request.path}")
        return None

    def wait(self, seconds: float) -> bool:
        """Sleep like a slow forum, but wake at once when the test is over."""
        return self._stopping.wait(seconds)

    def close(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _make_handler(forum: FakeForum) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"  # keep-alive, like the real forum behind nginx
        timeout = 5

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            parts = urlsplit(self.path)
            request = Received(
                method=self.command,
                path=parts.path,
                query=parse_qs(parts.query, keep_blank_values=True),
                headers={name: value for name, value in self.headers.items()},
                body=body,
            )
            answer = forum.next_answer(request)
            if answer is None:
                answer = Answer(500, {"Content-Type": JSON_TYPE}, b'{"errors":["unscripted"]}')
            if answer.delay and forum.wait(answer.delay):
                self.close_connection = True
                return
            if answer.hang_up:
                self.close_connection = True
                return
            self.send_response(answer.status)
            for name, value in answer.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        do_GET = do_POST = do_PUT = do_DELETE = _handle

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


def load_exchange(scenario: str) -> dict[str, Any]:
    return json.loads((EXCHANGES / f"{scenario}.json").read_text(encoding="utf-8"))


def recording(name: str) -> Any:
    """A response body recorded from a real Discourse, as the client should return it."""
    return json.loads((RECORDINGS / name).read_text(encoding="utf-8"))


class SleepRecorder:
    """Stands in for ``time.sleep``: remembers each wait instead of waiting."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


@pytest.fixture
def forum() -> Iterator[FakeForum]:
    fake = FakeForum()
    yield fake
    fake.close()
    assert not fake.unexpected, f"requests nobody scripted an answer for: {fake.unexpected}"


@pytest.fixture
def sleeps() -> SleepRecorder:
    return SleepRecorder()


@pytest.fixture
def make_client(forum: FakeForum, sleeps: SleepRecorder):
    """Build clients against the fake forum with fast, unbudgeted defaults; closes them after."""
    clients: list[DiscourseClient] = []

    def build(**options: Any) -> DiscourseClient:
        settings: dict[str, Any] = {
            "timeout": 2.0,
            "retries": 2,
            "backoff": 0.001,  # urllib3 sleeps for real between its retries
            "requests_per_minute": 0,
            "sleep": sleeps,
        }
        settings.update(options)
        base_url = settings.pop("base_url", forum.url)
        client = DiscourseClient(base_url, API_KEY, API_USERNAME, **settings)
        clients.append(client)
        return client

    yield build
    for client in clients:
        client.close()


@pytest.fixture
def client(make_client) -> DiscourseClient:
    return make_client()


@pytest.fixture
def recorded():
    """Load a recorded body by its original file name."""
    return recording


@pytest.fixture
def dead_url() -> str:
    """A local address nothing listens on, so connecting is refused at once."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"http://127.0.0.1:{port}"


@pytest.fixture
def credentials() -> tuple[str, str]:
    """The (API key, username) every test client uses; both are secrets."""
    return API_KEY, API_USERNAME
