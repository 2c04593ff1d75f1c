"""What a case looks like to the drafter and to the people a reply speaks to: the posts the
reply answers, the owner and the neighbours who joined, and the case's reply in progress."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case as sql_case
from sqlalchemy import select
from sqlalchemy.orm import Session

from forumbot.drafting.addressing import Audience, address
from forumbot.drafting.engine import PostView
from forumbot.review.states import (
    APPROVED,
    AWAITING_SPECIALIST,
    FAILED,
    PENDING_APPROVAL,
    PUBLISHING,
)
from forumbot.storage.models import Case, DepartmentRequest, Draft, Post


def post_view(post: Post) -> PostView:
    """The post as the drafter reads it, with the danger it reports, if any."""
    return PostView(
        post.forum_post_id,
        post.raw,
        post.topic_title,
        post.post_number,
        post.username,
        post.urgent_kind,
    )


def case_view(session: Session, case: Case) -> PostView:
    """The case as the drafter should read it: the opening post and the owner's additions."""
    opener = case.opening_post
    updates = session.scalars(
        select(Post.raw)
        .where(Post.case_id == case.id, Post.case_role == "update", Post.deleted.is_(False))
        .order_by(Post.post_number)
    ).all()
    raw = "\n\n".join([opener.raw, *updates])
    return PostView(
        opener.forum_post_id,
        raw,
        opener.topic_title,
        opener.post_number,
        case.owner,
        case.urgent_kind if case.urgent else None,
    )


def updates_view(session: Session, case: Case, first: Post) -> PostView:
    """The owner's posts from ``first`` on, as one text: what a reply after a reopening
    answers (the opening post was answered already)."""
    raws = session.scalars(
        select(Post.raw)
        .where(
            Post.case_id == case.id,
            Post.case_role == "update",
            Post.deleted.is_(False),
            Post.post_number >= first.post_number,
        )
        .order_by(Post.post_number)
    ).all()
    raw = "\n\n".join(raws) or first.raw
    return PostView(
        first.forum_post_id,
        raw,
        first.topic_title,
        first.post_number,
        case.owner,
        first.urgent_kind,
    )


def supporters_of(session: Session, case: Case) -> list[str]:
    return list(
        session.scalars(
            select(Post.username)
            .where(Post.case_id == case.id, Post.case_role == "supporter", Post.deleted.is_(False))
            .order_by(Post.post_number)
        )
    )


def addressed(session: Session, case: Case, post: Post, body: str) -> str:
    """``body`` addressed to the case owner and its supporters. A reply to any post but the
    topic's first quotes it: the owner's later post, or a second owner's matter further down
    the thread, so everyone reading sees what our reply answers."""
    quoted = None
    if post.post_number > 1:
        quoted = (post.username, post.post_number, post.topic_id, post.raw)
    return address(body, Audience(case.owner, supporters_of(session, case), quoted))


def open_reply(session: Session, case: Case) -> Draft | None:
    """The case's reply in progress (not a holding reply): at most one at a time."""
    return session.scalar(
        select(Draft)
        .where(
            Draft.case_id == case.id,
            Draft.kind == "reply",
            Draft.state.in_((AWAITING_SPECIALIST, PENDING_APPROVAL, FAILED, APPROVED, PUBLISHING)),
            (Draft.style.is_(None)) | (Draft.style != "holding"),
        )
        .order_by(Draft.id.desc())
        .limit(1)
    )


def urgent_first() -> tuple[Any, ...]:
    """ORDER BY terms that put requests of urgent cases first (danger to people)."""
    urgent = (
        select(Case.id).where(Case.id == DepartmentRequest.case_id, Case.urgent.is_(True)).exists()
    )
    return (sql_case((urgent, 0), else_=1),)
