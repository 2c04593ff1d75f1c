"""Engine and sessions for SQLite (the default) or PostgreSQL, and schema migration.

SQLite runs in WAL mode with a busy timeout so the scheduler, the console and the CLI can
share one file; foreign keys are switched on, as SQLite leaves them off by default.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, NoSuchModuleError
from sqlalchemy.orm import Session, sessionmaker

from forumbot.config import ConfigError

MIGRATIONS = Path(__file__).with_name("migrations")


def make_engine(url: str) -> Engine:
    """Create an engine for ``url`` without touching the disk or the network.

    A URL that cannot work at all (not a URL, an unknown database type, a missing driver)
    is a ConfigError naming it; whether the database is there is checked by ``migrate``
    (which may create a SQLite file) and ``check_schema`` (which never does).
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            f"database.url {_mask(url)} 不是有效的数据库地址，请改正 database.url，"
            "例如 sqlite:///var/forumbot.sqlite3 (not a valid SQLAlchemy URL)"
        ) from None
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() in {"", "psycopg2"}:
        parsed = parsed.set(drivername="postgresql+psycopg")
    sqlite = parsed.get_backend_name() == "sqlite"
    try:
        if sqlite:
            engine = create_engine(parsed, connect_args={"timeout": 30})
        else:
            engine = create_engine(parsed, pool_pre_ping=True)
    except (NoSuchModuleError, ImportError, ArgumentError, TypeError) as exc:
        raise ConfigError(
            f"database.url {_shown(parsed)} 的数据库类型 {parsed.drivername!r} 无法使用，"
            "请改用 sqlite:///… 或 postgresql+psycopg://… "
            f"(unsupported database type or missing driver: {_first_line(exc)})"
        ) from None
    if sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _mask(url: str) -> str:
    """``url`` with any password replaced, for a URL SQLAlchemy could not even parse."""
    return re.sub(r"(://[^:/@]*:)[^@]*@", r"\1***@", url)


def _shown(url: URL) -> str:
    return url.render_as_string(hide_password=True)


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0].strip() if lines else exc.__class__.__name__


def _sqlite_file(engine: Engine) -> Path | None:
    """The SQLite database file of ``engine``; None for in-memory or other databases."""
    name = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not name or name == ":memory:":
        return None
    if name.startswith("file:"):
        return None  # a SQLite URI filename: the driver resolves it
    return Path(name)


def _check_sqlite_path(engine: Engine, *, create: bool) -> None:
    """Refuse a SQLite path that cannot be a database file; ``create`` makes its folder."""
    path = _sqlite_file(engine)
    if path is None:
        return
    shown = _shown(engine.url)
    if path.is_dir():
        raise ConfigError(
            f"database.url {shown} 指向的 {path} 是文件夹，不是数据库文件，请改正 database.url "
            "(the database path is a folder)"
        )
    if create:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(
                f"无法为 database.url {shown} 创建文件夹 {path.parent}（{exc.strerror}），"
                f"请改正 database.url (cannot create the folder: {exc.strerror})"
            ) from None
    elif not path.exists():
        raise ConfigError(
            f"数据库文件 {path} 不存在，请先运行 forumbot migrate，或改正写错的 database.url "
            f"{shown} (database file not found: run 'forumbot migrate' first or fix "
            "database.url)"
        )


def _unreachable(engine: Engine, exc: DBAPIError) -> ConfigError:
    reason = _first_line(exc.orig if exc.orig is not None else exc)
    return ConfigError(
        f"无法打开数据库 {_shown(engine.url)}（{reason}），"
        "请检查 database.url，以及数据库能否连接、文件能否读写 "
        f"(cannot open the database: {reason})"
    )


def _sqlite_pragmas(dbapi_connection, _record) -> None:  # type: ignore[no-untyped-def]
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


@contextmanager
def scratch_schema(url: str, prefix: str) -> Iterator[str]:
    """A new PostgreSQL schema that nobody else uses (a test, a benchmark run), dropped
    afterwards; yields a URL whose connections work in it."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin = create_engine(make_engine(url).url)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
        try:
            yield (
                make_url(url)
                .update_query_dict({"options": f"-csearch_path={schema}"})
                .render_as_string(hide_password=False)
            )
        finally:
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    finally:
        admin.dispose()


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def _alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def migrate(engine: Engine) -> str:
    """Bring the schema to the newest revision; returns that revision id."""
    _check_sqlite_path(engine, create=True)
    try:
        command.upgrade(_alembic_config(engine), "head")
    except DBAPIError as exc:
        raise _unreachable(engine, exc) from None
    return ScriptDirectory.from_config(_alembic_config(engine)).get_current_head() or ""


def check_schema(engine: Engine) -> None:
    """Stop with a clear message when the database is behind the code."""
    head = ScriptDirectory.from_config(_alembic_config(engine)).get_current_head()
    _check_sqlite_path(engine, create=False)  # connecting would create an empty file
    try:
        with engine.connect() as conn:
            current = MigrationContext.configure(conn).get_current_revision()
    except DBAPIError as exc:
        raise _unreachable(engine, exc) from None
    if current != head:
        raise ConfigError(
            f"数据库 {_shown(engine.url)} 的结构版本是 {current or '（尚未建表）'}，"
            f"程序需要 {head}，请先运行 forumbot migrate "
            f"(the database is at schema {current or 'none'}, the code needs {head}: "
            "run 'forumbot migrate' first)"
        )
