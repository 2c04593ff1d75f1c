"""A case becomes urgent or sensitive when one of its posts is: the one place that says so.

Urgent (danger to people): the case goes to the top of every queue, its reply is due within
hours, and the alert job tells the duty manager (and security, for threats and violence).
Sensitive (large sums, media, courts, fraud, officials, collective action…): every reply of
the case needs a second approval, by a supervisor, before the publisher will post it.

Both only ever switch on by themselves, and stay on: there is no console action yet to clear
a false alarm (an agent can still edit or reject the reply).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from forumbot.review.states import UNPUBLISHED
from forumbot.storage import audit
from forumbot.storage.models import Case, Draft, Post

ACTOR = "system:cases"
# Kinds of danger that security must hear about too, not only the duty manager.
SECURITY_KINDS = frozenset({"threat", "violence", "self_harm"})
URGENT_HOURS_DEFAULT = 2.0


def apply(
    session: Session,
    case: Case | None,
    post: Post,
    now: datetime,
    urgent_hours: float = URGENT_HOURS_DEFAULT,
) -> None:
    """Carry ``post``'s urgency and sensitivity to its ``case``."""
    if case is None:
        return
    if post.urgent and not case.urgent:
        mark_urgent(session, case, post, now, urgent_hours)
    if post.sensitive and not case.sensitive:
        mark_sensitive(session, case, post.sensitive_reason or "", post)


def mark_urgent(
    session: Session, case: Case, post: Post, now: datetime, urgent_hours: float
) -> None:
    case.urgent = True
    case.urgent_reason = post.urgent_reason
    case.urgent_kind = post.urgent_kind
    due = (post.forum_created_at or now) + timedelta(hours=urgent_hours)
    if case.due_at is None or due < case.due_at:
        case.due_at = due
    session.flush()
    audit.record(
        session,
        actor=ACTOR,
        entity_type="case",
        entity_id=case.id,
        action="case_urgent",
        to_state=case.state,
        reason=post.urgent_reason,
        details={"post": post.forum_post_id, "kind": post.urgent_kind},
    )


def mark_sensitive(session: Session, case: Case, reason: str, post: Post | None) -> None:
    case.sensitive = True
    case.sensitive_reason = reason
    session.flush()
    # Replies already drafted (or approved once) now need the second approval too.
    session.execute(
        update(Draft)
        .where(Draft.case_id == case.id, Draft.kind == "reply", Draft.state.in_(UNPUBLISHED))
        .values(needs_second_approval=True)
        .execution_options(synchronize_session="fetch")
    )
    audit.record(
        session,
        actor=ACTOR,
        entity_type="case",
        entity_id=case.id,
        action="case_sensitive",
        to_state=case.state,
        reason=reason,
        details={"post": post.forum_post_id} if post is not None else None,
    )


def needs_security(urgent_kind: str | None) -> bool:
    """Whether security must hear of this kind of danger, not only the duty manager."""
    return urgent_kind in SECURITY_KINDS
