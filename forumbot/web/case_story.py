"""What a case page shows besides the draft: the topic's thread with our published replies
where they were published, the case's drafts, its history, its supporters, its incident and
the owner's other cases. Read-only queries over what forumbot.cases wrote."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session, selectinload

from forumbot.review.states import (
    APPROVED,
    AWAITING_SPECIALIST,
    FAILED,
    PENDING_APPROVAL,
    PUBLISHED,
    PUBLISHING,
)
from forumbot.storage.models import AuditEntry, Case, Draft, Incident, Post

HISTORY_ROWS = 300
OTHER_CASES = 20
# Which of a case's drafts the page puts in front of the agent: the first state listed.
WORK_ORDER = (PENDING_APPROVAL, FAILED, AWAITING_SPECIALIST, APPROVED, PUBLISHING)


@dataclass(frozen=True)
class ThreadItem:
    """A forum post of the topic, or one of our replies published into it."""

    post: Post | None = None
    reply: Draft | None = None


def _post_time(post: Post) -> datetime:
    return post.forum_created_at or post.received_at


def thread(session: Session, topic_id: int) -> list[ThreadItem]:
    """The topic's posts in forum order, with each reply we published placed before the
    first post written after it."""
    posts = list(
        session.scalars(select(Post).where(Post.topic_id == topic_id).order_by(Post.post_number))
    )
    # By the topic's posts only: a condition on the state let SQLite (with no planner
    # statistics) walk every published draft of the forum through the state index.
    drafts = session.scalars(select(Draft).where(Draft.post_id.in_([p.id for p in posts])))
    replies = sorted(
        (
            d
            for d in drafts
            if d.kind == "reply" and d.state == PUBLISHED and d.published_at is not None
        ),
        key=lambda d: (d.published_at, d.id),
    )
    items: list[ThreadItem] = []
    for post in posts:
        while replies and replies[0].published_at < _post_time(post):  # type: ignore[operator]
            items.append(ThreadItem(reply=replies.pop(0)))
        items.append(ThreadItem(post=post))
    items.extend(ThreadItem(reply=r) for r in replies)
    return items


def _belongs(case: Case):  # type: ignore[no-untyped-def]
    """Drafts of the case: written for it, or written without a case for one of its posts
    (a follow-up to a promise)."""
    return or_(
        Draft.case_id == case.id,
        and_(
            Draft.case_id.is_(None),
            Draft.post_id.in_(select(Post.id).where(Post.case_id == case.id)),
        ),
    )


def case_drafts(session: Session, case: Case) -> list[Draft]:
    return list(
        session.scalars(
            select(Draft).where(_belongs(case)).options(selectinload(Draft.post)).order_by(Draft.id)
        )
    )


def current_draft(drafts: list[Draft]) -> Draft | None:
    """The reply the agent works on now: waiting for approval first (the case's own reply
    before a holding reply), then failed, waiting for a department, on its way out."""
    replies = [d for d in drafts if d.kind == "reply" and d.state in WORK_ORDER]
    if not replies:
        return None
    return min(
        replies,
        key=lambda d: (WORK_ORDER.index(d.state), d.style == "holding", d.due_at, d.id),
    )


def history(session: Session, case: Case | None, draft_ids: list[int]) -> list[AuditEntry]:
    """The case's own audit rows and those of its drafts, oldest first."""
    conditions = [and_(AuditEntry.entity_type == "draft", AuditEntry.entity_id.in_(draft_ids))]
    if case is not None:
        conditions.append(and_(AuditEntry.entity_type == "case", AuditEntry.entity_id == case.id))
    newest = list(
        session.scalars(
            select(AuditEntry)
            .where(or_(*conditions))
            .order_by(AuditEntry.id.desc())
            .limit(HISTORY_ROWS)
        )
    )
    return list(reversed(newest))


def supporters(session: Session, case: Case) -> list[Post]:
    """One entry per neighbour: their first "me too" still on the forum (else their first)."""
    first: dict[str, Post] = {}
    for post in session.scalars(
        select(Post)
        .where(Post.case_id == case.id, Post.case_role == "supporter")
        .order_by(Post.post_number)
    ):
        kept = first.get(post.username)
        if kept is None or (kept.deleted and not post.deleted):
            first[post.username] = post
    return sorted(first.values(), key=lambda p: p.post_number)


def incident_members(session: Session, incident: Incident | None) -> list[Case]:
    if incident is None:
        return []
    return list(
        session.scalars(select(Case).where(Case.incident_id == incident.id).order_by(Case.id))
    )


def owners_cases(session: Session, case: Case) -> list[Case]:
    """The owner's other cases (same forum name), newest first."""
    return list(
        session.scalars(
            select(Case)
            .where(Case.owner == case.owner, Case.id != case.id)
            .order_by(Case.opened_at.desc(), Case.id.desc())
            .limit(OTHER_CASES)
        )
    )


def topic_cases(session: Session, topic_id: int) -> dict[int, Case]:
    """The cases of a topic by id, to name the case each post of the thread is in."""
    return {c.id: c for c in session.scalars(select(Case).where(Case.topic_id == topic_id))}
