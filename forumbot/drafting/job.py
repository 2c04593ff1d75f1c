"""The pipeline step after labelling: a draft for every labelled post, once.

Valid posts get a reply draft in the policy's style; a specialist draft waits for its
department (a request with a due date from the department's response time) and comes with a
short holding reply that can be approved at once; abuse becomes a proposal to moderators;
empty and unrelated posts get no reply, their label staying visible and correctable.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from forumbot.classify.labeller import latest_classification
from forumbot.drafting.engine import Drafter, DraftPlan, PostView
from forumbot.drafting.resources import Department as ConfiguredDepartment
from forumbot.review import forum_changes, queue
from forumbot.review.states import (
    APPROVED,
    AWAITING_SPECIALIST,
    PENDING_APPROVAL,
    PUBLISHED,
    PUBLISHING,
)
from forumbot.storage.models import (
    Classification,
    Department,
    DepartmentRequest,
    Draft,
    FollowUp,
    Post,
    utcnow,
)
from forumbot.storage.stages import DRAFTED, LABELLED, advance, waiting
from forumbot.storage.upsert import insert_ignoring_duplicates

log = logging.getLogger(__name__)
ACTOR = "system:drafter"
LOCAL_TZ = ZoneInfo("Asia/Shanghai")


def working_days_from(now: datetime, days: int) -> datetime:
    """End (18:00 local) of the ``days``-th working day after ``now``; weekends skipped."""
    day = now.astimezone(LOCAL_TZ).date()
    added = 0
    while added < days:
        day += timedelta(days=1)
        if day.weekday() < 5:
            added += 1
    return datetime.combine(day, time(18, 0), LOCAL_TZ).astimezone(UTC)


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


def post_view(post: Post) -> PostView:
    return PostView(post.forum_post_id, post.raw, post.topic_title, post.post_number, post.username)


def plan_context(plan: DraftPlan, classification: Classification | None) -> str:
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
    return json.dumps(data, ensure_ascii=False)


def store_plan(
    session: Session,
    post: Post,
    plan: DraftPlan,
    classification: Classification | None,
    departments: dict[str, Department],
    now: datetime,
    note: str | None = None,
) -> list[int]:
    """Write the plan's drafts (and department request, with the agent's ``note`` to the
    department) for ``post``; returns draft ids."""
    if plan.kind == "none" or plan.text is None or plan.state is None:
        return []
    context = plan_context(plan, classification)
    draft = queue.write_draft(
        session,
        post,
        plan.text,
        actor=ACTOR,
        style=plan.style,
        kind=plan.kind,
        state=plan.state,
        reason=plan.decision.reason if plan.decision else None,
        label=plan.label,
    )
    draft.context = context
    ids = [draft.id]
    dept = departments[plan.department.code] if plan.department is not None else None
    draft.department_id = dept.id if dept else None
    if plan.state == "awaiting_specialist" and dept is not None:
        session.add(
            DepartmentRequest(
                draft_id=draft.id,
                department_id=dept.id,
                due_at=working_days_from(now, dept.response_days),
                note=note,
            )
        )
        ids += add_holding_reply(session, post, plan, draft, ACTOR)
    return ids


def department_work(session: Session, post: Post, plan: DraftPlan) -> DepartmentRequest | None:
    """The department's request for ``post`` that still applies to ``plan`` (the same
    department asked again): still open, or answered but not yet published. Its answer, or
    its place in the department's list and its due date, carries over to the new draft."""
    if plan.state != AWAITING_SPECIALIST or plan.department is None:
        return None
    for request in session.scalars(
        select(DepartmentRequest)
        .join(Draft, DepartmentRequest.draft_id == Draft.id)
        .where(Draft.post_id == post.id, DepartmentRequest.state.in_(("open", "answered")))
        .order_by(DepartmentRequest.id.desc())
    ):
        if request.department.code != plan.department.code:
            continue
        if request.state == "answered" and request.draft.state == PUBLISHED:
            return None  # that answer reached the owner; a new matter needs a new answer
        return request
    return None


def holding_reply_given(session: Session, post: Post) -> bool:
    """Whether the owner already has (or is about to get) a holding reply for this post."""
    return (
        session.scalar(
            select(Draft.id)
            .where(
                Draft.post_id == post.id,
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
    holding = queue.write_draft(
        session,
        post,
        plan.holding,
        actor=actor,
        style="holding",
        reason="等待专业部门答复期间的告知回复",
        label=plan.label,
    )
    holding.context, holding.department_id = waiting.context, waiting.department_id
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
    if carried is None:
        return store_plan(session, post, plan, classification, departments, now)
    assert plan.department is not None and plan.text is not None
    if carried.state == "answered":
        text = drafter.with_department_answer(
            post_view(post), plan.label, carried.answer or "", plan.department
        )
        state, why = PENDING_APPROVAL, f"原帖已编辑，沿用{plan.department.name}已给出的答复"
    else:
        text, state = plan.text, AWAITING_SPECIALIST
        why = f"原帖已编辑，仍等待{plan.department.name}答复（沿用原请求 #{carried.id}）"
    draft = queue.write_draft(
        session,
        post,
        text,
        actor=actor,
        style=plan.style,
        kind=plan.kind,
        state=state,
        reason=why,
        label=plan.label,
        due_at=carried.due_at if state == PENDING_APPROVAL else None,
    )
    draft.context = plan_context(plan, classification)
    draft.department_id = carried.department_id
    carried.draft_id = draft.id
    ids = [draft.id]
    if state == AWAITING_SPECIALIST:
        ids += add_holding_reply(session, post, plan, draft, actor)
    return ids


def answered_since(session: Session, post: Post, followup: FollowUp) -> bool:
    """Whether another reply to the post was published after the promise was made."""
    return (
        session.scalar(
            select(Draft.id)
            .where(
                Draft.post_id == post.id,
                Draft.state == "published",
                Draft.id != followup.draft_id,
                Draft.published_at > followup.created_at,
            )
            .limit(1)
        )
        is not None
    )


@dataclass
class DraftingJob:
    sessions: sessionmaker[Session]
    drafter: Drafter
    batch_size: int = 100

    def run_once(self) -> int:
        """Draft up to ``batch_size`` labelled posts; returns how many posts were handled."""
        with self.sessions() as session:
            departments = sync_departments(session, self.drafter.resources.departments)
            posts = waiting(session, LABELLED, self.batch_size)
            done = 0
            now = utcnow()
            for post in posts:
                if not advance(session, post, LABELLED, DRAFTED):
                    continue
                label = latest_classification(session, post.id)
                if label is None:
                    continue
                # An edited post is drafted again: what was drafted for the old text goes.
                plan = self.drafter.plan(post_view(post), label.label)
                replace_drafts(
                    session,
                    post,
                    plan,
                    label,
                    departments,
                    drafter=self.drafter,
                    reason="原帖已编辑，已按新内容重新起草",
                    now=now,
                )
                done += 1
            session.commit()
        if done:
            log.info("drafted replies for %d post(s)", done)
        return done


@dataclass
class FollowUpJob:
    """When a promise falls due, a follow-up draft for its topic goes to the queue."""

    sessions: sessionmaker[Session]
    drafter: Drafter

    def run_once(self) -> int:
        with self.sessions() as session:
            due = session.scalars(
                select(FollowUp)
                .where(FollowUp.state == "open", FollowUp.due_at <= utcnow())
                .order_by(FollowUp.due_at)
                .limit(50)
            ).all()
            for followup in due:
                post = followup.post
                if answered_since(session, post, followup):
                    followup.state = "closed"  # a later published reply kept the promise
                    continue
                current = latest_classification(session, post.id)
                label = current.label if current else "service"
                promised_on = f"{followup.created_at.astimezone(LOCAL_TZ):%m月%d日}".lstrip("0")
                text = self.drafter.followup(post_view(post), label, followup.promise, promised_on)
                draft = queue.write_draft(
                    session,
                    post,
                    text,
                    actor=ACTOR,
                    style="followup",
                    reason=f"承诺到期：{followup.excerpt}",
                    due_at=followup.due_at,
                    label=label,
                )
                followup.state, followup.followup_draft_id = "drafted", draft.id
            session.commit()
        if due:
            log.info("drafted %d follow-up(s) for promises that fell due", len(due))
        return len(due)
