"""A case becomes urgent or sensitive when one of its posts is: the one place that says so.

Urgent (danger to people): the case goes to the top of every queue, its reply is due within
hours, and the alert job tells the duty manager (and security, for threats and violence).
Sensitive (large sums, media, courts, fraud, officials, collective action…): every reply of
the case needs a second approval, by a supervisor, before the publisher will post it.

Both switch on by themselves. A supervisor (or admin) may clear a false alarm from the case
page, with a reason that goes into the audit log (``clear_flag``); a later post that reports
danger or a sensitive matter sets the flag again. Clearing never recalls an alert already
sent, and a reply due time already brought forward stays where it is.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import update
from sqlalchemy.orm import Session

from forumbot.review.errors import ReviewError
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


FLAGS = ("urgent", "sensitive")
FLAG_NAMES_ZH = {"urgent": "紧急", "sensitive": "敏感"}


def clear_flag(session: Session, case: Case, flag: str, actor: str, reason: str) -> None:
    """Take a false urgent or sensitive flag off ``case``, saying why (ReviewError, in
    Chinese, when there is no such flag or no reason). Clearing "sensitive" lets the case's
    unpublished replies go out on one approval again."""
    if flag not in FLAGS:
        raise ReviewError(f"未知的标记：{flag}")
    name = FLAG_NAMES_ZH[flag]
    if not getattr(case, flag):
        raise ReviewError(f"案件 #{case.id} 没有“{name}”标记，无需解除")
    reason = " ".join((reason or "").split())
    if not reason:
        raise ReviewError(f"请写明解除“{name}”标记的理由（会记入案件记录）")
    was = case.urgent_reason if flag == "urgent" else case.sensitive_reason
    setattr(case, flag, False)
    if flag == "sensitive":
        session.execute(
            update(Draft)
            .where(Draft.case_id == case.id, Draft.kind == "reply", Draft.state.in_(UNPUBLISHED))
            .values(needs_second_approval=False)
            .execution_options(synchronize_session="fetch")
        )
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity_type="case",
        entity_id=case.id,
        action=f"case_{flag}_cleared",
        to_state=case.state,
        reason=reason,
        details={"was": was},
    )
