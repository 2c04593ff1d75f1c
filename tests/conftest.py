"""Shared fixtures: a fresh migrated database per test (SQLite, or PostgreSQL when
FORUMBOT_TEST_DATABASE_URL is set), settings, and helpers to put posts and drafts in it."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from sqlalchemy.orm import Session, sessionmaker

from forumbot.config import Settings, load_settings
from forumbot.storage.database import make_engine, migrate, scratch_schema, session_factory
from forumbot.storage.models import Post

PG_URL = os.environ.get("FORUMBOT_TEST_DATABASE_URL")


@pytest.fixture
def database_url(tmp_path) -> Iterator[str]:
    """A database nobody else uses: a SQLite file, or a fresh PostgreSQL schema."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'forumbot.sqlite3'}"
        return
    with scratch_schema(PG_URL, "t") as url:
        yield url


@pytest.fixture
def engine(database_url):
    eng = make_engine(database_url)
    migrate(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def sessions(engine) -> sessionmaker[Session]:
    return session_factory(engine)


@pytest.fixture
def settings(database_url) -> Settings:
    return load_settings(
        path=None,
        environ={
            "DISCOURSE_API_KEY": "sandbox-admin-key",
            "DISCOURSE_API_USERNAME": "forumbot",
            "FORUMBOT_WEBHOOK_SECRET": "my_lovely_secret_for_web_hook",
        },
        overrides={"database.url": database_url},
    )


@pytest.fixture(scope="session")
def classifier():
    """The shipped model, loaded once for the run (it is only read)."""
    from forumbot.classify.classifier import Classifier

    return Classifier.load()


@pytest.fixture(scope="module")
def drafter():
    """The shipped templates, knowledge base and departments."""
    from forumbot.drafting.engine import Drafter

    return Drafter()


@pytest.fixture
def make_post():
    """Put a post in the database as intake would have stored it."""
    return _add_post


def _add_post(session: Session, forum_post_id: int = 1001, **fields) -> Post:
    values = {
        "topic_id": 77,
        "post_number": 1,
        "username": "zhang_wei88",
        "raw": "3栋2单元1502卫生间漏水一个月了，报修三次没人来",
        "topic_title": "卫生间漏水没人管",
        "version": 1,
    }
    values.update(fields)
    post = Post(forum_post_id=forum_post_id, **values)
    session.add(post)
    session.flush()
    return post


class SandboxControl:
    """Drive the running sandbox forum through its /_sandbox control routes (real HTTP)."""

    def __init__(self, url: str):
        import requests

        self.url = url
        self.http = requests.Session()

    def call(self, method: str, path: str, **body):
        response = self.http.request(
            method, f"{self.url}/_sandbox/{path}", json=body or None, timeout=30
        )
        response.raise_for_status()
        return response.json()

    def add_post(self, raw: str, *, username: str = "zhang_wei88", **fields) -> dict:
        return self.call("POST", "posts", username=username, raw=raw, **fields)

    def faults(self, rate: float, kinds: list[str] | None = None, **extra) -> None:
        body = {"rate": rate, **extra}
        if kinds:
            body["kinds"] = kinds
        self.call("POST", "faults", **body)

    def posts_by(self, username: str) -> list[dict]:
        data = self.call("GET", f"posts?username={username}")
        return data["posts"] if isinstance(data, dict) else data

    def close(self) -> None:
        self.http.close()


@pytest.fixture
def sandbox():
    """A seeded sandbox forum on a free port, rate limit and create memoization off, so that
    the tests measure forumbot's own guarantees (both can be switched on per test)."""
    from forumbot.sandbox.server import SandboxServer
    from forumbot.sandbox.settings import SandboxSettings

    cfg = SandboxSettings(rate_limit_per_minute=0, memoize_seconds=0, timeout_seconds=1.0)
    with SandboxServer.for_settings(cfg) as server:
        control = SandboxControl(server.url)
        yield control
        control.close()


@pytest.fixture
def client(sandbox):
    from forumbot.discourse import DiscourseClient

    c = DiscourseClient(
        sandbox.url,
        "sandbox-admin-key",
        "forumbot",
        timeout=0.5,
        retries=3,
        backoff=0.01,
        max_wait=5,
        requests_per_minute=0,
    )
    yield c
    c.close()
