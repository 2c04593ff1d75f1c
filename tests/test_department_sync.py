"""Two workers started together both write the configured departments: neither may fail.

Every drafting run, the console's account pages and redrafting make the departments table
match config/departments.toml; on a fresh database two of them racing used to insert the
same code twice and one died on the unique constraint.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

import pytest
import requests
from sqlalchemy import delete, select

from forumbot.cases.writing import sync_departments
from forumbot.drafting.resources import load_departments
from forumbot.paths import CONFIG_DIR
from forumbot.storage.database import make_engine, session_factory
from forumbot.storage.models import Department

ROOT = Path(__file__).resolve().parent.parent


def test_concurrent_syncs_store_each_department_once(database_url, engine):
    configured, _contact = load_departments(CONFIG_DIR / "departments.toml")
    workers = [make_engine(database_url) for _ in range(3)]
    try:
        for _round in range(12):
            with engine.begin() as conn:
                conn.execute(delete(Department))
            errors: list[BaseException] = []
            start = threading.Barrier(len(workers))

            def sync(eng, start=start, errors=errors) -> None:  # type: ignore[no-untyped-def]
                try:
                    with session_factory(eng)() as session:
                        start.wait()
                        rows = sync_departments(session, configured)
                        session.commit()
                        assert set(rows) >= set(configured)
                        assert all(row.id for row in rows.values())
                except BaseException as exc:  # reported by the assertion below
                    errors.append(exc)

            threads = [threading.Thread(target=sync, args=(eng,)) for eng in workers]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert errors == []
            with session_factory(engine)() as session:
                codes = Counter(session.scalars(select(Department.code)))
            assert codes == Counter(set(configured))
    finally:
        for eng in workers:
            eng.dispose()


def test_sync_updates_names_and_response_days(sessions):
    configured, _contact = load_departments(CONFIG_DIR / "departments.toml")
    with sessions() as session:
        sync_departments(session, configured)
        session.execute(
            Department.__table__.update().values(name="旧名字", response_days=99)  # type: ignore[attr-defined]
        )
        session.commit()
    with sessions() as session:
        rows = sync_departments(session, configured)
        session.commit()
        assert {c: (r.name, r.response_days) for c, r in rows.items()} == {
            c: (d.name, d.response_days) for c, d in configured.items()
        }


@pytest.fixture
def small_forum():
    """A forum with one owner post, so that both bots reach drafting at about the same time."""
    from forumbot.sandbox.server import SandboxServer
    from forumbot.sandbox.settings import SandboxSettings

    cfg = SandboxSettings(rate_limit_per_minute=0, memoize_seconds=0, seed=False)
    with SandboxServer.for_settings(cfg) as server:
        post = {"username": "zhang_wei88", "raw": "3栋2单元1502卫生间漏水一个月了，报修三次没人来"}
        requests.post(f"{server.url}/_sandbox/posts", json=post, timeout=30).raise_for_status()
        yield server.url


def test_two_bots_started_together_log_no_integrity_error(database_url, engine, small_forum):
    env = {
        **os.environ,
        "FORUMBOT_DATABASE_URL": database_url,
        "FORUMBOT_FORUM_BASE_URL": small_forum,
        "FORUMBOT_FORUM_REQUESTS_PER_MINUTE": "0",
        "DISCOURSE_API_KEY": "sandbox-admin-key",
        "DISCOURSE_API_USERNAME": "forumbot",
    }
    command = [sys.executable, "-m", "forumbot", "run", "--once"]
    bots = [
        subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [bot.communicate(timeout=240) for bot in bots]
    for bot, (out, err) in zip(bots, outputs, strict=True):
        text = out.decode() + err.decode()
        assert bot.returncode == 0, text
        assert "IntegrityError" not in text and "Traceback" not in text, text
    with session_factory(engine)() as session:
        codes = Counter(session.scalars(select(Department.code)))
    assert codes and max(codes.values()) == 1
