"""The dashboard's numbers about cases and incidents (``stats`` holds those about posts and
drafts): open incidents by size and age, recent spike alerts, and per department how the
cases answered in the last 30 days ended.

Each function takes a session and ``now`` (UTC-aware) where time matters, aggregates in SQL
and returns small dataclasses, so the figures are tested without Flask.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session

from forumbot.cases.states import CLOSED, RESOLVED, UNRESOLVED
from forumbot.storage.models import AuditEntry, Case, Department, DepartmentRequest, Incident

RECENT = timedelta(days=30)
# A spike stays on the dashboard for a day after it was raised.
SPIKE_SHOWN = timedelta(days=1)
TOP_INCIDENTS = 10


@dataclass(frozen=True)
class OpenIncident:
    """An incident not closed, with its size, its first case's opening and its one request."""

    id: int
    title: str
    place: str | None
    state: str
    cases: int
    first_opened: datetime
    department: str | None  # the department's name
    request_id: int | None
    request_state: str | None
    request_due: datetime | None
    spike: bool


def _requests(session: Session, incident_ids: list[int]) -> dict[int, DepartmentRequest]:
    """Each incident's one request: the open one, else the latest."""
    found: dict[int, DepartmentRequest] = {}
    for request in session.scalars(
        select(DepartmentRequest)
        .where(DepartmentRequest.incident_id.in_(incident_ids))
        .order_by((DepartmentRequest.state == "open").desc(), DepartmentRequest.id.desc())
    ):
        assert request.incident_id is not None
        found.setdefault(request.incident_id, request)
    return found


def open_incidents(session: Session, limit: int | None = TOP_INCIDENTS) -> list[OpenIncident]:
    """Open incidents, the largest first, then the oldest (by their first case)."""
    size, first = func.count(Case.id), func.min(Case.opened_at)
    query = (
        select(Incident, size, first)
        .join(Case, Case.incident_id == Incident.id)
        .where(Incident.state != "closed")
        .group_by(Incident.id)
        .order_by(size.desc(), first, Incident.id)
    )
    rows = session.execute(query if limit is None else query.limit(limit)).all()
    requests = _requests(session, [incident.id for incident, _, _ in rows])
    names = dict(session.execute(select(Department.id, Department.name)).all())
    result = []
    for incident, cases, opened in rows:
        request = requests.get(incident.id)
        department = incident.department_id or (request.department_id if request else None)
        result.append(
            OpenIncident(
                id=incident.id,
                title=incident.title,
                place=incident.place,
                state=incident.state,
                cases=int(cases),
                first_opened=opened,
                department=names.get(department) if department else None,
                request_id=request.id if request else None,
                request_state=request.state if request else None,
                request_due=request.due_at if request else None,
                spike=incident.spike_alerted_at is not None,
            )
        )
    return result


@dataclass(frozen=True)
class SpikeAlert:
    """A burst of new cases on one matter, as the audit log recorded it."""

    incident_id: int
    title: str | None
    place: str | None
    at: datetime
    reason: str | None


def spike_alerts(session: Session, now: datetime) -> list[SpikeAlert]:
    """Spikes raised in the last day, the newest first."""
    rows = session.execute(
        select(AuditEntry, Incident.title, Incident.place)
        .outerjoin(Incident, Incident.id == AuditEntry.entity_id)
        .where(
            AuditEntry.entity_type == "incident",
            AuditEntry.action == "incident_spike",
            AuditEntry.at >= now - SPIKE_SHOWN,
        )
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    ).all()
    return [SpikeAlert(e.entity_id, title, place, e.at, e.reason) for e, title, place in rows]


@dataclass(frozen=True)
class DepartmentOutcomes:
    """How one department's cases answered in the last 30 days ended so far."""

    code: str | None
    name: str | None  # None: cases no department owns
    answered: int
    resolved: int
    unresolved: int
    silent: int  # closed without the owner saying either

    @property
    def waiting(self) -> int:
        """Answered, no outcome yet (the satisfaction question is still open)."""
        return self.answered - self.resolved - self.unresolved - self.silent

    @property
    def resolution_rate(self) -> float | None:
        return self.resolved / self.answered if self.answered else None

    @property
    def satisfaction_rate(self) -> float | None:
        said = self.resolved + self.unresolved
        return self.resolved / said if said else None


def department_outcomes(session: Session, now: datetime) -> list[DepartmentOutcomes]:
    """Per department, the cases whose answer was published in the last 30 days."""
    # Closed with no outcome the owner gave (NULL is neither in nor out of a list in SQL).
    silent = and_(
        Case.state == CLOSED,
        or_(Case.outcome.is_(None), Case.outcome.not_in((RESOLVED, UNRESOLVED))),
    )
    counts = {
        department: (int(answered), int(resolved or 0), int(unresolved or 0), int(quiet or 0))
        for department, answered, resolved, unresolved, quiet in session.execute(
            select(
                Case.department_id,
                func.count(Case.id),
                func.sum(case((Case.outcome == RESOLVED, 1), else_=0)),
                func.sum(case((Case.outcome == UNRESOLVED, 1), else_=0)),
                func.sum(case((silent, 1), else_=0)),
            )
            .where(Case.answered_at >= now - RECENT, Case.answered_at <= now)
            .group_by(Case.department_id)
        )
    }
    rows = [
        DepartmentOutcomes(dept.code, dept.name, *counts.get(dept.id, (0, 0, 0, 0)))
        for dept in session.scalars(select(Department).order_by(Department.id))
    ]
    if None in counts:
        rows.append(DepartmentOutcomes(None, None, *counts[None]))
    return rows
