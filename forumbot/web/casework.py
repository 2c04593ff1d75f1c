"""The agents' queue as cases: one row per case with a reply waiting for an agent, in the
order they are worked (urgent, then repeat complaints, then the least time left).

A draft belongs to the case it was written for, or, for a reply written without one (a
follow-up to a promise, a hand-written reply), to the case of the post it answers; a draft
whose post is in no case is a row of its own. Read-only: changes go through forumbot.cases.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import Session, selectinload

from forumbot.review import claims
from forumbot.review.states import AWAITING_SPECIALIST, FAILED, PENDING_APPROVAL
from forumbot.storage.models import Case, Draft, Incident, Post

if TYPE_CHECKING:
    from forumbot.web.queue import QueueFilter

# Draft states in which a case waits for an agent, the most pressing first.
ACTIONABLE = (PENDING_APPROVAL, FAILED, AWAITING_SPECIALIST)
# The most rows the queue counts and the next/previous steps look through.
COUNT_CAP = 1000


@dataclass(frozen=True)
class RowKey:
    """A queue row: a case, or a draft that belongs to no case."""

    case_id: int | None
    draft_id: int

    @property
    def token(self) -> str:
        """How the row is named in a URL (``from=case-12``, ``from=draft-40``)."""
        return f"case-{self.case_id}" if self.case_id is not None else f"draft-{self.draft_id}"

    def same_row(self, other: RowKey) -> bool:
        if self.case_id is not None or other.case_id is not None:
            return self.case_id == other.case_id
        return self.draft_id == other.draft_id


def parse_token(token: str | None) -> tuple[str, int] | None:
    """``case-12`` or ``draft-40`` from a URL, or None for anything else."""
    kind, _sep, number = (token or "").partition("-")
    if kind in ("case", "draft") and number.isdigit() and 0 < int(number) < 2**31:
        return kind, int(number)
    return None


def case_of_draft() -> Any:
    """The case a draft belongs to, as a SQL expression over Draft: its own case, else its
    post's (read only for the few drafts written outside a case, so the queue needs no join
    with posts: joined, PostgreSQL scanned every post for each queue page)."""
    of_post = select(Post.case_id).where(Post.id == Draft.post_id).scalar_subquery()
    return func.coalesce(Draft.case_id, of_post)


def _picked(wanted: QueueFilter, now: datetime) -> Any:
    """Each row's one draft: per case, the reply an agent should act on first (waiting for
    approval before failed before waiting for a department; a holding reply after the
    case's own reply), among the drafts the filter lets through."""
    group = func.coalesce(case_of_draft(), -Draft.id)
    state_rank = case({PENDING_APPROVAL: 0, FAILED: 1}, value=Draft.state, else_=2)
    holding_last = case((Draft.style == "holding", 1), else_=0)
    rank = func.row_number().over(
        partition_by=group, order_by=(state_rank, holding_last, Draft.due_at, Draft.id)
    )
    inner = wanted.apply(
        select(
            Draft.id.label("draft_id"),
            case_of_draft().label("case_id"),
            rank.label("rank"),
        ),
        now,
    ).subquery()
    return select(inner.c.draft_id, inner.c.case_id).where(inner.c.rank == 1).subquery()


def _ordered(query: Select[Any], wanted: QueueFilter) -> Select[Any]:
    if wanted.sort == "newest":
        return query.order_by(Draft.created_at.desc(), Draft.id.desc())
    if wanted.sort == "oldest":
        return query.order_by(Draft.created_at, Draft.id)
    urgent = case((Case.urgent.is_(True), 0), else_=1)
    repeat = case((or_(Case.repeat.is_(True), Case.reopened >= 2), 0), else_=1)
    return query.order_by(urgent, repeat, Draft.due_at, Draft.id)


def count(session: Session, wanted: QueueFilter, now: datetime) -> int:
    """How many rows match, counted up to COUNT_CAP + 1 (a broad view says "more than")."""
    picked = _picked(wanted, now)
    capped = select(picked.c.draft_id).limit(COUNT_CAP + 1).subquery()
    return session.scalar(select(func.count()).select_from(capped)) or 0


@dataclass
class QueueRow:
    """One line of the queue: the case (None for a draft without one) and its waiting reply."""

    draft: Draft
    case: Case | None
    supporters: int = 0
    incident_size: int = 0
    claim: claims.Claim | None = None

    @property
    def key(self) -> RowKey:
        return RowKey(self.case.id if self.case else None, self.draft.id)

    @property
    def repeat(self) -> bool:
        return self.case is not None and is_repeat(self.case)


def is_repeat(case_row: Case) -> bool:
    """A repeat complaint: a second case on the same matter, "报修了三次", or reopened twice."""
    return bool(case_row.repeat) or (case_row.reopened or 0) >= 2


def page(
    session: Session,
    wanted: QueueFilter,
    now: datetime,
    *,
    user: str,
    claim_minutes: float,
    size: int,
) -> list[QueueRow]:
    """The rows of the page ``wanted.page`` asks for, with supporters, incident sizes and
    other agents' live claims filled in (one query each for the whole page)."""
    picked = _picked(wanted, now)
    query = (
        select(Draft, Case)
        .join(picked, picked.c.draft_id == Draft.id)
        .outerjoin(Case, Case.id == picked.c.case_id)
        .options(selectinload(Draft.post))
    )
    found = session.execute(
        _ordered(query, wanted).offset((wanted.page - 1) * size).limit(size)
    ).all()
    rows = [QueueRow(draft, case_row) for draft, case_row in found]
    case_ids = [r.case.id for r in rows if r.case is not None]
    backers = supporter_counts(session, case_ids)
    sizes = incident_sizes(session, {r.case.incident_id for r in rows if r.case})
    for row in rows:
        if row.case is not None:
            row.supporters = backers.get(row.case.id, 0)
            row.incident_size = sizes.get(row.case.incident_id or 0, 0)
        row.claim = claims.held_by_other(
            row.draft.claimed_by, row.draft.claimed_at, user, now, claim_minutes
        )
    return rows


@dataclass(frozen=True)
class Step:
    """A row in queue order, as the next/previous steps need it."""

    key: RowKey
    claimed_by: str | None
    claimed_at: datetime | None


def order(session: Session, wanted: QueueFilter, now: datetime) -> list[Step]:
    """The first COUNT_CAP rows of the queue, in the order agents work them."""
    picked = _picked(wanted, now)
    query = (
        select(Draft.id, picked.c.case_id, Draft.claimed_by, Draft.claimed_at)
        .join(picked, picked.c.draft_id == Draft.id)
        .outerjoin(Case, Case.id == picked.c.case_id)
    )
    return [
        Step(RowKey(case_id, draft_id), by, at)
        for draft_id, case_id, by, at in session.execute(_ordered(query, wanted).limit(COUNT_CAP))
    ]


def step(
    steps: list[Step],
    current: RowKey | None,
    *,
    forward: bool,
    user: str,
    now: datetime,
    claim_minutes: float,
) -> RowKey | None:
    """The row after (or before) ``current`` that nobody else is editing, going round the
    end of the list; never ``current`` itself. Without ``current`` in the list: the first
    (or last) such row."""
    free = [
        s
        for s in steps
        if claims.held_by_other(s.claimed_by, s.claimed_at, user, now, claim_minutes) is None
        or (current is not None and s.key.same_row(current))
    ]
    index = next(
        (i for i, s in enumerate(free) if current is not None and s.key.same_row(current)), None
    )
    if index is None:
        candidates = free if forward else list(reversed(free))
    elif forward:
        candidates = free[index + 1 :] + free[:index]
    else:
        candidates = list(reversed(free[:index])) + list(reversed(free[index + 1 :]))
    return candidates[0].key if candidates else None


def supporter_counts(session: Session, case_ids: Iterable[int]) -> dict[int, int]:
    """Neighbours who said "me too" in each case (deleted posts do not count)."""
    ids = list(set(case_ids))
    if not ids:
        return {}
    return dict(
        session.execute(
            select(Post.case_id, func.count(func.distinct(Post.username)))
            .where(Post.case_id.in_(ids), Post.case_role == "supporter", Post.deleted.is_(False))
            .group_by(Post.case_id)
        ).all()
    )


def incident_sizes(session: Session, incident_ids: Iterable[int | None]) -> dict[int, int]:
    """How many cases each incident holds."""
    ids = [i for i in set(incident_ids) if i]
    if not ids:
        return {}
    return dict(
        session.execute(
            select(Case.incident_id, func.count(Case.id))
            .where(Case.incident_id.in_(ids))
            .group_by(Case.incident_id)
        ).all()
    )


def incident_owners(session: Session, incident_ids: Iterable[int | None]) -> dict[int, int]:
    """How many different owners each incident covers."""
    ids = [i for i in set(incident_ids) if i]
    if not ids:
        return {}
    return dict(
        session.execute(
            select(Case.incident_id, func.count(func.distinct(Case.owner)))
            .where(Case.incident_id.in_(ids))
            .group_by(Case.incident_id)
        ).all()
    )


@dataclass(frozen=True)
class CaseSummary:
    """A case as another page mentions it: who, how many neighbours, which incident."""

    case: Case
    supporters: int
    incident: Incident | None
    incident_owners: int


def summaries(session: Session, case_ids: Iterable[int | None]) -> dict[int, CaseSummary]:
    """Each case's summary, for the department and moderation lists (a few queries in all)."""
    ids = [i for i in set(case_ids) if i]
    if not ids:
        return {}
    rows = list(session.scalars(select(Case).where(Case.id.in_(ids))))
    backers = supporter_counts(session, ids)
    incident_ids = {c.incident_id for c in rows if c.incident_id}
    incidents = {
        i.id: i for i in session.scalars(select(Incident).where(Incident.id.in_(incident_ids)))
    }
    owners = incident_owners(session, incident_ids)
    return {
        c.id: CaseSummary(
            c,
            backers.get(c.id, 0),
            incidents.get(c.incident_id or 0),
            owners.get(c.incident_id or 0, 0),
        )
        for c in rows
    }
