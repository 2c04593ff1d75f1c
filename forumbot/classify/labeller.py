"""The pipeline step after intake: label every post that arrived, once.

Posts move from stage ``received`` to ``labelled`` with a conditional UPDATE, so two workers
sharing a database never label the same post twice; an edited post goes back to ``received``
(see intake) and is labelled again, the old label staying in the history.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from forumbot.classify.classifier import Classifier, PostInput
from forumbot.storage.models import Classification
from forumbot.storage.stages import LABELLED, RECEIVED, advance, waiting

log = logging.getLogger(__name__)


def latest_classification(session: Session, post_id: int) -> Classification | None:
    """The label in force for a post: a reviewer's correction or the newest model label."""
    return session.scalars(
        select(Classification)
        .where(Classification.post_id == post_id)
        .order_by(Classification.id.desc())
        .limit(1)
    ).first()


@dataclass
class Labeller:
    sessions: sessionmaker[Session]
    classifier: Classifier
    batch_size: int = 200

    def run_once(self) -> int:
        """Label up to ``batch_size`` waiting posts; returns how many this worker labelled."""
        with self.sessions() as session:
            posts = waiting(session, RECEIVED, self.batch_size)
            if not posts:
                return 0
            predictions = self.classifier.classify_many(
                [PostInput(p.raw, p.topic_title, p.post_number) for p in posts]
            )
            done = 0
            for post, prediction in zip(posts, predictions, strict=True):
                if not advance(session, post, RECEIVED, LABELLED):
                    continue
                session.add(
                    Classification(
                        post_id=post.id,
                        label=prediction.label,
                        confidence=prediction.confidence,
                        needs_review=prediction.needs_review,
                        model_version=prediction.model_version,
                        alternatives=json.dumps(prediction.as_json()["alternatives"]),
                        source="model",
                    )
                )
                done += 1
            session.commit()
        if done:
            log.info("labelled %d post(s)", done)
        return done
