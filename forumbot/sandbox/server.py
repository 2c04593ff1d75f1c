"""Serve the sandbox over a real socket: in a background thread for tests, or forever.

Tests and benchmarks talk real HTTP to it, so client timeouts, connection handling and
headers are exercised exactly as against a real forum.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from forumbot.sandbox.app import create_app, runtime_of
from forumbot.sandbox.runtime import SandboxRuntime
from forumbot.sandbox.seed import load_seed, load_seed_data
from forumbot.sandbox.settings import SandboxSettings
from forumbot.sandbox.state import SandboxForum

log = logging.getLogger(__name__)


class _QuietHandler(WSGIRequestHandler):
    """No access log line per request: benchmarks make thousands of them."""

    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        return None


def build_forum(settings: SandboxSettings) -> SandboxForum:
    """A new forum for ``settings``: the bot user, and the seed when ``settings.seed``."""
    forum = SandboxForum(bot_username=settings.bot_username)
    if settings.seed:
        load_seed(forum, load_seed_data())
    return forum


class SandboxServer:
    """A sandbox forum on ``host:port`` (port 0 picks a free one); see ``.url``."""

    def __init__(
        self,
        forum: SandboxForum | None = None,
        settings: SandboxSettings | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        access_log: bool = False,
    ) -> None:
        self.access_log = access_log
        self.settings = settings or SandboxSettings()
        self.forum = forum or SandboxForum(bot_username=self.settings.bot_username)
        self.host = host
        self.port = port
        self.app = create_app(self.forum, self.settings)
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @classmethod
    def for_settings(
        cls, settings: SandboxSettings, host: str = "127.0.0.1", port: int = 0
    ) -> SandboxServer:
        """A server over a fresh forum built from ``settings`` (see :func:`build_forum`)."""
        return cls(build_forum(settings), settings, host, port)

    @property
    def runtime(self) -> SandboxRuntime:
        return runtime_of(self.app)

    @property
    def url(self) -> str:
        if self._server is None:
            raise RuntimeError("the sandbox server is not started")
        return f"http://{self.host}:{self._server.server_port}"

    def start(self) -> SandboxServer:
        handler = WSGIRequestHandler if self.access_log else _QuietHandler
        self._server = make_server(
            self.host, self.port, self.app, threaded=True, request_handler=handler
        )
        if self.runtime.webhooks is not None:
            self.runtime.webhooks.instance = self.url
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},  # so stop() returns quickly
            name="sandbox-http",
            daemon=True,
        )
        self._thread.start()
        log.info("sandbox forum listening on %s", self.url)
        return self

    def stop(self) -> None:
        self.runtime.close()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()


def run_forever(settings: SandboxSettings, host: str, port: int) -> None:
    """Serve until interrupted; prints the URL first so a parent process can find it."""
    server = SandboxServer(settings=settings, host=host, port=port, access_log=True).start()
    print(f"sandbox forum listening on {server.url}", flush=True)
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
