"""File a labelled post into its topic's cases, and do what its role asks of the case.

This is where the "one reply in progress per case" rule lives: an opener gets the case's
draft; the owner's follow-up redoes that draft (or reopens an answered case with one new
reply that quotes it); a neighbour's "+1" is counted and acknowledged in the draft; chatter
is recorded; abuse still goes to the moderators.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from forumbot.cases import incidents, roles, safety, satisfaction
from forumbot.cases.drafts import first_reply_due
from forumbot.cases.forum_changes import (
    retire_unapproved,
    supersede_open_drafts,
)
from forumbot.cases.states import ACTIVE, CLOSED, OPEN, REPLIED, RESOLVED, UNRESOLVED
from forumbot.cases.writing import (
    addressed,
    case_view,
    open_reply,
    post_view,
    replace_drafts,
    store_plan,
    updates_view,
)
from forumbot.config import SCHEMA
from forumbot.drafting.engine import Drafter
from forumbot.review.claims import held_by_other
from forumbot.review.states import AWAITING_SPECIALIST, FAILED, PENDING_APPROVAL
from forumbot.storage import audit
from forumbot.storage.models import Case, Classification, Department, Draft, Post, utcnow

log = logging.getLogger(__name__)
ACTOR = "system:cases"
# Words that say the matter was raised before: the case goes to the top of the queue.
REPEAT_WORDS = (
    "报修了",
    "第二次",
    "第三次",
    "又一次",
    "多次反映",
    "多次投诉",
    "多次报修",
    "反映过",
    "说过",
    "好几次",
    "再次反映",
    "一直没人",
    "还是没人",
)
# The owner says the matter is settled.
SOLVED_WORDS = (
    "已经解决",
    "已解决",
    "修好了",
    "已经好了",
    "问题解决了",
    "处理好了",
    "不用了",
    "搞定了",
    "已修复",
)
MATTER_CHARS = 60
# An agent's claim on a draft older than this has lapsed (the console's default): the bot
# may then name a new supporter in it.
CLAIM_MINUTES = float(SCHEMA["console"]["claim_minutes"].default)


def topic_cases(session: Session, topic_id: int) -> list[Case]:
    return list(session.scalars(select(Case).where(Case.topic_id == topic_id).order_by(Case.id)))


def _facts(post: Post) -> roles.PostFacts:
    return roles.PostFacts(post.username, post.raw, post.post_number, post.reply_to_post_number)


def _opening_text(case: Case) -> str:
    opening = case.opening_post
    return f"{opening.topic_title or ''} {opening.raw}" if opening is not None else ""


def says_repeat(text: str) -> bool:
    return any(word in text for word in REPEAT_WORDS)


def says_solved(text: str) -> bool:
    return any(word in text for word in SOLVED_WORDS)


def _matter(post: Post) -> str:
    title = (post.topic_title or "").strip()
    if title and post.post_number <= 1:
        return title[:MATTER_CHARS]
    text = " ".join(post.raw.split())
    return text[:MATTER_CHARS] + ("…" if len(text) > MATTER_CHARS else "")


def _note(session: Session, case: Case | None, action: str, post: Post, reason: str) -> None:
    if case is None:
        return
    audit.record(
        session,
        actor=ACTOR,
        entity_type="case",
        entity_id=case.id,
        action=action,
        to_state=case.state,
        reason=reason,
        details={"post": post.forum_post_id, "post_number": post.post_number},
    )


def _attach(post: Post, role: str, case: Case | None) -> None:
    post.case_role = role
    post.case_id = case.id if case is not None else None


def open_case(session: Session, post: Post, label: str, now: datetime, reason: str) -> Case:
    earlier = session.scalars(
        select(Case).where(Case.owner == post.username, Case.id.is_not(None))
    ).all()
    case = Case(
        topic_id=post.topic_id,
        owner=post.username,
        opening_post_id=post.id,
        label=label,
        state=OPEN,
        opened_at=post.forum_created_at or now,
        due_at=first_reply_due(post),
        matter=_matter(post),
        place=incidents.place_of(f"{post.topic_title or ''} {post.raw}"),
        repeat=says_repeat(post.raw)
        or any(c.label == label and c.topic_id != post.topic_id for c in earlier),
    )
    session.add(case)
    session.flush()
    _attach(post, roles.OPENER, case)
    _note(session, case, "case_opened", post, reason)
    incidents.consider(session, case, now)
    return case


def file_post(
    session: Session,
    post: Post,
    label: Classification,
    drafter: Drafter,
    departments: dict[str, Department],
    now: datetime,
) -> list[int]:
    """File a newly labelled (or relabelled) post and write what its role needs; returns the
    ids of the drafts written. A post that reports danger is never left as chatter or only
    offered for hiding: it opens (or joins) a case that is urgent."""
    use = working_label(post, label.label)
    if post.case_role == roles.UPDATE and use == "abuse":
        # The owner's follow-up was abuse after all: to the moderators, not into the reply.
        supersede_open_drafts(
            session, post, "楼主的跟帖重新分类为辱骂内容", actor=ACTOR, action="relabel"
        )
        post.case_role = None
    elif post.case_role in (roles.OPENER, roles.UPDATE) and post.case_id is not None:
        safety.apply(session, session.get(Case, post.case_id), post, now, drafter.urgent_hours)
        return _refile(session, post, label, drafter, departments, now)
    cases = topic_cases(session, post.topic_id)
    numbers = dict(
        session.execute(
            select(Post.post_number, Post.case_id).where(
                Post.topic_id == post.topic_id, Post.case_id.is_not(None), Post.id != post.id
            )
        ).all()
    )
    filing = roles.decide(
        _facts(post),
        use,
        [
            roles.TopicCase(c.id, c.owner, 1, _opening_text(c))
            for c in cases
            if c.opening_post_id != post.id
        ],
        numbers,
    )
    if filing.role == roles.CHATTER and post.urgent:
        filing = roles.Filing(roles.OPENER, None, "帖子报告了危及人身安全的情况，单独立案")
    target = session.get(Case, filing.case_id) if filing.case_id is not None else None
    ids: list[int] = []
    if post.urgent and label.label == "abuse":
        # A threat is also abuse: the moderators still get it, and the case gets a reply.
        ids += store_plan(
            session, post, drafter.plan(post_view(post), "abuse"), label, departments, now
        )
    if filing.role == roles.OPENER:
        case = open_case(session, post, use, now, filing.reason)
        safety.apply(session, case, post, now, drafter.urgent_hours)
        plan = drafter.plan(post_view(post), use)
        return ids + store_plan(session, post, plan, label, departments, now, drafter=drafter)
    if filing.role == roles.UPDATE and target is not None:
        _attach(post, roles.UPDATE, target)
        safety.apply(session, target, post, now, drafter.urgent_hours)
        return owner_update(session, target, post, label, drafter, departments, now)
    _attach(post, filing.role, target)
    _note(session, target, f"post_{filing.role}", post, filing.reason)
    if filing.role == roles.SUPPORTER and target is not None:
        safety.apply(session, target, post, now, drafter.urgent_hours)
        readdress(session, target, drafter)
    if filing.role == roles.ABUSE:
        plan = drafter.plan(post_view(post), "abuse")
        return store_plan(session, post, plan, label, departments, now)
    return ids


def working_label(post: Post, label: str) -> str:
    """The label a post is filed and drafted under: its own, except that a report of danger
    labelled abuse, empty or unrelated is still a matter for the service centre."""
    if post.urgent and label not in roles.VALID_LABELS:
        return "service"
    return label


def _refile(
    session: Session,
    post: Post,
    label: Classification,
    drafter: Drafter,
    departments: dict[str, Department],
    now: datetime,
) -> list[int]:
    """An opener or update edited on the forum or relabelled by a person: redo the case."""
    case = session.get(Case, post.case_id)
    assert case is not None
    if post.case_role == roles.UPDATE:
        return owner_update(session, case, post, label, drafter, departments, now)
    use = working_label(post, label.label)
    if use not in roles.VALID_LABELS:
        case.label = use
        replace = drafter.plan(post_view(post), use)
        ids = replace_drafts(
            session,
            post,
            replace,
            label,
            departments,
            drafter=drafter,
            reason="重新分类为无效内容",
            now=now,
        )
        if case.state in ACTIVE:
            case.state, case.closed_at = CLOSED, now
            _note(session, case, "case_closed", post, "开帖内容重新分类为无效内容")
        return ids
    case.label = use
    if case.state == CLOSED and case.answered_at is None:
        case.state, case.closed_at = OPEN, None
    view = case_view(session, case)
    plan = drafter.plan(view, use)
    return replace_drafts(
        session,
        post,
        plan,
        label,
        departments,
        drafter=drafter,
        reason="原帖已编辑或重新分类，已按新内容重新起草",
        now=now,
    )


def owner_update(
    session: Session,
    case: Case,
    post: Post,
    label: Classification,
    drafter: Drafter,
    departments: dict[str, Department],
    now: datetime,
) -> list[int]:
    """The owner wrote again. Settled: the case is resolved. A reply still being written:
    it is redone with what they added. Already answered: the case reopens with one reply."""
    answer = satisfaction.owner_answered(session, case, post, now)
    if answer == RESOLVED:
        return []  # their answer to "is it solved?" settled the case
    if answer is None and says_solved(post.raw) and not says_repeat(post.raw):
        return _owner_says_solved(session, case, post, now)
    draft = open_reply(session, case)
    if draft is not None and draft.state in (PENDING_APPROVAL, FAILED):
        _note(session, case, "owner_update", post, "楼主补充了情况，回复草稿已按新内容重写")
        return redo_open_draft(session, case, draft, post, label, drafter, departments, now)
    if draft is not None and draft.state == AWAITING_SPECIALIST:
        context = json.loads(draft.context or "{}")
        context.setdefault("notes", []).append(f"楼主在 {post.post_number} 楼补充了情况")
        draft.context = json.dumps(context, ensure_ascii=False)
        _note(session, case, "owner_update", post, "楼主补充了情况，已告知专业部门")
        return []
    if case.state in REPLIED:
        case.reopened += 1
        case.repeat = case.repeat or case.reopened >= 2 or says_repeat(post.raw)
        # "Not solved" stays the outcome until the owner says otherwise
        case.outcome = UNRESOLVED if case.state == UNRESOLVED else None
        case.state, case.closed_at = OPEN, None
        case.due_at = first_reply_due(post)
        _note(session, case, "case_reopened", post, "楼主在答复后再次发帖，案件重新打开")
    else:
        _note(session, case, "owner_update", post, "楼主补充了情况")
    use = label.label if label.label in roles.VALID_LABELS else (case.label or "service")
    plan = drafter.plan(post_view(post), use)
    return store_plan(session, post, plan, label, departments, now)


def redo_open_draft(
    session: Session,
    case: Case,
    draft: Draft,
    post: Post,
    label: Classification,
    drafter: Drafter,
    departments: dict[str, Department],
    now: datetime,
) -> list[int]:
    """Rewrite the case's waiting draft with the owner's addition, unless a person already
    wrote in it: then their text stays, and the draft says what the owner added."""
    if person_wrote_in(session, draft):
        context = json.loads(draft.context or "{}")
        context.setdefault("notes", []).append(
            f"楼主在 {post.post_number} 楼补充了情况，请核对草稿是否仍然合适"
        )
        draft.context = json.dumps(context, ensure_ascii=False)  # a new revision
        return []
    # Until our first answer the reply answers the opening post (with the owner's additions);
    # after a reopening it answers the owner's later posts and quotes the latest of them.
    later = draft.post_id != case.opening_post_id
    target = post if later else case.opening_post
    view = updates_view(session, case, draft.post) if later else case_view(session, case)
    use = label.label if label.label in roles.VALID_LABELS else (case.label or "service")
    plan = drafter.plan(view, use, style=draft.style)
    return replace_drafts(
        session,
        target,
        plan,
        label,
        departments,
        drafter=drafter,
        reason=f"楼主在 {post.post_number} 楼补充了情况，已按新内容重写",
        now=now,
    )


def _edited_by_person(session: Session, draft_id: int) -> bool:
    return any(e.action == "edit" for e in audit.history(session, draft_id))


def person_wrote_in(session: Session, draft: Draft) -> bool:
    """Whether a person wrote or edited ``draft``: the bot then leaves its text alone."""
    return audit.is_person(draft.created_by) or _edited_by_person(session, draft.id)


def _owner_says_solved(session: Session, case: Case, post: Post, now: datetime) -> list[int]:
    """The owner says it is settled: nothing more is said to them on this matter, so every
    reply not yet approved (the holding reply too) is retired and the department released."""
    reason = f"楼主在 {post.post_number} 楼表示问题已解决"
    retire_unapproved(session, case.id, reason, actor=ACTOR)
    case.state, case.outcome, case.closed_at = RESOLVED, RESOLVED, now
    _note(session, case, "case_resolved", post, reason)
    return []


def readdress(session: Session, case: Case, drafter: Drafter) -> bool:
    """A neighbour joined: the case's replies not yet approved (the reply in progress and the
    holding reply) name them, where no person has touched the text and nobody has it open."""
    changed, now = False, utcnow()
    for draft in session.scalars(
        select(Draft)
        .where(
            Draft.case_id == case.id,
            Draft.kind == "reply",
            Draft.state.in_((PENDING_APPROVAL, AWAITING_SPECIALIST)),
        )
        .order_by(Draft.id)
    ):
        claim = held_by_other(draft.claimed_by, draft.claimed_at, ACTOR, now, CLAIM_MINUTES)
        if claim is not None or person_wrote_in(session, draft):
            continue
        body = json.loads(draft.context or "{}").get("body")
        if not body:
            continue
        text = addressed(session, case, draft.post, body)
        if text != draft.text:
            draft.text = text
            changed = True
    return changed


__all__ = ["file_post", "open_case", "owner_update", "readdress", "topic_cases"]
