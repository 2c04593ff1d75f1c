"""The console's waitress server over real sockets: it answers, and it stops cleanly."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import requests

from forumbot.web import create_app
from forumbot.web.server import ConsoleServer

ROOT = Path(__file__).resolve().parent.parent


def waitress_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("waitress-")]


def refused(url: str) -> bool:
    try:
        requests.get(url, timeout=2)
    except requests.ConnectionError:
        return True
    return False


def test_healthz_over_a_socket_then_a_clean_stop(settings, sessions):
    before = waitress_threads()
    server = ConsoleServer(create_app(settings, sessions), port=0, threads=3).start()
    try:
        response = requests.get(f"{server.url}/healthz", timeout=5)
        assert response.status_code == 200 and response.json()["ok"] is True
        assert response.headers["Server"] == "forumbot"  # no software version given away
        assert len(waitress_threads()) == len(before) + 3
    finally:
        server.close()
    assert refused(f"{server.url}/healthz")
    assert waitress_threads() == before


def test_a_request_in_progress_is_answered_before_the_server_stops():
    started = threading.Event()

    def slow(environ, start_response):  # type: ignore[no-untyped-def]
        started.set()
        time.sleep(0.5)
        start_response("200 OK", [("Content-Type", "text/plain")])
        return [b"approved"]

    server = ConsoleServer(slow, port=0, threads=2, grace=5).start()
    answer: dict[str, requests.Response] = {}
    client = threading.Thread(
        target=lambda: answer.setdefault("r", requests.get(server.url, timeout=10))
    )
    client.start()
    assert started.wait(5)
    server.close()
    client.join(10)
    assert answer["r"].status_code == 200 and answer["r"].text == "approved"
    assert refused(server.url)


def test_stop_before_start_releases_the_port():
    server = ConsoleServer(lambda e, s: [], port=0)
    url = server.url
    server.close()
    assert refused(url)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_forumbot_serve_prints_its_address_and_stops_on_a_signal(database_url, engine, sig):
    env = {
        **os.environ,
        "FORUMBOT_DATABASE_URL": database_url,
        "FORUMBOT_SECRET_KEY": "test-secret-key-0123456789",
    }
    env.pop("FORUMBOT_CONFIG", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "forumbot", "serve", "--port", "0", "--threads", "2"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        first = proc.stdout.readline()
        assert first.startswith("serving on http://127.0.0.1:"), first + proc.stderr.read()
        url = first.split()[2]
        assert requests.get(f"{url}/healthz", timeout=5).json()["ok"] is True
        login = requests.get(f"{url}/login", timeout=5)
        assert login.status_code == 200 and "csrf_token" in login.text
        proc.send_signal(sig)
        out, err = proc.communicate(timeout=15)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 0, err
    assert out.strip().endswith("stopped")
    assert "Traceback" not in err
    assert refused(f"{url}/healthz")
