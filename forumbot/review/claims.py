"""Who has a draft open: a second agent sees that the first is on it.

A claim is advisory (the revision check is what refuses a stale approval); it lapses after
``console.claim_minutes``. It is written with a plain UPDATE, so opening a draft never bumps
its revision and never invalidates another agent's form.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from forumbot.storage.models import Draft


@dataclass(frozen=True)
class Claim:
    holder: str
    since: datetime


def held_by_other(
    claimed_by: str | None, claimed_at: datetime | None, user: str, now: datetime, minutes: float
) -> Claim | None:
    """The live claim of someone other than ``user``, if any."""
    if claimed_by is None or claimed_at is None or claimed_by == user:
        return None
    if claimed_at <= now - timedelta(minutes=minutes):
        return None
    return Claim(claimed_by, claimed_at)


def claim(
    session: Session, draft_id: int, user: str, now: datetime, minutes: float
) -> Claim | None:
    """Take the draft for ``user`` unless someone else holds it; returns that someone."""
    lapsed = now - timedelta(minutes=minutes)
    taken = session.execute(
        update(Draft)
        .where(
            Draft.id == draft_id,
            or_(Draft.claimed_by.is_(None), Draft.claimed_by == user, Draft.claimed_at <= lapsed),
        )
        .values(claimed_by=user, claimed_at=now)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount:
        return None
    row = session.execute(
        select(Draft.claimed_by, Draft.claimed_at).where(Draft.id == draft_id)
    ).one_or_none()
    return held_by_other(row[0], row[1], user, now, minutes) if row else None


def release(session: Session, draft_id: int, user: str) -> None:
    """Let go of a draft this user holds (after approving, rejecting or leaving it)."""
    session.execute(
        update(Draft)
        .where(Draft.id == draft_id, Draft.claimed_by == user)
        .values(claimed_by=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    )
