"""What people do to drafts: write, edit, approve, reject; and what a forum edit undoes.

Each function takes a session, changes drafts through ``audit.move`` and leaves committing
to the caller, so the CLI, the console and the tests share one set of rules.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from forumbot.review import limits
from forumbot.review.errors import ReviewError
from forumbot.review.states import (
    APPROVED,
    AWAITING_SPECIALIST,
    FAILED,
    PENDING_APPROVAL,
    PUBLISHING,
    STATE_NAMES_ZH,
)
from forumbot.review.two_person import check_second_approver
from forumbot.storage import audit
from forumbot.storage.models import Case, Draft, Post, User, utcnow
from forumbot.textsafety import neutralise

# The states in which a person may still decide about a draft (reject it, redo it).
OPEN_FOR_REVIEW = (PENDING_APPROVAL, AWAITING_SPECIALIST, APPROVED, FAILED)

# The service level for the first public reply to a post (the queue's "time left").
FIRST_REPLY = timedelta(hours=24)


@dataclass(frozen=True)
class DraftRef:
    """The draft a reviewer looked at: its id and the revision they saw."""

    id: int
    revision: int | None = None


def get_draft(session: Session, draft_id: int) -> Draft:
    draft = session.get(Draft, draft_id)
    if draft is None:
        raise ReviewError(f"草稿 #{draft_id} 不存在 (draft {draft_id} not found)")
    return draft


def _check_person(actor: str) -> None:
    if not audit.is_person(actor):
        raise ReviewError("审批人必须是具体的人 (an approver must be a named person)")


def check_revision(draft: Draft, revision: int | None) -> None:
    """Refuse to act on a draft that changed after the reviewer opened it."""
    if revision is not None and draft.revision != revision:
        raise ReviewError(
            f"草稿 #{draft.id} 已被他人修改（版本 {revision} → {draft.revision}，"
            f"当前状态：{STATE_NAMES_ZH.get(draft.state, draft.state)}），请刷新后重新审阅"
        )


def first_reply_due(post: Post) -> datetime:
    """When the first public reply to ``post`` is due: be prompt, the seeds say; a day at most."""
    return (post.forum_created_at or post.received_at or utcnow()) + FIRST_REPLY


def write_draft(
    session: Session,
    post: Post,
    text: str,
    *,
    actor: str,
    style: str | None = None,
    kind: str = "reply",
    state: str = PENDING_APPROVAL,
    reason: str | None = None,
    due_at: datetime | None = None,
    label: str | None = None,
    case_id: int | None = None,
) -> Draft:
    """Put a new draft for ``post`` in the queue, due by ``due_at`` (default: the first-reply
    target counted from when the owner posted)."""
    text = neutralise(text)  # what people write is published: no bidi controls
    if not text.strip():
        raise ReviewError("回复内容为空 (the reply text is empty)")
    if audit.is_person(actor):
        limits.check("reply_text", text)
    case = session.get(Case, case_id) if case_id is not None and kind == "reply" else None
    sensitive = bool(case is not None and case.sensitive)  # the two-person rule applies
    draft = Draft(
        due_at=due_at or first_reply_due(post),
        label=label,
        post=post,
        text=text,
        style=style,
        kind=kind,
        state=state,
        post_version=post.version,
        created_by=actor,
        case_id=case_id,
    )
    draft.needs_second_approval = sensitive
    session.add(draft)
    session.flush()
    audit.record(
        session,
        actor=actor,
        entity_type="draft",
        entity_id=draft.id,
        action="create",
        to_state=state,
        reason=reason,
        details={
            "post": post.forum_post_id,
            "post_version": post.version,
            "style": style,
            "case": case_id,
        },
    )
    return draft


def edit(session: Session, ref: DraftRef, text: str, *, actor: str) -> Draft:
    """Change a draft's text; an approved draft goes back to waiting for approval."""
    draft = get_draft(session, ref.id)
    check_revision(draft, ref.revision)
    if draft.state not in (PENDING_APPROVAL, APPROVED, FAILED):
        raise ReviewError(f"草稿 #{draft.id} 当前状态为 {draft.state}，不能修改")
    text = neutralise(text)
    if not text.strip():
        raise ReviewError("回复内容为空 (the reply text is empty)")
    limits.check("reply_text", text)
    old = draft.text
    draft.text = text
    # A new text needs its approvals again, the first of a sensitive reply's two too.
    draft.first_approved_by, draft.first_approved_at = None, None
    audit.move(
        session,
        draft,
        PENDING_APPROVAL,
        actor=actor,
        action="edit",
        details={"old_sha256": audit.text_sha256(old), "new_sha256": audit.text_sha256(text)},
    )
    return draft


def reply_findings(draft: Draft, text: str | None = None) -> list[Any]:
    """The reply checker's findings for a public reply, as drafted or as a reviewer edited it
    (``text``); none for moderator proposals."""
    if draft.kind != "reply":
        return []
    from forumbot.drafting.checker import check_reply

    return check_reply(draft.text if text is None else text, post_raw=draft.post.raw)


def _role(session: Session, actor: str) -> str | None:
    return session.scalar(select(User.role).where(User.username == actor))


def _first_approval(
    session: Session, draft: Draft, actor: str, reason: str | None, details: dict[str, Any]
) -> Draft:
    """A sensitive reply's first approval: recorded, and the draft waits for a supervisor."""
    draft.first_approved_by, draft.first_approved_at = actor, utcnow()
    audit.move(
        session,
        draft,
        PENDING_APPROVAL,
        actor=actor,
        action="approve_first",
        reason=reason or "敏感事项初审通过，等待主管复核",
        details=details,
    )
    return draft


def approve(
    session: Session,
    ref: DraftRef,
    *,
    actor: str,
    text: str | None = None,
    reason: str | None = None,
    override: str | None = None,
) -> Draft:
    """Approve a draft (optionally with edited text) for publishing.

    Refused when someone changed the draft since ``ref.revision``, when the forum post was
    edited after the draft was written, or when the reply checker blocks the text and the
    approver gave no ``override`` reason (which then goes into the audit log).
    """
    _check_person(actor)
    limits.check("override_reason", override)
    limits.check("approve_reason", reason)
    draft = get_draft(session, ref.id)
    check_revision(draft, ref.revision)
    if draft.state != PENDING_APPROVAL:
        raise ReviewError(f"草稿 #{draft.id} 当前状态为 {draft.state}，只有待审批的草稿可以批准")
    if draft.post.version > draft.post_version:
        raise ReviewError(
            f"原帖在草稿写成后被编辑过（第 {draft.post.version} 版），"
            "系统正在按新内容重新起草，请审阅新草稿"
        )
    text = neutralise(text) if text is not None else None
    if text is not None and text != draft.text:
        if not text.strip():
            raise ReviewError("回复内容为空 (the reply text is empty)")
        edit(session, DraftRef(draft.id), text, actor=actor)
    from forumbot.drafting.checker import blocking, finding_json

    findings = reply_findings(draft)
    if blocking(findings) and not (override and override.strip()):
        problems = "；".join(
            f"{f.message}（“{f.excerpt}”）" for f in findings if f.severity == "block"
        )
        raise ReviewError(f"回复检查未通过：{problems}。请修改后再批准，或填写放行理由")
    details: dict[str, Any] = {"text_sha256": audit.text_sha256(draft.text)}
    if findings:
        details["findings"] = [finding_json(f) for f in findings]
    if blocking(findings):
        details["override"] = override
    if draft.needs_second_approval:
        if draft.first_approved_by is None:
            return _first_approval(session, draft, actor, reason, details)
        check_second_approver(draft.first_approved_by, actor, _role(session, actor))
        details["first_approved_by"] = draft.first_approved_by
    draft.approved_by = actor
    draft.approved_at = utcnow()
    draft.approved_text_sha256 = details["text_sha256"]
    draft.publish_attempts = 0
    audit.move(
        session,
        draft,
        APPROVED,
        actor=actor,
        action="approve_override" if blocking(findings) else "approve",
        reason=override if blocking(findings) else reason,
        details=details,
    )
    return draft


def reject(session: Session, ref: DraftRef, *, actor: str, reason: str) -> Draft:
    """Reject a draft; a reason is required so the next reviewer and the trainer learn why."""
    _check_person(actor)
    if not reason.strip():
        raise ReviewError("驳回必须填写原因 (a rejection needs a reason)")
    limits.check("reject_reason", reason)
    draft = get_draft(session, ref.id)
    check_revision(draft, ref.revision)
    if draft.state == PUBLISHING:
        raise ReviewError(f"草稿 #{draft.id} 正在发布，不能驳回")
    if draft.state not in OPEN_FOR_REVIEW:
        raise ReviewError(
            f"草稿 #{draft.id} 当前状态为{STATE_NAMES_ZH.get(draft.state, draft.state)}，"
            "已经处理完毕，不能再驳回；请刷新页面查看最新情况"
        )
    audit.move(session, draft, "rejected", actor=actor, action="reject", reason=reason)
    return draft


def reopen(session: Session, ref: DraftRef, *, actor: str, reason: str) -> Draft:
    """Send a failed draft back to the queue, e.g. after the forum's problem was fixed."""
    _check_person(actor)
    limits.check("reopen_reason", reason)
    draft = get_draft(session, ref.id)
    check_revision(draft, ref.revision)
    if draft.state != FAILED:
        raise ReviewError(
            f"草稿 #{draft.id} 当前状态为 {draft.state}，只有发布失败的草稿可以重新打开"
        )
    audit.move(session, draft, PENDING_APPROVAL, actor=actor, action="reopen", reason=reason)
    return draft
