"""A case becomes urgent or sensitive when one of its posts is: the one place that says so.

Urgent (danger to people): the case goes to the top of every queue, its reply is due within
hours, and the alert job tells the duty manager (and security, for threats and violence).
Sensitive (large sums, media, courts, fraud, officials, collective action…): every reply of
the case needs a second approval, by a supervisor, before the publisher will post it.

Both switch on by themselves. A supervisor (or admin) may clear a false alarm from the case
page, with a reason that goes into the audit log (``clear_flag``); a later post that reports
danger or a sensitive matter sets the flag again. Clearing never recalls an alert already
sent. Clearing "urgent" gives the case back the reply due time it had before the alarm (kept
in the alarm's audit entry), unless someone has set another one since.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from forumbot.review.errors import ReviewError
from forumbot.review.states import UNPUBLISHED
from forumbot.storage import audit
from forumbot.storage.models import AuditEntry, Case, Draft, Post

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
    before = case.due_at
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
        details={
            "post": post.forum_post_id,
            "kind": post.urgent_kind,
            # what clearing a false alarm gives back
            "due_before": _iso(before),
            "due": _iso(case.due_at),
        },
    )


def mark_sensitive(session: Session, case: Case, reason: str, post: Post | None) -> None:
    case.sensitive = True
    case.sensitive_reason = reason
    session.flush()
    # Replies already drafted (or approved once) now need the second approval too.
    _second_approval(session, case, True)
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
    details: dict[str, object] = {"was": was}
    if flag == "sensitive":
        _second_approval(session, case, False)
    else:
        restored = _due_before_alarm(session, case)
        if restored is not None:
            details["due_restored"] = {
                "from": _iso(case.due_at),
                "to": restored.isoformat(),
            }
            case.due_at = restored
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity_type="case",
        entity_id=case.id,
        action=f"case_{flag}_cleared",
        to_state=case.state,
        reason=reason,
        details=details,
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat() if moment is not None else None


def _second_approval(session: Session, case: Case, needed: bool) -> None:
    """Whether the case's unpublished replies need a supervisor's second approval."""
    session.execute(
        update(Draft)
        .where(Draft.case_id == case.id, Draft.kind == "reply", Draft.state.in_(UNPUBLISHED))
        .values(needs_second_approval=needed)
        .execution_options(synchronize_session="fetch")
    )


def _due_before_alarm(session: Session, case: Case) -> datetime | None:
    """The due time the case had before its latest urgent alarm brought it forward, if the
    alarm's due time still stands (None otherwise: nothing to give back)."""
    entry = session.scalars(
        select(AuditEntry)
        .where(
            AuditEntry.entity_type == "case",
            AuditEntry.entity_id == case.id,
            AuditEntry.action == "case_urgent",
        )
        .order_by(AuditEntry.id.desc())
        .limit(1)
    ).first()
    if entry is None or not entry.details:
        return None
    found = json.loads(entry.details)
    before, due = found.get("due_before"), found.get("due")
    if not before or not due or case.due_at is None:
        return None
    if _iso(case.due_at) != due:
        return None  # someone or something set another due time since
    return datetime.fromisoformat(before)
