"""The JSON records of ``queue list --json`` and ``dept pending --json`` (DESIGN.md contracts).

One flat object per draft or request, read with one query each, so a long queue streams
without a query per row. Times are ISO 8601 in UTC, as stored, to the second.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from forumbot.cases.views import urgent_first
from forumbot.storage.models import Department, DepartmentRequest, Draft, Post

# Rows fetched from the database at a time while streaming.
CHUNK = 1000


def iso_utc(moment: datetime | None) -> str | None:
    """``2025-03-01T02:30:00+00:00``: UTC with its offset, whole seconds."""
    return None if moment is None else moment.isoformat(timespec="seconds")


def draft_query(state: str | None, limit: int | None) -> Select[Any]:
    query = (
        select(
            Draft.id,
            Draft.case_id,
            Post.forum_post_id,
            Post.topic_id,
            Post.post_number,
            Draft.kind,
            Draft.style,
            Draft.state,
            Draft.revision,
            Department.code,
            Draft.text,
            Draft.created_at,
            Draft.due_at,
            Draft.needs_second_approval,
            Draft.first_approved_by,
            Post.urgent,
            Post.sensitive,
        )
        .join(Post, Post.id == Draft.post_id)
        .outerjoin(Department, Department.id == Draft.department_id)
        .order_by(Draft.id)
    )
    if state:
        query = query.where(Draft.state == state)
    return query if limit is None else query.limit(limit)


def draft_records(session: Session, state: str | None, limit: int | None) -> Iterator[dict]:
    """Drafts oldest first; ``case_id`` is null for a draft outside any case (a moderation
    proposal, a follow-up, a reply written by hand to a post no case holds)."""
    rows = session.execute(draft_query(state, limit).execution_options(yield_per=CHUNK))
    for row in rows:
        yield {
            "id": row.id,
            "case_id": row.case_id,
            "forum_post_id": row.forum_post_id,
            "topic_id": row.topic_id,
            "post_number": row.post_number,
            "kind": row.kind,
            "style": row.style,
            "state": row.state,
            "revision": row.revision,
            "department": row.code,
            "text": row.text,
            "created_at": iso_utc(row.created_at),
            "due_at": iso_utc(row.due_at),
            "urgent": bool(row.urgent),
            "sensitive": bool(row.sensitive),
            # The two-person rule: null until a sensitive reply's first approval.
            "needs_second_approval": bool(row.needs_second_approval),
            "first_approved_by": row.first_approved_by,
        }


def request_records(session: Session, code: str | None) -> Iterator[dict]:
    """Open department requests, urgent cases' first, then the earliest due."""
    query = (
        select(
            DepartmentRequest.id,
            Department.code,
            Post.forum_post_id,
            Post.topic_id,
            DepartmentRequest.due_at,
            DepartmentRequest.note,
            DepartmentRequest.draft_id,
        )
        .join(Department, Department.id == DepartmentRequest.department_id)
        .join(Draft, Draft.id == DepartmentRequest.draft_id)
        .join(Post, Post.id == Draft.post_id)
        .where(DepartmentRequest.state == "open")
        .order_by(*urgent_first(), DepartmentRequest.due_at, DepartmentRequest.id)
    )
    if code:
        query = query.where(Department.code == code)
    for row in session.execute(query.execution_options(yield_per=CHUNK)):
        yield {
            "id": row.id,
            "department": row.code,
            "forum_post_id": row.forum_post_id,
            "topic_id": row.topic_id,
            "due_at": iso_utc(row.due_at),
            "note": row.note,
            "draft_id": row.draft_id,
        }


def write_json_lines(records: Iterable[dict]) -> None:
    """One JSON object per line on standard output, always UTF-8."""
    out = sys.stdout.buffer
    for record in records:
        out.write((json.dumps(record, ensure_ascii=False) + "\n").encode())
    out.flush()
