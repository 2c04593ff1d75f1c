"""The console's production WSGI server: waitress, with a stop that lets requests finish.

werkzeug's server is for development only. waitress serves the app from a pool of worker
threads behind one I/O loop; ``stop()`` may be called from another thread or a signal handler:
the listening socket closes at once, idle connections are dropped, requests already being
served get ``grace`` seconds to send their response, then ``run()`` returns.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from waitress import create_server, wasyncore

# waitress's own default; CPU-bound pages get tighter latency tails from fewer threads (the
# drafts-era bench/console_load.py measured queue p95 397 ms with 2, 459 ms with 4, 567 ms
# with 8 threads; `--threads` on today's script compares them again).
DEFAULT_THREADS = 4
# Seconds the I/O loop sleeps when nothing happens; stop() wakes it at once anyway.
LOOP_TIMEOUT = 1.0

WSGIApp = Callable[..., Any]


class ConsoleServer:
    """A waitress server for one WSGI app on one address (port 0 picks a free port)."""

    def __init__(
        self,
        app: WSGIApp,
        host: str = "127.0.0.1",
        port: int = 0,
        threads: int = DEFAULT_THREADS,
        grace: float = 5.0,
    ) -> None:
        if threads < 1:
            raise ValueError("threads must be at least 1")
        self.threads = threads
        self.grace = grace
        self._server = create_server(
            app,
            host=host,
            port=port,
            threads=threads,
            ident="forumbot",  # the Server header names no software version
            asyncore_loop_timeout=LOOP_TIMEOUT,
            asyncore_use_poll=True,  # select() fails beyond 1024 file descriptors
        )
        self._map = self._server._map  # waitress's socket map: the listener, wake-up pipe, clients
        self._stopping = threading.Event()
        # Held while sockets close, so that stop() never writes to a closed (reused) pipe fd.
        self._closing = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def host(self) -> str:
        return self._server.effective_host

    @property
    def port(self) -> int:
        return self._server.effective_port

    @property
    def url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def run(self) -> None:
        """Serve in this thread until ``stop()``; on return no worker thread is left."""
        deadline: float | None = None
        try:
            while self._map:
                wasyncore.loop(timeout=LOOP_TIMEOUT, use_poll=True, map=self._map, count=1)
                if not self._stopping.is_set():
                    continue
                if deadline is None:
                    deadline = time.monotonic() + self.grace
                    if self._server.socket is not None:
                        wasyncore.dispatcher.close(self._server)  # stop accepting
                if not self._drain() or time.monotonic() >= deadline:
                    self._close_sockets()
        finally:
            self._server.task_dispatcher.shutdown(timeout=self.grace)
            self._close_sockets()

    def _close_sockets(self) -> None:
        with self._closing:
            wasyncore.close_all(self._map, ignore_all=True)

    def _drain(self) -> bool:
        """Close the connections with nothing left to do; whether any are still busy."""
        busy = False
        for channel in list(self._server.active_channels.values()):
            if channel.requests or channel.total_outbufs_len:
                busy = True
            else:
                channel.will_close = True
        return busy

    def stop(self) -> None:
        """Ask ``run()`` to finish; safe from any thread and from a signal handler."""
        self._stopping.set()
        # Not acquired: the sockets are being closed right now, so the loop is ending anyway
        # (and waiting here could deadlock a signal handler interrupting that very close).
        if self._closing.acquire(blocking=False):
            try:
                if not self._server.trigger._closed:
                    self._server.trigger.pull_trigger()  # wake the loop now, not in a second
            finally:
                self._closing.release()

    def start(self) -> ConsoleServer:
        """Serve from a background thread (the demo, tests, in-process benchmarks)."""
        self._thread = threading.Thread(target=self.run, name="console-server", daemon=True)
        self._thread.start()
        return self

    def close(self, timeout: float | None = None) -> None:
        """Stop and wait for the background thread started by ``start()``."""
        self.stop()
        if self._thread is not None:
            self._thread.join(timeout if timeout is not None else self.grace + 5)
            self._thread = None
        elif self._map:  # never started: only the threads and sockets to release
            self._server.task_dispatcher.shutdown(timeout=0)
            self._close_sockets()
