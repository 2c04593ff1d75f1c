"""The pipeline step after intake: label every post that arrived, once.

Posts move from stage ``received`` to ``labelled`` with a conditional UPDATE, so two workers
sharing a database never label the same post twice; an edited post goes back to ``received``
(see intake) and is labelled again, the old label staying in the history.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from forumbot.classify.classifier import Classifier, PostInput
from forumbot.classify.persist import (
    METADATA_FILE,
    MODEL_FILE,
    POINTER_FILE,
    ModelError,
    load_version,
    read_pointer,
)
from forumbot.classify.urgency import assess
from forumbot.storage.models import Classification, Post
from forumbot.storage.stages import LABELLED, RECEIVED, advance, waiting

log = logging.getLogger(__name__)
FileState = tuple[int, int, int] | None  # (mtime_ns, size, inode), None when missing


def _state(path: Path) -> FileState:
    try:
        stat = path.stat()
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


def latest_classification(session: Session, post_id: int) -> Classification | None:
    """The label in force for a post: a reviewer's correction or the newest model label."""
    return session.scalars(
        select(Classification)
        .where(Classification.post_id == post_id)
        .order_by(Classification.id.desc())
        .limit(1)
    ).first()


def mark_safety(post: Post) -> None:
    """Danger to people and sensitive matters, read from the post's current text whatever
    its label (an insult that threatens violence is still a threat)."""
    found = assess(post.raw, post.topic_title, post.post_number)
    post.urgent, post.urgent_reason, post.urgent_kind = (
        found.urgent,
        found.urgent_reason,
        found.urgent_kind,
    )
    post.sensitive, post.sensitive_reason = found.sensitive, found.sensitive_reason


@dataclass
class Labeller:
    sessions: sessionmaker[Session]
    classifier: Classifier
    batch_size: int = 200
    # When set, a model promoted in this folder (current.json) is picked up without a restart.
    models_dir: Path | None = None
    _seen: tuple[FileState, ...] | None = field(default=None, init=False, repr=False)
    # The version current.json named at the last look: its files are watched too, so a model
    # that failed to load is tried again once its files change (a copy that finished late).
    _named: str | None = field(default=None, init=False, repr=False)

    def _watched(self) -> tuple[FileState, ...] | None:
        assert self.models_dir is not None
        pointer = _state(self.models_dir / POINTER_FILE)
        if pointer is None:
            return None  # no pointer (being replaced, or deleted): keep labelling as before
        if self._named is None:
            return (pointer,)
        folder = self.models_dir / self._named
        return (pointer, _state(folder / METADATA_FILE), _state(folder / MODEL_FILE))

    def refresh_model(self) -> bool:
        """Switch to the model current.json names if it, or that model's files, changed since
        the last look.

        Cheap when nothing changed (three stats). A new model that fails to load (checksum,
        labels, missing file) is logged and the old one kept until current.json or the named
        model's files change again. Returns True when the classifier was replaced."""
        if self.models_dir is None:
            return False
        seen = self._watched()
        if seen is None or seen == self._seen:
            return False
        self._seen = seen
        old = self.classifier.model
        try:
            pointer = read_pointer(self.models_dir)
            version, sha = str(pointer["version"]), pointer.get("model_sha256")
            if version != self._named:
                self._named = version
                self._seen = self._watched()  # now with the named model's files
            if version == old.version and sha in (None, old.metadata.get("model_sha256")):
                return False
            loaded = load_version(version, self.models_dir, sha)
        except (ModelError, KeyError, TypeError) as exc:
            log.error("keeping model %s: the new current model is unusable: %s", old.version, exc)
            return False
        self.classifier = Classifier(loaded, self.classifier.review_threshold)
        log.info("switched model %s -> %s", old.version, loaded.version)
        return True

    def run_once(self) -> int:
        """Label up to ``batch_size`` waiting posts; returns how many this worker labelled."""
        self.refresh_model()
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
                mark_safety(post)
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
