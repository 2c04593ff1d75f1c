"""The pipeline steps that write drafts: every labelled post filed into its case, once; and
follow-ups for promises that fell due."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from forumbot.cases import drafts, filing
from forumbot.cases.views import open_reply
from forumbot.cases.writing import LOCAL_TZ, post_view, sync_departments
from forumbot.drafting.engine import Drafter
from forumbot.drafting.resource_store import ResourceStore
from forumbot.labelling.labeller import latest_classification
from forumbot.storage.models import Case, Draft, FollowUp, Post, utcnow
from forumbot.storage.stages import DRAFTED, LABELLED, RECEIVED, advance, waiting

log = logging.getLogger(__name__)
ACTOR = "system:drafter"


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


def earlier_unlabelled(session: Session, post: Post) -> bool:
    """Whether an earlier post of the topic has not been labelled yet."""
    return (
        session.scalar(
            select(Post.id)
            .where(
                Post.topic_id == post.topic_id,
                Post.post_number < post.post_number,
                Post.stage == RECEIVED,
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
    # When given, each round drafts from the store's current files (an admin's edit applies
    # without a restart); ``drafter`` is then only the first version.
    store: ResourceStore | None = None

    def run_once(self) -> int:
        """Draft up to ``batch_size`` labelled posts; returns how many posts were handled."""
        if self.store is not None:
            self.drafter = self.store.drafter()
        with self.sessions() as session:
            departments = sync_departments(session, self.drafter.resources.departments)
            posts = waiting(session, LABELLED, self.batch_size)
            done = 0
            now = utcnow()
            posts = sorted(posts, key=lambda p: (p.topic_id, p.post_number))
            for post in posts:
                if earlier_unlabelled(session, post):
                    continue  # its case is decided by the posts before it: wait for them
                if not advance(session, post, LABELLED, DRAFTED):
                    continue
                label = latest_classification(session, post.id)
                if label is None:
                    continue
                filing.file_post(session, post, label, self.drafter, departments, now)
                # One post, one transaction: a crash loses at most the post in hand, and the
                # write lock (SQLite has one) is never held across a whole batch, so the
                # publisher is not kept waiting behind a round of drafting.
                session.commit()
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
    store: ResourceStore | None = None

    def run_once(self, now: datetime | None = None) -> int:
        if self.store is not None:
            self.drafter = self.store.drafter()
        with self.sessions() as session:
            due = session.scalars(
                select(FollowUp)
                .where(FollowUp.state == "open", FollowUp.due_at <= (now or utcnow()))
                .order_by(FollowUp.due_at)
                .limit(50)
            ).all()
            written = 0
            for followup in due:
                post = followup.post
                if answered_since(session, post, followup):
                    followup.state = "closed"  # a later published reply kept the promise
                    continue
                case = session.get(Case, post.case_id) if post.case_id is not None else None
                if case is not None and open_reply(session, case) is not None:
                    continue  # one reply in progress per case: the promise waits for it
                current = latest_classification(session, post.id)
                label = current.label if current else "service"
                promised_on = f"{followup.created_at.astimezone(LOCAL_TZ):%m月%d日}".lstrip("0")
                text = self.drafter.followup(post_view(post), label, followup.promise, promised_on)
                draft = drafts.write_draft(
                    session,
                    post,
                    text,
                    actor=ACTOR,
                    style="followup",
                    reason=f"承诺到期：{followup.excerpt}",
                    due_at=followup.due_at,
                    label=label,
                    case_id=post.case_id,
                )
                followup.state, followup.followup_draft_id = "drafted", draft.id
                written += 1
            session.commit()
        if written:
            log.info("drafted %d follow-up(s) for promises that fell due", written)
        return written
