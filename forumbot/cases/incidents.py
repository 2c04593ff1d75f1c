"""Incidents: many owners, one matter. Suggested when a case opens, confirmed, split or merged
by an agent; one department request answers every member case; a spike is raised once.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from forumbot.cases import incident_match
from forumbot.cases.incident_match import CaseText
from forumbot.cases.states import REPLIED
from forumbot.review.errors import ReviewError
from forumbot.storage import audit
from forumbot.storage.models import Case, DepartmentRequest, Incident, Post

log = logging.getLogger(__name__)
ACTOR = "system:cases"
# Defaults; config's [cases] section overrides them (forumbot.runtime passes them in).
WINDOW_HOURS = 72.0
SPIKE_COUNT = 3
SPIKE_HOURS = 6.0

place_of = incident_match.place_of


def configure(window_hours: float, spike_count: int, spike_hours: float) -> None:
    """Take the ``[cases]`` settings once at start (the bot and the console both call it)."""
    global WINDOW_HOURS, SPIKE_COUNT, SPIKE_HOURS
    WINDOW_HOURS, SPIKE_COUNT, SPIKE_HOURS = window_hours, spike_count, spike_hours


def _text(case: Case) -> CaseText:
    post = case.opening_post
    return CaseText(
        case.id,
        case.owner,
        case.topic_id,
        case.label,
        f"{post.topic_title or ''} {post.raw}" if post.post_number <= 1 else post.raw,
        case.opened_at,
    )


def _record(session: Session, incident: Incident, action: str, reason: str, **details) -> None:  # type: ignore[no-untyped-def]
    audit.record(
        session,
        actor=details.pop("actor", ACTOR),
        entity_type="incident",
        entity_id=incident.id,
        action=action,
        to_state=incident.state,
        reason=reason,
        details=details or None,
    )


def members(session: Session, incident_id: int) -> list[Case]:
    return list(
        session.scalars(select(Case).where(Case.incident_id == incident_id).order_by(Case.id))
    )


def consider(
    session: Session,
    case: Case,
    now: datetime,
    *,
    window_hours: float | None = None,
    spike_count: int | None = None,
    spike_hours: float | None = None,
) -> Incident | None:
    """Group a newly opened case with an earlier case on the same matter at the same place,
    if there is one; returns the incident it joined."""
    window_hours = WINDOW_HOURS if window_hours is None else window_hours
    spike_count = SPIKE_COUNT if spike_count is None else spike_count
    spike_hours = SPIKE_HOURS if spike_hours is None else spike_hours
    if case.place is None:
        return None
    window = timedelta(hours=window_hours)
    community = incident_match.community_of(case.place)
    # Places first (two columns, no texts): only cases at this community are read in full.
    nearby = session.execute(
        select(Case.id, Case.place)
        .where(
            Case.id != case.id,
            Case.place.is_not(None),
            Case.opened_at >= case.opened_at - window,
            Case.opened_at <= case.opened_at + window,
            Case.state.not_in(tuple(REPLIED - {"answered"})),
        )
        .order_by(Case.incident_id.is_(None), Case.opened_at.desc())
        .limit(1000)
    ).all()
    here = [
        case_id
        for case_id, place in nearby
        if incident_match.same_community(community, incident_match.community_of(place))
    ]
    candidates = (
        session.scalars(
            select(Case)
            .options(joinedload(Case.opening_post))
            .where(Case.id.in_(here))
            .order_by(Case.incident_id.is_(None), Case.opened_at.desc())
        ).all()
        if here
        else []
    )
    mine = _text(case)
    match = next(
        (
            c
            for c in candidates
            if incident_match.same_matter(mine, _text(c), window)
            and _within_incident(session, c, case, window)
        ),
        None,
    )
    if match is None:
        return None
    incident = session.get(Incident, match.incident_id) if match.incident_id else None
    if incident is None:
        incident = Incident(
            title=match.matter or case.matter or "",
            place=community,
            label=match.label,
            department_id=match.department_id,
            state="suggested",
        )
        session.add(incident)
        session.flush()
        match.incident_id = incident.id
        _adopt_requests(session, match, incident)
        _record(
            session,
            incident,
            "incident_suggested",
            "多位业主反映同一地点的同一问题",
            cases=[match.id, case.id],
        )
    else:
        _record(session, incident, "case_joined", "又一位业主反映了同一问题", case=case.id)
    case.incident_id = incident.id
    raise_spike(session, incident, now, spike_count, spike_hours)
    return incident


def _within_incident(session: Session, member: Case, case: Case, window: timedelta) -> bool:
    """An incident does not grow by chaining: a new case must be within the window of the
    incident's first case, not only of the member it resembles."""
    if member.incident_id is None:
        return True
    first = session.scalar(
        select(func.min(Case.opened_at)).where(Case.incident_id == member.incident_id)
    )
    return first is None or abs(case.opened_at - first) <= window


def _adopt_requests(session: Session, case: Case, incident: Incident) -> None:
    """The first member's open department request becomes the incident's one request."""
    for request in session.scalars(
        select(DepartmentRequest).where(
            DepartmentRequest.case_id == case.id, DepartmentRequest.state == "open"
        )
    ):
        request.incident_id = incident.id


def raise_spike(
    session: Session, incident: Incident, now: datetime, count: int, hours: float
) -> bool:
    """A burst of new cases on one matter: shown on the dashboard and written to the audit
    log once per incident (the alert channel reads the same row)."""
    if incident.spike_alerted_at is not None:
        return False
    opened = list(session.scalars(select(Case.opened_at).where(Case.incident_id == incident.id)))
    if not incident_match.spike(opened, now, count, hours):
        return False
    incident.spike_alerted_at = now
    _record(
        session,
        incident,
        "incident_spike",
        f"{hours:g} 小时内有 {len(opened)} 位业主反映同一问题，请主管关注",
        cases=len(opened),
    )
    log.warning("incident %s: %d cases in %s hours", incident.id, len(opened), hours)
    return True


def confirm(session: Session, incident_id: int, *, actor: str) -> Incident:
    incident = _get(session, incident_id)
    incident.state = "confirmed"
    _record(session, incident, "incident_confirmed", "客服确认为同一事件", actor=actor)
    return incident


def split_case(session: Session, case_id: int, *, actor: str) -> Case:
    """Take a case out of its incident (it was a different matter after all)."""
    case = session.get(Case, case_id)
    if case is None or case.incident_id is None:
        raise ReviewError(f"案件 #{case_id} 不存在或不属于任何事件")
    incident = _get(session, case.incident_id)
    case.incident_id = None
    for request in session.scalars(
        select(DepartmentRequest).where(
            DepartmentRequest.incident_id == incident.id, DepartmentRequest.case_id == case.id
        )
    ):
        request.incident_id = None
    _record(session, incident, "case_split", "客服将案件移出此事件", case=case.id, actor=actor)
    if not members(session, incident.id):
        incident.state = "closed"
    return case


def merge(session: Session, keep_id: int, other_id: int, *, actor: str) -> Incident:
    """Fold incident ``other_id`` into ``keep_id``: its cases and open requests move over."""
    keep, other = _get(session, keep_id), _get(session, other_id)
    if keep.id == other.id:
        raise ReviewError("不能把事件合并到它自己")
    for case in members(session, other.id):
        case.incident_id = keep.id
    for request in session.scalars(
        select(DepartmentRequest).where(DepartmentRequest.incident_id == other.id)
    ):
        request.incident_id = keep.id
    other.state = "closed"
    _record(session, keep, "incident_merged", f"并入事件 #{other.id}", actor=actor, other=other.id)
    return keep


def _get(session: Session, incident_id: int) -> Incident:
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise ReviewError(f"事件 #{incident_id} 不存在")
    return incident


def sizes(session: Session, *, state: str = "open") -> list[tuple[Incident, int, datetime]]:
    """Incidents with their number of cases and the first case's opening, largest first."""
    query = (
        select(Incident, func.count(Case.id), func.min(Case.opened_at))
        .join(Case, Case.incident_id == Incident.id)
        .group_by(Incident.id)
        .order_by(func.count(Case.id).desc(), func.min(Case.opened_at))
    )
    if state == "open":
        query = query.where(Incident.state != "closed")
    return [(row[0], row[1], row[2]) for row in session.execute(query)]


def posts_of(session: Session, incident_id: int) -> int:
    return (
        session.scalar(
            select(func.count(Post.id))
            .join(Case, Post.case_id == Case.id)
            .where(Case.incident_id == incident_id)
        )
        or 0
    )


__all__ = ["confirm", "consider", "merge", "place_of", "sizes", "split_case"]
