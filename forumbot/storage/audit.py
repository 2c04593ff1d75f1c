"""The append-only audit log: every change of a draft's state is one row."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forumbot.review.states import APPROVED, check_move
from forumbot.storage.models import AuditEntry, Draft
from forumbot.texthash import text_sha256

SYSTEM_PREFIX = "system:"


def is_person(actor: str) -> bool:
    """System actors (intake, publisher) are named ``system:…``; everyone else is a person."""
    return bool(actor.strip()) and not actor.startswith(SYSTEM_PREFIX)


def details_json(details: dict[str, Any]) -> str:
    """How details are stored: stable key order, so equal details compare equal in SQL."""
    return json.dumps(details, ensure_ascii=False, sort_keys=True)


def record(
    session: Session,
    *,
    actor: str,
    entity_type: str,
    entity_id: int,
    action: str,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    entry = AuditEntry(
        actor=actor,
        entity_type=entity_type,
        entity_id=entity_id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        details=details_json(details) if details else None,
    )
    session.add(entry)
    return entry


def move(
    session: Session,
    draft: Draft,
    to_state: str,
    *,
    actor: str,
    action: str,
    reason: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Change a draft's state after checking the move is allowed, and log it."""
    check_move(draft.state, to_state)
    from_state = draft.state
    draft.state = to_state
    session.flush()  # a draft needs its id before its first audit row
    record(
        session,
        actor=actor,
        entity_type="draft",
        entity_id=draft.id,
        action=action,
        from_state=from_state,
        to_state=to_state,
        reason=reason,
        details=details,
    )


def history(session: Session, draft_id: int) -> list[AuditEntry]:
    return list(
        session.scalars(
            select(AuditEntry)
            .where(AuditEntry.entity_type == "draft", AuditEntry.entity_id == draft_id)
            .order_by(AuditEntry.id)
        )
    )


def approval_covers(session: Session, draft: Draft) -> AuditEntry | None:
    """The latest approval in the audit log if it was given by a person for exactly this text."""
    for entry in reversed(history(session, draft.id)):
        if entry.to_state == APPROVED:
            sha = json.loads(entry.details or "{}").get("text_sha256")
            if not is_person(entry.actor) or sha != text_sha256(draft.text):
                return None
            return entry
    return None


def second_approval(session: Session, draft: Draft) -> AuditEntry | None:
    """For a reply that needs two people: the latest approval, if a different person gave a
    first approval of exactly this text before it, with no edit in between."""
    entries = history(session, draft.id)
    sha = text_sha256(draft.text)
    final = approval_covers(session, draft)
    if final is None:
        return None
    for entry in reversed([e for e in entries if e.id < final.id]):
        if entry.action == "edit":
            return None
        if entry.action == "approve_first":
            first_sha = json.loads(entry.details or "{}").get("text_sha256")
            same_text = first_sha == sha
            other_person = is_person(entry.actor) and entry.actor.lower() != final.actor.lower()
            return final if same_text and other_person else None
    return None
