"""Reviewer actions that redo a draft: relabel (a correction that feeds training), restyle,
and a department's answer woven into the unified specialist reply."""

from __future__ import annotations

import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from forumbot.cases import forum_changes
from forumbot.cases.drafts import DraftRef, _check_person, check_revision, get_draft
from forumbot.cases.writing import (
    addressed,
    post_view,
    replace_drafts,
    store_plan,
    sync_departments,
)
from forumbot.classify.labels import LABEL_NAMES_ZH, LABELS, STYLES
from forumbot.drafting.engine import Drafter
from forumbot.drafting.resources import Department as ConfiguredDepartment
from forumbot.labelling.labeller import latest_classification
from forumbot.review import limits
from forumbot.review.errors import ReviewError
from forumbot.review.states import (
    APPROVED,
    AWAITING_SPECIALIST,
    FAILED,
    PENDING_APPROVAL,
    PUBLISHED,
    PUBLISHING,
    STATE_NAMES_ZH,
)
from forumbot.storage import audit
from forumbot.storage.models import Case, Classification, DepartmentRequest, Draft, Post, utcnow
from forumbot.textsafety import neutralise


def latest_label(session: Session, post: Post) -> str | None:
    row = latest_classification(session, post.id)
    return row.label if row else None


# The states of a draft a person may still redo (relabel, restyle): not yet approved.
REDOABLE = (PENDING_APPROVAL, AWAITING_SPECIALIST, FAILED)


def _state_name(draft: Draft) -> str:
    return STATE_NAMES_ZH.get(draft.state, draft.state)


def check_redoable(draft: Draft, ref: DraftRef, doing: str) -> None:
    """Refuse to redo a draft someone changed since ``ref`` or that is past review (approved,
    published, superseded by another tab): the refusal says what to do, nothing changes."""
    check_revision(draft, ref.revision)
    if draft.state not in REDOABLE:
        raise ReviewError(
            f"草稿 #{draft.id} 当前状态为{_state_name(draft)}，不能再{doing}；"
            "请刷新页面查看最新情况"
        )


def _check_post_not_answered(session: Session, post: Post) -> None:
    """Relabelling by post (no draft named): refused once the post was answered or is being
    answered and nothing about it is still open for review."""
    states = set(session.scalars(select(Draft.state).where(Draft.post_id == post.id)))
    if states & {APPROVED, PUBLISHING, PUBLISHED} and not states & set(REDOABLE):
        raise ReviewError(
            f"帖子 {post.forum_post_id} 的回复已批准或已发布，不能再重新分类重写；"
            "如需补充，请另写一条回复"
        )


def relabel(
    session: Session,
    post: Post,
    label: str,
    *,
    actor: str,
    drafter: Drafter,
    reason: str = "",
    ref: DraftRef | None = None,
) -> list[int]:
    """Record a reviewer's label (used by train.py) and redraft the post under it.

    ``ref`` is the draft the reviewer read (the console always names it): refused when it
    changed since or is no longer open for review, so a second tab makes no new drafts."""
    _check_person(actor)
    if label not in LABELS:
        raise ReviewError(f"未知的标签 {label!r}，可选：{', '.join(LABELS)}")
    limits.check("relabel_reason", reason)
    if ref is not None:
        draft = get_draft(session, ref.id)
        if draft.post_id != post.id:
            raise ReviewError(f"草稿 #{draft.id} 不是帖子 {post.forum_post_id} 的草稿")
        check_redoable(draft, ref, "重新分类")
    else:
        _check_post_not_answered(session, post)
    session.add(
        Classification(
            post_id=post.id, label=label, source="reviewer", created_by=actor, confidence=None
        )
    )
    why = f"重新分类为{LABEL_NAMES_ZH[label]}（{label}）" + (f"：{reason}" if reason else "")
    departments = sync_departments(session, drafter.resources.departments)
    if post.case_role is not None:
        # Filed into a case: the label may change what the post is there (a "+1" that was
        # really a complaint of its own opens its case).
        from forumbot.cases import filing

        correction = Classification(post_id=post.id, label=label, source="reviewer")
        if post.case_role not in ("opener", "update"):
            post.case_role = None
        return filing.file_post(session, post, correction, drafter, departments, utcnow())
    plan = drafter.plan(post_view(post), label)
    return replace_drafts(
        session, post, plan, None, departments, drafter=drafter, reason=why, actor=actor
    )


def restyle(
    session: Session, ref: DraftRef, style: str, *, actor: str, drafter: Drafter
) -> list[int]:
    """Redo a draft in another reply style; the old draft is superseded."""
    _check_person(actor)
    if style not in STYLES:
        raise ReviewError(f"未知的回复方式 {style!r}，可选：{', '.join(STYLES)}")
    draft = get_draft(session, ref.id)
    check_redoable(draft, ref, "更改回复方式")
    label = latest_label(session, draft.post) or "inquiry"
    forum_changes.supersede(session, draft, f"改为 {style} 回复方式", actor=actor, action="restyle")
    departments = sync_departments(session, drafter.resources.departments)
    plan = drafter.plan(post_view(draft.post), label, style=style)
    return store_plan(session, draft.post, plan, None, departments, utcnow())


def send_to_department(
    session: Session,
    ref: DraftRef,
    code: str,
    *,
    actor: str,
    drafter: Drafter,
    note: str = "",
) -> list[int]:
    """Ask a department for the substance: the draft is redone as a specialist reply for that
    department (with a holding reply for the owner meanwhile); the old draft is superseded."""
    _check_person(actor)
    limits.check("department_note", note)
    department = drafter.resources.departments.get(code)
    if department is None:
        known = ", ".join(sorted(drafter.resources.departments))
        raise ReviewError(f"部门 {code!r} 不存在，可选：{known}")
    draft = get_draft(session, ref.id)
    check_revision(draft, ref.revision)
    if draft.kind != "reply" or draft.state not in (PENDING_APPROVAL, FAILED):
        raise ReviewError(
            f"草稿 #{draft.id} 当前状态为{_state_name(draft)}，不能转交专业部门；"
            "请刷新页面查看最新情况"
        )
    label = latest_label(session, draft.post) or "inquiry"
    note = note.strip()
    why = f"转交{department.name}提供答复意见" + (f"：{note}" if note else "")
    forum_changes.supersede(session, draft, why, actor=actor, action="send_to_department")
    departments = sync_departments(session, drafter.resources.departments)
    plan = drafter.plan(post_view(draft.post), label, style="specialist", department=code)
    if note:
        plan.notes.append(f"客服中心备注：{note}")
    # The department reads the note on its request page and in `dept pending --json`.
    return store_plan(session, draft.post, plan, None, departments, utcnow(), note=note or None)


def answer_request(
    session: Session, request_id: int, answer: str, *, actor: str, drafter: Drafter
) -> Draft:
    """A department supplies the substance; the unified reply goes to the agents' queue."""
    _check_person(actor)
    answer = neutralise(answer)
    if not answer.strip():
        raise ReviewError("答复内容为空 (the answer is empty)")
    request = session.get(DepartmentRequest, request_id)
    if request is None:
        raise ReviewError(f"专业部门请求 #{request_id} 不存在")
    if request.state == "closed":
        raise ReviewError(
            f"请求 #{request_id} 已关闭，无需再答复（{request.closed_reason or '原草稿已作废'}）"
        )
    if request.state != "open":
        raise ReviewError(f"请求 #{request_id} 已经答复过了")
    limits.check("department_answer", answer)
    draft = request.draft
    if draft.state != AWAITING_SPECIALIST:
        raise ReviewError(f"草稿 #{draft.id} 当前状态为 {draft.state}，不再等待部门答复")
    department = drafter.resources.departments.get(request.department.code)
    if department is None:
        raise ReviewError(f"部门 {request.department.code} 不在 config/departments.toml 中")
    request.state, request.answer = "answered", answer.strip()
    request.answered_by, request.answered_at = actor, utcnow()
    waiting = [draft, *incident_drafts(session, request, draft)]
    for each in waiting:
        fill_answer(session, each, request, department, actor=actor, drafter=drafter)
    return draft


def incident_drafts(session: Session, request: DepartmentRequest, first: Draft) -> list[Draft]:
    """The other member cases' replies waiting on an incident's one request."""
    if request.incident_id is None:
        return []
    return list(
        session.scalars(
            select(Draft)
            .join(Case, Draft.case_id == Case.id)
            .where(
                Case.incident_id == request.incident_id,
                Draft.state == AWAITING_SPECIALIST,
                Draft.id != first.id,
            )
            .order_by(Draft.id)
        )
    )


def fill_answer(
    session: Session,
    draft: Draft,
    request: DepartmentRequest,
    department: ConfiguredDepartment,
    *,
    actor: str,
    drafter: Drafter,
) -> None:
    """Weave the department's answer into one waiting reply, addressed to its case, and
    retire the case's holding reply if nobody approved it: the answer says more."""
    label = latest_label(session, draft.post) or draft.label or "inquiry"
    body = drafter.with_department_answer(
        post_view(draft.post), label, request.answer or "", department
    )
    case = session.get(Case, draft.case_id) if draft.case_id else None
    draft.text = addressed(session, case, draft.post, body) if case else body
    if case is not None:
        context = json.loads(draft.context or "{}")
        context["body"] = body
        draft.context = json.dumps(context, ensure_ascii=False)
        if case.state == "waiting_department":
            case.state = "open"
        retire_holding(session, case, f"{department.name}已答复，统一答复取代告知回复", actor)
    draft.due_at = request.due_at  # the department's promise is the reply's deadline
    audit.move(
        session,
        draft,
        PENDING_APPROVAL,
        actor=actor,
        action="department_answer",
        reason=f"{department.name}已答复",
        details={"request": request.id, "incident": request.incident_id},
    )


def retire_holding(session: Session, case: Case, reason: str, actor: str) -> int:
    """Supersede the case's holding replies that were never approved."""
    retired = 0
    for holding in session.scalars(
        select(Draft).where(
            Draft.case_id == case.id,
            Draft.style == "holding",
            Draft.state.in_((PENDING_APPROVAL, FAILED)),
        )
    ):
        forum_changes.supersede(session, holding, reason, actor=actor, action="holding_retired")
        retired += 1
    return retired
