"""INSERT … ON CONFLICT DO NOTHING on SQLite and PostgreSQL: how two workers stay out of each
other's way without locks: the second insert of the same key is simply a no-op."""

from __future__ import annotations

from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import InstrumentedAttribute, Session


def insert_ignoring_duplicates(
    session: Session,
    model: type[Any],
    rows: list[dict[str, Any]],
    key: InstrumentedAttribute[Any],
) -> list[Any]:
    """Insert the rows whose ``key`` is new; return the keys actually inserted."""
    if not rows:
        return []
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(model).values(rows).on_conflict_do_nothing(index_elements=[key.key]).returning(key)
    )
    return list(session.scalars(stmt))
