"""The pipeline step after labelling: a draft for every labelled post, once.

Valid posts get a reply draft in the policy's style; a specialist draft waits for its
department (a request with a due date from the department's response time) and comes with a
short holding reply that can be approved at once; abuse becomes a proposal to moderators;
empty and unrelated posts get no reply, their label staying visible and correctable.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session

from forumbot.cases import drafts, forum_changes
from forumbot.cases.views import (
    addressed,
    case_view,
    open_reply,
    post_view,
    supporters_of,
    updates_view,
)
from forumbot.drafting.engine import Drafter, DraftPlan
from forumbot.drafting.resources import Department as ConfiguredDepartment
from forumbot.review.states import (
    APPROVED,
    AWAITING_SPECIALIST,
    PENDING_APPROVAL,
    PUBLISHED,
    PUBLISHING,
)
from forumbot.storage import audit
from forumbot.storage.models import (
    Case,
    Classification,
    Department,
    DepartmentRequest,
    Draft,
    Post,
    utcnow,
)
from forumbot.storage.upsert import insert_ignoring_duplicates
from forumbot.workcalendar import BEIJING, working_days_from

log = logging.getLogger(__name__)
ACTOR = "system:drafter"
LOCAL_TZ = BEIJING  # kept for callers that format local times
# Also what callers read of a case, kept importable from here.
__all__ = [
    "LOCAL_TZ",
    "addressed",
    "case_view",
    "open_reply",
    "post_view",
    "replace_drafts",
    "store_plan",
    "supporters_of",
    "sync_departments",
    "updates_view",
]


def sync_departments(
    session: Session, configured: dict[str, ConfiguredDepartment]
) -> dict[str, Department]:
    """Make the departments table match config/departments.toml (codes are stable).

    New codes are inserted with ON CONFLICT DO NOTHING: two workers starting together on a
    fresh database both insert them, and the second insert is a no-op, not an error."""
    rows = {d.code: d for d in session.scalars(select(Department))}
    missing = [
        {"code": code, "name": dept.name, "response_days": dept.response_days}
        for code, dept in configured.items()
        if code not in rows
    ]
    if missing:
        insert_ignoring_duplicates(session, Department, missing, Department.code)
        rows = {d.code: d for d in session.scalars(select(Department))}
    for code, dept in configured.items():
        row = rows[code]
        if (row.name, row.response_days) != (dept.name, dept.response_days):
            row.name, row.response_days = dept.name, dept.response_days
    session.flush()
    return rows


def plan_context(
    plan: DraftPlan, classification: Classification | None, body: str | None = None
) -> str:
    data = {
        "label": plan.label,
        "confidence": classification.confidence if classification else None,
        "needs_review": classification.needs_review if classification else False,
        "style_rule": plan.decision.rule if plan.decision else None,
        "style_reason": plan.decision.reason if plan.decision else None,
        "department": plan.department.code if plan.department else None,
        "kb_entry": plan.kb.entry.id if plan.kb else None,
        "kb_title": plan.kb.entry.title if plan.kb else None,
        "kb_score": plan.kb.score if plan.kb else None,
        "kb_matched": plan.kb_matched,
        "notes": plan.notes,
    }
    if body is not None:
        data["body"] = body  # the reply before it was addressed, to name new supporters
    return json.dumps(data, ensure_ascii=False)


def store_plan(
    session: Session,
    post: Post,
    plan: DraftPlan,
    classification: Classification | None,
    departments: dict[str, Department],
    now: datetime,
    note: str | None = None,
    *,
    drafter: Drafter | None = None,
) -> list[int]:
    """Write the plan's drafts (and department request, with the agent's ``note`` to the
    department) for ``post``; returns draft ids. Given the ``drafter``, a case whose incident
    the department has answered already gets that answer at once instead of a new request."""
    if plan.kind == "none" or plan.text is None or plan.state is None:
        return []
    case = session.get(Case, post.case_id) if post.case_id and plan.kind == "reply" else None
    context = plan_context(plan, classification, body=plan.text if case else None)
    text = addressed(session, case, post, plan.text) if case else plan.text
    draft = drafts.write_draft(
        session,
        post,
        text,
        actor=ACTOR,
        style=plan.style,
        kind=plan.kind,
        state=plan.state,
        reason=plan.decision.reason if plan.decision else None,
        label=plan.label,
        due_at=urgent_due(post, plan, now) if plan.state == PENDING_APPROVAL else None,
        case_id=case.id if case else None,
    )
    draft.context = context
    ids = [draft.id]
    dept = departments[plan.department.code] if plan.department is not None else None
    draft.department_id = dept.id if dept else None
    if case is not None and dept is not None:
        case.department_id = dept.id
    if plan.state == "awaiting_specialist" and dept is not None:
        shared = incident_request(session, case)
        answered = incident_answer(session, case) if drafter and shared is None else None
        if answered is not None and drafter is not None and case is not None:
            return _carry_answer(session, case, post, plan, draft, answered, drafter)
        if shared is not None:
            draft.department_id = shared.department_id  # one department for the incident
        else:
            session.add(
                DepartmentRequest(
                    draft_id=draft.id,
                    department_id=dept.id,
                    due_at=request_due(plan, dept, now),
                    note=note or plan.brief,
                    case_id=case.id if case else None,
                    incident_id=case.incident_id if case else None,
                )
            )
        if case is not None:
            case.state = "waiting_department"
        ids += add_holding_reply(session, post, plan, draft, ACTOR)
    return ids


def urgent_due(post: Post, plan: DraftPlan, now: datetime) -> datetime | None:
    """An urgent plan's first reply is due within hours of the owner's post (None: the
    usual first-reply target)."""
    if plan.urgent_hours is None:
        return None
    return (post.forum_created_at or now) + timedelta(hours=plan.urgent_hours)


def request_due(plan: DraftPlan, dept: Department, now: datetime) -> datetime:
    """When the department's answer is due: its working days, or hours when people are in
    danger."""
    usual = working_days_from(now, dept.response_days)
    if plan.urgent_department_hours is None:
        return usual
    return min(usual, now + timedelta(hours=plan.urgent_department_hours))


def incident_request(session: Session, case: Case | None) -> DepartmentRequest | None:
    """The open department request of the case's incident: a member case waits on it rather
    than asking the department again."""
    if case is None or case.incident_id is None:
        return None
    return session.scalar(
        select(DepartmentRequest)
        .where(
            DepartmentRequest.incident_id == case.incident_id,
            DepartmentRequest.state == "open",
        )
        .order_by(DepartmentRequest.id)
        .limit(1)
    )


def incident_answer(session: Session, case: Case | None) -> DepartmentRequest | None:
    """The department's latest answer to the case's incident: one more owner reporting the
    same matter is given it, the department is not asked again."""
    if case is None or case.incident_id is None:
        return None
    return session.scalar(
        select(DepartmentRequest)
        .where(
            DepartmentRequest.incident_id == case.incident_id,
            DepartmentRequest.state == "answered",
        )
        .order_by(DepartmentRequest.id.desc())
        .limit(1)
    )


def _carry_answer(
    session: Session,
    case: Case,
    post: Post,
    plan: DraftPlan,
    draft: Draft,
    answered: DepartmentRequest,
    drafter: Drafter,
) -> list[int]:
    """The incident's answer woven into the new member's reply, which goes to the agents."""
    department = drafter.resources.departments.get(answered.department.code)
    if department is None:  # the department left config: ask as usual
        department = plan.department
    assert department is not None
    body = drafter.with_department_answer(
        post_view(post), plan.label, answered.answer or "", department
    )
    draft.text = addressed(session, case, post, body)
    context = json.loads(draft.context or "{}")
    context["body"] = body
    draft.context = json.dumps(context, ensure_ascii=False)
    draft.department_id = answered.department_id
    audit.move(
        session,
        draft,
        PENDING_APPROVAL,
        actor=ACTOR,
        action="department_answer",
        reason=f"{department.name}已就同一事件答复，沿用其答复",
        details={"request": answered.id, "incident": answered.incident_id},
    )
    return [draft.id]


def same_work(post: Post) -> ColumnElement[bool]:
    """The drafts that answer the same matter as one for ``post``: its case's, else its own."""
    return Draft.case_id == post.case_id if post.case_id else Draft.post_id == post.id


def department_work(session: Session, post: Post, plan: DraftPlan) -> DepartmentRequest | None:
    """The department's request for ``post`` that still applies to ``plan`` (the same
    department asked again): still open, or answered but not yet published. Its answer, or
    its place in the department's list and its due date, carries over to the new draft."""
    if plan.state != AWAITING_SPECIALIST or plan.department is None:
        return None
    for request in session.scalars(
        select(DepartmentRequest)
        .join(Draft, DepartmentRequest.draft_id == Draft.id)
        .where(same_work(post), DepartmentRequest.state.in_(("open", "answered")))
        .order_by(DepartmentRequest.id.desc())
    ):
        if request.department.code != plan.department.code:
            continue
        if request.state == "answered" and request.draft.state == PUBLISHED:
            return None  # that answer reached the owner; a new matter needs a new answer
        return request
    return None


def holding_reply_given(session: Session, post: Post) -> bool:
    """Whether the owner already has (or is about to get) a holding reply for this matter."""
    return (
        session.scalar(
            select(Draft.id)
            .where(
                same_work(post),
                Draft.style == "holding",
                Draft.state.in_((APPROVED, PUBLISHING, PUBLISHED)),
            )
            .limit(1)
        )
        is not None
    )


def add_holding_reply(
    session: Session, post: Post, plan: DraftPlan, waiting: Draft, actor: str
) -> list[int]:
    """A short holding reply while the department prepares ``waiting``'s answer, unless the
    owner already has one for this post; returns its id, if written."""
    if not plan.holding or holding_reply_given(session, post):
        return []
    case = session.get(Case, waiting.case_id) if waiting.case_id else None
    holding = drafts.write_draft(
        session,
        post,
        addressed(session, case, post, plan.holding) if case else plan.holding,
        actor=actor,
        style="holding",
        reason=(
            "涉及人身安全的紧急回复，专业部门同时处理"
            if plan.urgent_hours is not None
            else "等待专业部门答复期间的告知回复"
        ),
        label=plan.label,
        due_at=urgent_due(post, plan, utcnow()),
        case_id=waiting.case_id,
    )
    context = json.loads(waiting.context or "{}")
    if case is not None:
        context["body"] = plan.holding
    holding.context = json.dumps(context, ensure_ascii=False)
    holding.department_id = waiting.department_id
    return [holding.id]


def replace_drafts(
    session: Session,
    post: Post,
    plan: DraftPlan,
    classification: Classification | None,
    departments: dict[str, Department],
    *,
    drafter: Drafter,
    reason: str,
    actor: str = ACTOR,
    now: datetime | None = None,
) -> list[int]:
    """Draft ``post`` anew under ``plan``: what was drafted before is superseded, but the
    department's work is kept where it still applies (its open request moves to the new
    draft; an answer not yet published is woven into the new text at once)."""
    now = now or utcnow()
    carried = department_work(session, post, plan)
    forum_changes.supersede_open_drafts(session, post, reason, actor=actor, keep_request=carried)
    case = session.get(Case, post.case_id) if post.case_id else None
    if case is not None:
        # The whole case is redrafted: its other replies in progress go too.
        forum_changes.supersede_case_drafts(
            session, case.id, reason, actor=actor, keep_request=carried
        )
    if carried is None:
        return store_plan(session, post, plan, classification, departments, now, drafter=drafter)
    assert plan.department is not None and plan.text is not None
    if carried.state == "answered":
        text = drafter.with_department_answer(
            post_view(post), plan.label, carried.answer or "", plan.department
        )
        body = text
        state, why = PENDING_APPROVAL, f"原帖已编辑，沿用{plan.department.name}已给出的答复"
    else:
        text, state, body = plan.text, AWAITING_SPECIALIST, plan.text
        why = f"原帖已编辑，仍等待{plan.department.name}答复（沿用原请求 #{carried.id}）"
    draft = drafts.write_draft(
        session,
        post,
        addressed(session, case, post, text) if case else text,
        actor=actor,
        style=plan.style,
        kind=plan.kind,
        state=state,
        reason=why,
        label=plan.label,
        due_at=carried.due_at if state == PENDING_APPROVAL else None,
        case_id=case.id if case else None,
    )
    draft.context = plan_context(plan, classification, body=body if case else None)
    draft.department_id = carried.department_id
    carried.draft_id = draft.id
    ids = [draft.id]
    if state == AWAITING_SPECIALIST:
        ids += add_holding_reply(session, post, plan, draft, actor)
    return ids
