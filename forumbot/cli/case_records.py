"""The JSON records of ``cases list --json`` and ``incidents list --json`` (DESIGN.md contracts).

One flat object per case or incident, read with a fixed number of grouped queries however
many cases there are. Times are ISO 8601 in UTC, to the second, as in ``queue list --json``.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import case as when
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from forumbot.cases.states import ACTIVE
from forumbot.cli.records import iso_utc
from forumbot.review.states import UNPUBLISHED
from forumbot.storage.models import Case, Department, DepartmentRequest, Draft, Incident, Post

# What ``--state`` takes: the centre's open work (open, waiting for a department), or all.
STATE_CHOICES = ("open", "all")


def _post_counts(session: Session) -> dict[int, tuple[int, int]]:
    """Per case: its posts still on the forum, and the neighbours who support it there (a
    neighbour who said "+1" twice counts once)."""
    rows = session.execute(
        select(
            Post.case_id,
            func.count(Post.id),
            func.count(func.distinct(when((Post.case_role == "supporter", Post.username)))),
        )
        .where(Post.case_id.is_not(None), Post.deleted.is_(False))
        .group_by(Post.case_id)
    )
    return {case_id: (int(posts), int(supporters or 0)) for case_id, posts, supporters in rows}


def _open_drafts(session: Session) -> dict[int, int]:
    rows = session.execute(
        select(Draft.case_id, func.count(Draft.id))
        .where(Draft.case_id.is_not(None), Draft.state.in_(UNPUBLISHED))
        .group_by(Draft.case_id)
    )
    return {case_id: int(count) for case_id, count in rows}


def case_records(session: Session, state: str = "open") -> Iterator[dict[str, Any]]:
    """Cases oldest first; ``open`` means still the centre's work (open, waiting_department)."""
    query = (
        select(Case, Department.code)
        .outerjoin(Department, Department.id == Case.department_id)
        .order_by(Case.id)
    )
    if state == "open":
        query = query.where(Case.state.in_(sorted(ACTIVE)))
    counts, drafts = _post_counts(session), _open_drafts(session)
    for case, department in session.execute(query):
        posts, supporters = counts.get(case.id, (0, 0))
        yield {
            "id": case.id,
            "topic_id": case.topic_id,
            "owner": case.owner,
            "label": case.label,
            "state": case.state,
            "urgent": bool(case.urgent),
            "urgent_reason": case.urgent_reason,
            "sensitive": bool(case.sensitive),
            "sensitive_reason": case.sensitive_reason,
            "posts": posts,
            "supporters": supporters,
            "incident_id": case.incident_id,
            "open_drafts": drafts.get(case.id, 0),
            "due_at": iso_utc(case.due_at),
            "department": department,
            "place": case.place,
            "matter": case.matter,
            "reopened": case.reopened,
            "repeat": bool(case.repeat),
            "outcome": case.outcome,
            "opened_at": iso_utc(case.opened_at),
        }


def incident_request(session: Session, incident_id: int) -> DepartmentRequest | None:
    """The incident's one department request: the open one, else the latest."""
    return session.scalar(
        select(DepartmentRequest)
        .where(DepartmentRequest.incident_id == incident_id)
        .order_by((DepartmentRequest.state == "open").desc(), DepartmentRequest.id.desc())
        .limit(1)
    )


def incident_records(session: Session, state: str = "open") -> Iterator[dict[str, Any]]:
    """Incidents oldest first; ``open`` leaves out closed ones (merged away, emptied)."""
    members = dict(
        session.execute(
            select(Case.incident_id, func.count(Case.id))
            .where(Case.incident_id.is_not(None))
            .group_by(Case.incident_id)
        ).all()
    )
    codes = dict(session.execute(select(Department.id, Department.code)).all())
    query = select(Incident).order_by(Incident.id)
    if state == "open":
        query = query.where(Incident.state != "closed")
    for incident in session.scalars(query):
        request = incident_request(session, incident.id)
        department = incident.department_id or (request.department_id if request else None)
        yield {
            "id": incident.id,
            "title": incident.title,
            "place": incident.place,
            "state": incident.state,
            "cases": int(members.get(incident.id, 0)),
            "department": codes.get(department) if department else None,
            "request_id": request.id if request else None,
            "request_state": request.state if request else None,
            "request_due_at": iso_utc(request.due_at) if request else None,
            "spike": incident.spike_alerted_at is not None,
            "spike_alerted_at": iso_utc(incident.spike_alerted_at),
            "label": incident.label,
            "statement": incident.statement,
            "created_at": iso_utc(incident.created_at),
        }
