"""Fixtures for the sandbox's own tests: a real server on a free port and an API session.

Every test talks real HTTP over a socket, so what passes here is what a Discourse client
(ours or pydiscourse) sees.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sandbox_helpers import OWNER, Api, Control

from forumbot.sandbox.server import SandboxServer
from forumbot.sandbox.settings import SandboxSettings
from forumbot.sandbox.state import SandboxForum


@pytest.fixture
def make_server() -> Iterator[Callable[..., SandboxServer]]:
    """Start sandbox servers with given settings (unseeded unless asked); stop them after."""
    started: list[SandboxServer] = []

    def start(**settings: Any) -> SandboxServer:
        settings.setdefault("seed", False)
        cfg = SandboxSettings(**settings)
        server = SandboxServer(SandboxForum(bot_username=cfg.bot_username), cfg).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture
def server(make_server) -> SandboxServer:
    """An empty forum (only system, forumbot and one owner), no rate limit, no memoization."""
    srv = make_server(rate_limit_per_minute=0, memoize_seconds=0)
    srv.forum.add_user(OWNER, "李先生")
    return srv


@pytest.fixture
def api(server) -> Iterator[Api]:
    session = Api(server.url)
    yield session
    session.close()


@pytest.fixture
def owner_api(server) -> Iterator[Api]:
    session = Api(server.url, username=OWNER)
    yield session
    session.close()


@pytest.fixture
def ctl(server) -> Iterator[Control]:
    control = Control(server.url)
    yield control
    control.close()
