"""A case's life after our reply: answered when the substance reached the owner; resolved or
unresolved by the owner's answer to the satisfaction follow-up, or by silence; closed."""

from __future__ import annotations

from datetime import datetime

from forumbot.cases.states import ANSWERED, CLOSED, OPEN, WAITING_DEPARTMENT
from forumbot.storage import audit
from forumbot.storage.models import Case, Draft, utcnow

ACTOR = "system:cases"


def reply_published(session, draft: Draft, now: datetime | None = None) -> Case | None:  # type: ignore[no-untyped-def]
    """Our reply for a case reached the forum: a holding reply keeps it waiting for the
    department; any other reply answers it."""
    if draft.case_id is None or draft.kind != "reply":
        return None
    case = session.get(Case, draft.case_id)
    if case is None or draft.style == "holding" or case.state not in (OPEN, WAITING_DEPARTMENT):
        return case
    before = case.state
    case.state, case.answered_at = ANSWERED, now or utcnow()
    audit.record(
        session,
        actor=ACTOR,
        entity_type="case",
        entity_id=case.id,
        action="case_answered",
        from_state=before,
        to_state=ANSWERED,
        reason="答复已发布",
        details={"draft": draft.id},
    )
    return case


__all__ = ["CLOSED", "reply_published"]
