"""Publish approved drafts exactly once, whatever crashes.

A run claims one draft at a time with a conditional UPDATE (approved, or publishing with an
expired lease) and commits the attempt *before* any request, so a crash leaves a trace. The
lease is short and renewed by a heartbeat while the attempt runs (``lease.py``), so a
crashed worker's draft is recovered within a lease, a live worker's never. Then:
1. re-read the post: deleted or edited since drafting -> superseded, and the change is
   handled as intake would (``forumbot.cases.forum_changes``): an edit is relabelled and
   drafted again for a person to approve;
2. on a second or later attempt, look in the topic for the reply carrying this draft's
   marker: a POST that reached the forum before a crash or a timeout is found, not repeated;
3. renew the lease, check that a person's approval of exactly this text is in the audit log,
   and POST the reply with the marker.
A 403/422 or a closed topic fails the draft with the forum's reason; network errors leave it
for the next run until ``max_attempts``.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from forumbot.cases import forum_changes, lifecycle
from forumbot.discourse.errors import (
    BadRequest,
    DiscourseError,
    Forbidden,
    NotFound,
    PostEnqueued,
    RateLimited,
    Unprocessable,
)
from forumbot.intake.parse import IncomingPost, Skip, parse_post
from forumbot.publish.lease import Heartbeat, renew
from forumbot.publish.marker import TopicReader, find_marked_reply, with_marker
from forumbot.review.states import (
    APPROVED,
    FAILED,
    PENDING_APPROVAL,
    PUBLISHED,
    PUBLISHING,
    SUPERSEDED,
)
from forumbot.storage import audit
from forumbot.storage.models import Draft, FollowUp, utcnow

log = logging.getLogger(__name__)
ACTOR = "system:publisher"


class ForumWriter(TopicReader, Protocol):
    def post(self, post_id: int) -> dict[str, Any]: ...

    def create_reply(
        self, topic_id: int, raw: str, *, reply_to_post_number: int | None = None
    ) -> dict[str, Any]: ...

    def flag_post(
        self,
        post_id: int,
        post_action_type_id: int = 4,
        *,
        message: str | None = None,
        take_action: bool = False,
    ) -> dict[str, Any]: ...


@dataclass(frozen=True)
class Job:
    """What one attempt needs, read in one transaction before any network call."""

    draft_id: int
    public_id: str
    kind: str
    text: str
    attempt: int
    look_first: bool
    post_version: int
    forum_post_id: int
    topic_id: int
    post_number: int


@dataclass
class PublishResult:
    published: list[int] = field(default_factory=list)
    failed: list[int] = field(default_factory=list)
    superseded: list[int] = field(default_factory=list)
    retry_later: list[int] = field(default_factory=list)
    # Sent back for a second approval (the two-person rule for sensitive cases).
    held: list[int] = field(default_factory=list)


class _Transient(Exception):
    """Worth another attempt later: the forum or our access to it is not working now."""


class _Outcome(Exception):
    def __init__(self, to_state: str, reason: str, forum_reply_id: int | None = None):
        super().__init__(reason)
        self.to_state, self.reason, self.forum_reply_id = to_state, reason, forum_reply_id


def record_promises(session: Session, draft: Draft) -> int:
    """Every promise with a time in a published reply becomes a follow-up with a due date."""
    from forumbot.drafting.promises import extract_promises

    promises = extract_promises(draft.text, utcnow())
    for promise in promises:
        session.add(
            FollowUp(
                draft_id=draft.id,
                post_id=draft.post_id,
                promise=promise.sentence.rstrip("。！!；;，, "),
                excerpt=promise.excerpt[:255],
                due_at=promise.due,
            )
        )
    return len(promises)


def _worker_id() -> str:
    return f"{socket.gethostname()[:30]}:{os.getpid()}:{uuid.uuid4().hex[:6]}"


@dataclass
class Publisher:
    sessions: sessionmaker[Session]
    forum: ForumWriter
    bot_username: str
    lease_seconds: float = 20.0  # renewed by a heartbeat while an attempt runs
    batch_size: int = 10
    max_attempts: int = 5
    reread: bool = True
    retry_delay: float = 10.0
    worker_id: str = field(default_factory=_worker_id)
    # Refuses replies quoting example contacts (forumbot.publish.contacts); None allows them.
    contact_check: Callable[[str], str | None] | None = None

    def run_once(self) -> PublishResult:
        result = PublishResult()
        tried: set[int] = set()  # one attempt per draft per run
        for _ in range(self.batch_size):
            job = self._claim(tried)
            if job is None:
                break
            tried.add(job.draft_id)
            try:
                with Heartbeat(self.sessions, job.draft_id, self.worker_id, self.lease_seconds):
                    self._attempt(job, result)
            except RateLimited as exc:
                self._release(job, f"rate limited: {exc}", result)
                break
        return result

    # -- claiming -----------------------------------------------------------------------------
    def _claim(self, exclude: set[int]) -> Job | None:
        with self.sessions() as session:
            now = utcnow()
            due = or_(
                Draft.state == APPROVED,
                and_(Draft.state == PUBLISHING, Draft.lease_until < now),
            )
            rows = session.execute(
                select(
                    Draft.id,
                    Draft.state,
                    Draft.revision,
                    Draft.publish_attempts,
                    Draft.ever_attempted,
                )
                .where(due, Draft.id.not_in(exclude))
                .order_by(Draft.approved_at, Draft.id)
                .limit(10)
            ).all()
            for row in rows:
                claimed = session.execute(
                    update(Draft)
                    .where(Draft.id == row.id, Draft.revision == row.revision, due)
                    .values(
                        state=PUBLISHING,
                        lease_owner=self.worker_id,
                        lease_until=now + timedelta(seconds=self.lease_seconds),
                        publish_attempts=Draft.publish_attempts + 1,
                        ever_attempted=True,
                        revision=Draft.revision + 1,
                    )
                    .execution_options(synchronize_session=False)
                )
                if claimed.rowcount != 1:
                    continue  # another worker took it first
                attempt = row.publish_attempts + 1
                audit.record(
                    session,
                    actor=ACTOR,
                    entity_type="draft",
                    entity_id=row.id,
                    action="publish_attempt",
                    from_state=row.state,
                    to_state=PUBLISHING,
                    details={"attempt": attempt, "worker": self.worker_id},
                )
                draft = session.get(Draft, row.id, populate_existing=True)
                assert draft is not None
                job = Job(
                    draft_id=draft.id,
                    public_id=draft.public_id,
                    kind=draft.kind,
                    text=draft.text,
                    attempt=attempt,
                    look_first=row.ever_attempted,
                    post_version=draft.post_version,
                    forum_post_id=draft.post.forum_post_id,
                    topic_id=draft.post.topic_id,
                    post_number=draft.post.post_number,
                )
                session.commit()
                return job
        return None

    # -- one attempt --------------------------------------------------------------------------
    def _attempt(self, job: Job, result: PublishResult) -> None:
        try:
            if self.reread:
                self._check_post(job)
            if job.kind == "reply" and job.look_first:
                found = find_marked_reply(
                    self.forum, job.topic_id, job.forum_post_id, job.public_id, self.bot_username
                )
                if found is not None:
                    raise _Outcome(PUBLISHED, "found the reply of an interrupted attempt", found)
            self._guard(job)
            raise _Outcome(PUBLISHED, "published", self._send(job))
        except _Outcome as outcome:
            self._finish(job, outcome, result)
        except PostEnqueued as exc:
            reason = (
                f"论坛把回复放进了待审核队列，请在论坛后台处理（机器人账号应为管理人员）：{exc}"
            )
            self._finish(job, _Outcome(FAILED, reason), result)
        except (Unprocessable, Forbidden, BadRequest) as exc:
            self._finish(job, _Outcome(FAILED, f"论坛拒绝了这条回复：{exc}"), result)
        except NotFound as exc:
            self._finish(job, _Outcome(SUPERSEDED, f"原帖或话题已不存在：{exc}"), result)
        except RateLimited:
            raise
        except (DiscourseError, LookupError, _Transient) as exc:
            if job.attempt < self.max_attempts:
                self._release(job, str(exc), result)
                return
            # Safe to give up: any later attempt (after a reviewer reopens it) looks for the
            # marker before posting, so a reply that did get through is never repeated.
            reason = (
                f"发布尝试超过 {self.max_attempts} 次仍未成功，请检查论坛后重新打开此草稿。"
                f"最后一次错误：{exc}"
            )
            self._finish(job, _Outcome(FAILED, reason), result)

    def _check_post(self, job: Job) -> None:
        try:
            fresh = self.forum.post(job.forum_post_id)
        except Forbidden as exc:
            # Reading a post is refused only when our key or username is wrong: a config
            # problem, not this draft's; keep it for when the key is fixed.
            log.error("the forum refused to let the bot read post %s: %s", job.forum_post_id, exc)
            raise _Transient(str(exc)) from exc
        except NotFound as exc:
            self._note_change(job, None)
            raise _Outcome(SUPERSEDED, f"原帖已不存在：{exc}") from exc
        seen = parse_post(fresh, bot_username="")
        if isinstance(seen, Skip):
            raise _Transient(f"the forum's copy of post {job.forum_post_id} is unreadable")
        if seen.deleted:
            self._note_change(job, seen)
            raise _Outcome(SUPERSEDED, "原帖已被删除")
        if seen.version > job.post_version:
            self._note_change(job, seen)
            raise _Outcome(
                SUPERSEDED,
                f"原帖在审批后被编辑（第 {seen.version} 版），已按新内容重新起草，请审阅新草稿",
            )

    def _note_change(self, job: Job, seen: IncomingPost | None) -> None:
        """What intake and the webhook do with a changed post, done here when the publisher
        is the first to notice: relabel and redraft an edit, retire the work on a deletion."""
        with self.sessions() as session:
            draft = session.get(Draft, job.draft_id)
            assert draft is not None
            if seen is None:
                forum_changes.post_deleted(session, draft.post, actor=ACTOR)
            else:
                forum_changes.apply(session, draft.post, seen, actor=ACTOR)
            session.commit()

    def _guard(self, job: Job) -> None:
        """Nothing reaches the forum without a person's approval of exactly this text."""
        with self.sessions() as session:
            draft = session.get(Draft, job.draft_id)
            assert draft is not None
            if draft.text != job.text or audit.approval_covers(session, draft) is None:
                raise _Outcome(FAILED, "审计日志中没有针对此文本的人工批准，已停止发布")
            if draft.needs_second_approval and audit.second_approval(session, draft) is None:
                raise _Outcome(
                    PENDING_APPROVAL,
                    "敏感事项的回复需要第二人（主管）复核批准后才能发布，已退回待审批",
                )
        problem = (
            self.contact_check(job.text) if self.contact_check and job.kind == "reply" else None
        )
        if problem is not None:
            raise _Outcome(FAILED, problem)
        if not renew(self.sessions, job.draft_id, self.worker_id, self.lease_seconds):
            raise LookupError("lease lost to another worker; leaving the draft to it")

    def _send(self, job: Job) -> int | None:
        if job.kind == "flag":
            try:
                # The moderator's approval is the decision: flag as inappropriate and hide now.
                self.forum.flag_post(job.forum_post_id, 4, message=None, take_action=True)
            except Forbidden as exc:
                if "already" not in str(exc).lower():
                    raise
            return None
        created = self.forum.create_reply(
            job.topic_id,
            with_marker(job.text, job.public_id),
            reply_to_post_number=job.post_number if job.post_number > 1 else None,
        )
        return int(created["id"])

    # -- recording the outcome ----------------------------------------------------------------
    def _owned(self, session: Session, job: Job) -> Draft | None:
        draft = session.get(Draft, job.draft_id, with_for_update=True, populate_existing=True)
        if draft is None or draft.state != PUBLISHING or draft.lease_owner != self.worker_id:
            log.warning("draft %s changed hands during attempt %s", job.draft_id, job.attempt)
            return None
        return draft

    def _finish(self, job: Job, outcome: _Outcome, result: PublishResult) -> None:
        with self.sessions() as session:
            draft = self._owned(session, job)
            if draft is None:
                return
            draft.lease_owner = None
            draft.lease_until = None
            if outcome.to_state == PUBLISHED:
                draft.forum_reply_id = outcome.forum_reply_id
                draft.published_at = utcnow()
                result.published.append(job.draft_id)
                if draft.kind == "reply":
                    record_promises(session, draft)
                    lifecycle.reply_published(session, draft)
            elif outcome.to_state == FAILED:
                draft.failure_reason = outcome.reason
                result.failed.append(job.draft_id)
            elif outcome.to_state == PENDING_APPROVAL:
                draft.approved_by, draft.approved_at = None, None
                result.held.append(job.draft_id)
            else:
                forum_changes.close_requests(session, draft, outcome.reason)
                result.superseded.append(job.draft_id)
            audit.move(
                session,
                draft,
                outcome.to_state,
                actor=ACTOR,
                action="publish_result",
                reason=outcome.reason,
                details={"attempt": job.attempt, "forum_reply_id": outcome.forum_reply_id},
            )
            session.commit()
        log.info("draft %s: %s (%s)", job.draft_id, outcome.to_state, outcome.reason)

    def _release(self, job: Job, reason: str, result: PublishResult) -> None:
        """A transient error: leave the draft publishing, free for the next run to retry."""
        with self.sessions() as session:
            draft = self._owned(session, job)
            if draft is None:
                return
            draft.lease_owner = None
            # Back off before the next try so one run does not hammer a failing forum.
            draft.lease_until = utcnow() + timedelta(seconds=self.retry_delay * job.attempt)
            audit.record(
                session,
                actor=ACTOR,
                entity_type="draft",
                entity_id=job.draft_id,
                action="publish_attempt_failed",
                from_state=PUBLISHING,
                to_state=PUBLISHING,
                reason=reason[:500],
                details={"attempt": job.attempt},
            )
            session.commit()
        result.retry_later.append(job.draft_id)
        log.warning("draft %s attempt %s will be retried: %s", job.draft_id, job.attempt, reason)
