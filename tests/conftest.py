"""Shared fixtures: a fresh migrated database per test (SQLite, or PostgreSQL when
FORUMBOT_TEST_DATABASE_URL is set), settings, and helpers to put posts and drafts in it."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from forumbot.config import Settings, load_settings
from forumbot.storage.database import make_engine, migrate, session_factory
from forumbot.storage.models import Post

PG_URL = os.environ.get("FORUMBOT_TEST_DATABASE_URL")


@pytest.fixture
def database_url(tmp_path) -> Iterator[str]:
    """A database nobody else uses: a SQLite file, or a fresh PostgreSQL schema."""
    if not PG_URL:
        yield f"sqlite:///{tmp_path / 'forumbot.sqlite3'}"
        return
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(make_engine(PG_URL).url)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(PG_URL).update_query_dict({"options": f"-csearch_path={schema}"})
    yield url.render_as_string(hide_password=False)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


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
