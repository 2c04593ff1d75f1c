"""What a change on the forum does to our work, in one place, whoever notices it: the poller,
the webhook, or the publisher's re-read just before posting.

- An edited post is labelled and drafted again (its stage goes back to ``received``); the
  replies written for the old text are superseded at once, so nobody approves a reply to
  words the owner has taken back. A department's request stays open until the redraft
  decides whether it still applies (``forumbot.cases.writing.replace_drafts``).
- A deleted post gets no reply: every unpublished draft is superseded, its department
  requests are closed with the reason, and its open promises are closed.
- Superseding a draft always closes the department request that waited on it, so a
  department never answers for a draft nobody will publish.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from sqlalchemy import select
from sqlalchemy.orm import Session

from forumbot.review.states import (
    AWAITING_SPECIALIST,
    FAILED,
    PENDING_APPROVAL,
    PUBLISHING,
    SUPERSEDED,
    UNPUBLISHED,
)
from forumbot.storage import audit
from forumbot.storage.models import Case, DepartmentRequest, Draft, FollowUp, Post, utcnow
from forumbot.storage.stages import RECEIVED


class ForumPost(Protocol):
    """What the forum says a post is now (``forumbot.intake.parse.IncomingPost`` is one)."""

    raw: str
    version: int
    deleted: bool
    hidden: bool
    topic_title: str | None
    updated_at: datetime | None
    note: str | None


def close_requests(session: Session, draft: Draft, reason: str) -> int:
    """Close the open department requests that wait on ``draft``; returns how many. An
    incident's request stays open while another member case still waits on it."""
    closed = 0
    for request in session.scalars(
        select(DepartmentRequest).where(
            DepartmentRequest.draft_id == draft.id, DepartmentRequest.state == "open"
        )
    ):
        heir = _other_member_waiting(session, request, draft) if request.incident_id else None
        if heir is not None:
            request.draft_id, request.case_id = heir.id, heir.case_id
            continue
        request.state, request.closed_reason = "closed", reason[:1000]
        closed += 1
    return closed


def _other_member_waiting(
    session: Session, request: DepartmentRequest, draft: Draft
) -> Draft | None:
    return session.scalar(
        select(Draft)
        .join(Case, Draft.case_id == Case.id)
        .where(
            Case.incident_id == request.incident_id,
            Draft.state == AWAITING_SPECIALIST,
            Draft.id != draft.id,
        )
        .order_by(Draft.id)
        .limit(1)
    )


def supersede(
    session: Session,
    draft: Draft,
    reason: str,
    *,
    actor: str,
    action: str,
    keep_request: DepartmentRequest | None = None,
) -> None:
    """Retire a draft nobody will publish, and the department request waiting on it (unless
    it is ``keep_request``, carried over to the draft that replaces this one)."""
    audit.move(session, draft, SUPERSEDED, actor=actor, action=action, reason=reason)
    if keep_request is None or keep_request.draft_id != draft.id:
        close_requests(session, draft, reason)


def supersede_open_drafts(
    session: Session,
    post: Post,
    reason: str,
    *,
    actor: str,
    action: str = "redraft",
    spare: frozenset[str] = frozenset(),
    keep_request: DepartmentRequest | None = None,
) -> int:
    """Supersede the post's unpublished drafts, except those in a ``spare`` state; a draft
    being published is left to the publisher, which re-reads the post first."""
    moved = 0
    for draft in session.scalars(
        select(Draft)
        .where(Draft.post_id == post.id, Draft.state.in_(UNPUBLISHED))
        .order_by(Draft.id)
    ):
        if draft.state == PUBLISHING or draft.state in spare:
            continue
        supersede(session, draft, reason, actor=actor, action=action, keep_request=keep_request)
        moved += 1
    return moved


def supersede_case_drafts(
    session: Session,
    case_id: int,
    reason: str,
    *,
    actor: str,
    action: str = "redraft",
    keep_request: DepartmentRequest | None = None,
) -> int:
    """Supersede every unpublished draft of a case (a draft being published is left to the
    publisher); used when the case is redrafted as a whole or closed."""
    moved = 0
    for draft in session.scalars(
        select(Draft)
        .where(Draft.case_id == case_id, Draft.state.in_(UNPUBLISHED))
        .order_by(Draft.id)
    ):
        if draft.state == PUBLISHING:
            continue
        supersede(session, draft, reason, actor=actor, action=action, keep_request=keep_request)
        moved += 1
    return moved


def retire_unapproved(session: Session, case_id: int, reason: str, *, actor: str) -> int:
    """The owner says the matter is settled: every reply of the case no person approved yet
    (the holding reply too) is retired and its department request closed."""
    retired = 0
    for draft in session.scalars(
        select(Draft)
        .where(
            Draft.case_id == case_id,
            Draft.state.in_((PENDING_APPROVAL, AWAITING_SPECIALIST, FAILED)),
        )
        .order_by(Draft.id)
    ):
        supersede(session, draft, reason, actor=actor, action="case_resolved")
        retired += 1
    return retired


def post_edited(session: Session, post: Post, seen: ForumPost, *, actor: str) -> bool:
    """Take a newer version of the post: label and draft it again. False if not newer."""
    if seen.version <= post.version:
        return False
    post.raw = seen.raw
    post.version = seen.version
    post.forum_updated_at = seen.updated_at or post.forum_updated_at
    post.intake_note = seen.note
    if seen.topic_title:
        post.topic_title = seen.topic_title
    post.stage = RECEIVED
    # A department's open request is kept until the redraft knows whether it still applies.
    supersede_open_drafts(
        session,
        post,
        f"原帖已被编辑（第 {post.version} 版），将按新内容重新分类并起草",
        actor=actor,
        action="post_edited",
        spare=frozenset({AWAITING_SPECIALIST}),
    )
    return True


def post_deleted(session: Session, post: Post, *, actor: str) -> bool:
    """The post is gone from the forum: nothing more is said to it. False if known already."""
    if post.deleted:
        return False
    post.deleted = True
    supersede_open_drafts(session, post, "原帖已被删除", actor=actor, action="post_deleted")
    if post.case_role == "opener" and post.case_id is not None:
        case = session.get(Case, post.case_id)
        supersede_case_drafts(
            session, post.case_id, "楼主删除了开帖内容", actor=actor, action="post_deleted"
        )
        if case is not None and case.state not in ("resolved", "unresolved", "closed"):
            case.state, case.closed_at = "closed", utcnow()
            audit.record(
                session,
                actor=actor,
                entity_type="case",
                entity_id=case.id,
                action="case_closed",
                to_state="closed",
                reason="楼主删除了开帖内容",
            )
    for followup in session.scalars(
        select(FollowUp).where(FollowUp.post_id == post.id, FollowUp.state == "open")
    ):
        followup.state = "closed"
    return True


def apply(session: Session, post: Post, seen: ForumPost, *, actor: str) -> bool:
    """Bring our copy of ``post`` and the work on it in line with the forum; True if changed."""
    changed = post_edited(session, post, seen, actor=actor)
    if seen.deleted:
        changed = post_deleted(session, post, actor=actor) or changed
    if seen.hidden != post.hidden:
        post.hidden = seen.hidden
        changed = True
    return changed
