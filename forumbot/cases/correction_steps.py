"""The steps every case correction is made of (``forumbot.cases.corrections`` composes them):
move one post and keep the move as training data, redo a case's reply from the case as it now
stands, carry drafts and department requests along. Nothing here is called from elsewhere."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from forumbot.cases.filing import owner_update, person_wrote_in
from forumbot.cases.roles import CHATTER, OPENER, SUPPORTER, UPDATE, VALID_LABELS
from forumbot.cases.states import CLOSED
from forumbot.cases.writing import case_view, open_reply, replace_drafts, sync_departments
from forumbot.drafting.engine import Drafter
from forumbot.labelling.labeller import latest_classification
from forumbot.review.errors import ReviewError
from forumbot.review.states import AWAITING_SPECIALIST, FAILED, PENDING_APPROVAL, UNPUBLISHED
from forumbot.storage import audit
from forumbot.storage.models import (
    Case,
    CaseCorrection,
    Classification,
    Department,
    DepartmentRequest,
    Draft,
    Post,
    utcnow,
)

# The roles a person may give a post by hand; abuse is a label, corrected by relabelling.
MOVABLE_ROLES = (OPENER, UPDATE, SUPPORTER, CHATTER)
# A reply in progress the bot may still rewrite after a correction.
REDOABLE = (PENDING_APPROVAL, AWAITING_SPECIALIST, FAILED)


@dataclass
class Work:
    """One correction: who makes it, with which drafter, at what time."""

    session: Session
    actor: str
    drafter: Drafter
    departments: dict[str, Department]
    now: datetime


def start(session: Session, actor: str, drafter: Drafter, now: datetime | None) -> Work:
    if not audit.is_person(actor):
        raise ReviewError("更正必须由具体的人来做，请写明您的姓名")
    departments = sync_departments(session, drafter.resources.departments)
    return Work(session, actor, drafter, departments, now or utcnow())


def get_case(session: Session, case_id: int) -> Case:
    case = session.get(Case, case_id)
    if case is None:
        raise ReviewError(f"案件 #{case_id} 不存在")
    return case


def dissolved(case: Case) -> bool:
    """A case closed because its posts went elsewhere (merged, or its opener moved out)."""
    return case.state == CLOSED and case.opening_post.case_id != case.id


def check_open_for_posts(case: Case) -> None:
    if dissolved(case):
        raise ReviewError(f"案件 #{case.id} 已并入其他案件或已撤销，不能再移入帖子或合并")


def posts_of(session: Session, case_id: int) -> list[Post]:
    return list(
        session.scalars(
            select(Post).where(Post.case_id == case_id).order_by(Post.topic_id, Post.post_number)
        )
    )


def label_for(session: Session, post: Post, fallback: str | None) -> tuple[str, Classification]:
    """The label a case opened by ``post`` is drafted under: the post's latest, if valid,
    else ``fallback`` (the case it came from)."""
    row = latest_classification(session, post.id)
    if row is not None and row.label in VALID_LABELS:
        return row.label, row
    if fallback in VALID_LABELS:
        assert fallback is not None
        return fallback, Classification(post_id=post.id, label=fallback, source="reviewer")
    raise ReviewError(
        f"帖子 {post.forum_post_id} 的分类不是有效诉求，不能单独立案；请先重新分类再更正"
    )


def shift(work: Work, post: Post, role: str, case: Case | None) -> CaseCorrection:
    """Move one post and keep the correction as training data."""
    row = CaseCorrection(
        post_id=post.id,
        role_before=post.case_role,
        role_after=role,
        case_before=post.case_id,
        case_after=case.id if case is not None else None,
        actor=work.actor,
    )
    work.session.add(row)
    post.case_role, post.case_id = role, case.id if case is not None else None
    return row


def note(work: Work, case: Case, action: str, reason: str, **details: object) -> None:
    audit.record(
        work.session,
        actor=work.actor,
        entity_type="case",
        entity_id=case.id,
        action=action,
        to_state=case.state,
        reason=reason,
        details=details or None,
    )


def add_note(draft: Draft, note: str) -> None:
    context = json.loads(draft.context or "{}")
    context.setdefault("notes", []).append(note)
    draft.context = json.dumps(context, ensure_ascii=False)


def redraft(
    work: Work,
    case: Case,
    reason: str,
    *,
    style: str | None = None,
    department: str | None = None,
) -> list[int]:
    """Redo the case's reply in progress from the case as it now stands. A draft a person
    wrote in keeps its text and says what changed; an approved one is left to go out."""
    draft = open_reply(work.session, case)
    if draft is None or draft.state not in REDOABLE:
        return []
    if person_wrote_in(work.session, draft):
        add_note(draft, f"{reason}，请核对草稿是否仍然合适")
        return []
    row = latest_classification(work.session, case.opening_post_id)
    label = case.label if case.label in VALID_LABELS else "service"
    plan = work.drafter.plan(
        case_view(work.session, case), label, style=style or draft.style, department=department
    )
    return replace_drafts(
        work.session,
        case.opening_post,
        plan,
        row,
        work.departments,
        drafter=work.drafter,
        reason=reason,
        now=work.now,
    )


def as_update(work: Work, case: Case, post: Post) -> list[int]:
    """The owner's post joined their case: what filing does when the owner writes again."""
    row = latest_classification(work.session, post.id)
    if row is None:
        row = Classification(post_id=post.id, label=case.label or "service", source="reviewer")
    return owner_update(work.session, case, post, row, work.drafter, work.departments, work.now)


def carry_drafts(session: Session, case: Case, new: Case, moved: set[int]) -> bool:
    """The old case's unpublished drafts written for the posts that left go with them (a
    department request they wait on too, unless it is an incident's), so the new case's
    reply carries the department's work; True if any went."""
    went = False
    for draft in session.scalars(
        select(Draft).where(
            Draft.case_id == case.id, Draft.post_id.in_(moved), Draft.state.in_(UNPUBLISHED)
        )
    ):
        requests = list(
            session.scalars(
                select(DepartmentRequest).where(
                    DepartmentRequest.draft_id == draft.id, DepartmentRequest.state == "open"
                )
            )
        )
        if any(r.incident_id is not None for r in requests):
            continue
        draft.case_id = new.id
        for request in requests:
            request.case_id = new.id
        went = True
    return went


def open_request(session: Session, case: Case) -> DepartmentRequest | None:
    return session.scalar(
        select(DepartmentRequest)
        .where(DepartmentRequest.case_id == case.id, DepartmentRequest.state == "open")
        .order_by(DepartmentRequest.id)
        .limit(1)
    )
