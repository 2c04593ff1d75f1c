"""The satisfaction check: after our answer, ask the owner whether the matter is solved; their
answer (or their silence) settles the case.

An answered case gets one question, drafted for a person to approve, some working days after
the answer was published ([cases] satisfaction_after_days), unless a promise in the answer is
still waiting for its own follow-up: that follow-up asks the same question. The owner's reply
to the question resolves the case or, when it is not solved, records "unresolved" and reopens
it with one new reply. No reply within [cases] silence_days closes it without an outcome.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session, sessionmaker

from forumbot.cases import drafts
from forumbot.cases.forum_changes import retire_unapproved
from forumbot.cases.states import ANSWERED, CLOSED, RESOLVED, UNRESOLVED
from forumbot.cases.views import post_view
from forumbot.classify.normalize import to_simplified
from forumbot.drafting.engine import Drafter
from forumbot.drafting.resource_store import ResourceStore
from forumbot.review.states import FAILED, PENDING_APPROVAL
from forumbot.storage import audit
from forumbot.storage.models import Case, Draft, FollowUp, Post, utcnow
from forumbot.workcalendar import format_beijing, working_days_from

log = logging.getLogger(__name__)
ACTOR = "system:cases"
# Drafts that ask the owner whether the matter is solved: ours, and a promise's follow-up.
QUESTION_STYLES = ("satisfaction", "followup")

# Read before SOLVED: "没有解决" and "不满意" contain the words of a solved matter.
NOT_SOLVED = re.compile(
    r"没有?(?:解决|修好|处理|弄好|搞定|人来|人管|改善|变化)|还没|尚未|未解决|仍然|依然|依旧|"
    r"还是(?:不|没|漏|坏|一样|老样子|那样)|不满意|不太满意|问题还在|老样子|又(?:漏|坏|出现|开始)|"
    r"根本没|并没有|一点没|没用"
)
SOLVED = re.compile(
    r"解决了|修好了|已修好|已修复|修复了|好了|已经处理|处理好了|处理了|没问题了|搞定了|可以了|"
    r"满意|已经弄好|弄好了|正常了|不漏了|恢复了"
)


def read_answer(raw: str) -> str | None:
    """``resolved`` or ``unresolved`` when the text answers "is it solved?", else None."""
    text = to_simplified(re.sub(r"\[quote[^\]]*\].*?\[/quote\]", "", raw, flags=re.I | re.S))
    if NOT_SOLVED.search(text):
        return UNRESOLVED
    if SOLVED.search(text):
        return RESOLVED
    return None


def question_of(session: Session, case: Case) -> Draft | None:
    """The question published since the case was last answered, if one was."""
    if case.answered_at is None:
        return None
    return session.scalar(
        select(Draft)
        .where(
            Draft.case_id == case.id,
            Draft.style.in_(QUESTION_STYLES),
            Draft.state == "published",
            Draft.published_at >= case.answered_at,
        )
        .order_by(Draft.published_at.desc())
        .limit(1)
    )


def owner_answered(session: Session, case: Case, post: Post, now: datetime) -> str | None:
    """The owner's post after our question: ``resolved`` settles the case (nothing more is
    drafted); ``unresolved`` is recorded, and the caller reopens the case with one reply;
    None when the case was not asked, or the post does not answer."""
    if case.state != ANSWERED or post.username != case.owner:
        return None
    question = question_of(session, case)
    if question is None:
        return None
    outcome = read_answer(post.raw)
    if outcome is None:
        return None
    before = case.state
    if outcome == RESOLVED:
        reason = f"楼主在 {post.post_number} 楼回复回访：问题已解决"
        retire_unapproved(session, case.id, reason, actor=ACTOR)
        case.state, case.outcome, case.closed_at = RESOLVED, RESOLVED, now
        action = "case_resolved"
    else:
        reason = f"楼主在 {post.post_number} 楼回复回访：问题仍未解决，案件重新打开"
        case.state, case.outcome = UNRESOLVED, UNRESOLVED
        action = "case_unresolved"
    audit.record(
        session,
        actor=ACTOR,
        entity_type="case",
        entity_id=case.id,
        action=action,
        from_state=before,
        to_state=case.state,
        reason=reason,
        details={"post": post.forum_post_id, "question": question.id},
    )
    return outcome


def _promise_waiting(session: Session, case: Case) -> bool:
    """A promise made to this case still waits for its follow-up, which asks the question:
    not yet due, or its follow-up drafted and not yet published or turned down."""
    pending = select(Draft.id).where(
        Draft.id == FollowUp.followup_draft_id,
        Draft.state.in_((PENDING_APPROVAL, "approved", "publishing", FAILED)),
    )
    return bool(
        session.scalar(
            select(
                exists().where(
                    and_(
                        FollowUp.post_id == Post.id,
                        Post.case_id == case.id,
                        (FollowUp.state == "open")
                        | ((FollowUp.state == "drafted") & pending.exists()),
                    )
                )
            )
        )
    )


def _asked_since_answer(session: Session, case: Case) -> bool:
    """Any question drafted since the answer, whatever became of it (asked once only)."""
    return bool(
        session.scalar(
            select(
                exists().where(
                    and_(
                        Draft.case_id == case.id,
                        Draft.style.in_(QUESTION_STYLES),
                        Draft.created_at >= case.answered_at,
                    )
                )
            )
        )
    )


def _close(session: Session, case: Case, now: datetime, reason: str) -> None:
    before = case.state
    case.state, case.closed_at = CLOSED, now
    audit.record(
        session,
        actor=ACTOR,
        entity_type="case",
        entity_id=case.id,
        action="case_closed",
        from_state=before,
        to_state=CLOSED,
        reason=reason,
    )


@dataclass
class SatisfactionJob:
    """Asks answered cases whether they are solved, and closes those that stay silent."""

    sessions: sessionmaker[Session]
    drafter: Drafter
    after_days: int = 3
    silence_days: int = 7
    store: ResourceStore | None = None

    def run_once(self, now: datetime | None = None) -> int:
        """Questions drafted in this round (cases closed for silence are logged)."""
        now = now or utcnow()
        if self.store is not None:
            self.drafter = self.store.drafter()
        asked = closed = 0
        with self.sessions() as session:
            answered = session.scalars(
                select(Case)
                .where(Case.state == ANSWERED, Case.answered_at.is_not(None))
                .order_by(Case.answered_at)
                .limit(200)
            ).all()
            for case in answered:
                step = self._settle(session, case, now)
                asked, closed = asked + (step == "asked"), closed + (step == "closed")
            session.commit()
        if asked or closed:
            log.info("satisfaction: %d question(s) drafted, %d case(s) closed", asked, closed)
        return asked

    def _settle(self, session: Session, case: Case, now: datetime) -> str | None:
        question = question_of(session, case)
        if question is not None:
            assert question.published_at is not None
            if now - question.published_at >= timedelta(days=self.silence_days):
                _close(session, case, now, f"回访发布后 {self.silence_days} 天楼主未回复")
                return "closed"
            return None
        if _asked_since_answer(session, case):
            still_on = session.scalar(
                select(Draft.id)
                .where(
                    Draft.case_id == case.id,
                    Draft.style.in_(QUESTION_STYLES),
                    Draft.created_at >= case.answered_at,
                    Draft.state.not_in(("rejected", "superseded")),
                )
                .limit(1)
            )
            if still_on is None:  # every question was turned down: nothing more to ask
                _close(session, case, now, "客服决定不发回访，案件关闭")
                return "closed"
            return None  # the question waits for approval or publication
        assert case.answered_at is not None
        if now < working_days_from(case.answered_at, self.after_days):
            return None
        if _promise_waiting(session, case):
            return None
        self._ask(session, case, now)
        return "asked"

    def _ask(self, session: Session, case: Case, now: datetime) -> None:
        post = session.get(Post, case.opening_post_id)
        assert post is not None and case.answered_at is not None
        answered_on = format_beijing(case.answered_at, "%m月%d日").lstrip("0")
        text = self.drafter.satisfaction(post_view(post), case.label or "service", answered_on)
        drafts.write_draft(
            session,
            post,
            text,
            actor=ACTOR,
            style="satisfaction",
            reason=f"答复已于 {answered_on} 发布，回访楼主问题是否解决",
            due_at=working_days_from(now, 1),
            label=case.label,
            case_id=case.id,
        )
