"""Where a post is in the pipeline (received → labelled → drafted), and how a worker takes a
post to the next stage: a conditional UPDATE, so two workers never handle the same post."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from forumbot.storage.models import Post

RECEIVED, LABELLED, DRAFTED = "received", "labelled", "drafted"


def waiting(session: Session, stage: str, limit: int) -> Sequence[Post]:
    """The oldest posts waiting in ``stage``."""
    return session.scalars(
        select(Post).where(Post.stage == stage).order_by(Post.id).limit(limit)
    ).all()


def advance(session: Session, post: Post, from_stage: str, to_stage: str) -> bool:
    """Move the post on if it is still in ``from_stage`` at the version read; False when
    another worker took it or the owner edited it meanwhile."""
    moved = session.execute(
        update(Post)
        .where(Post.id == post.id, Post.stage == from_stage, Post.version == post.version)
        .values(stage=to_stage)
        .execution_options(synchronize_session=False)
    )
    return moved.rowcount == 1
