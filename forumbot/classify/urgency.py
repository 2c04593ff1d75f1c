"""Is someone in danger? Every post is asked, whatever its label.

Two parts, either one makes a post urgent:

- the rules of ``danger_rules``: concrete phrases for each kind of danger, with their
  reason, which an agent can read and the head of the centre can defend;
- a small learned model (character n-grams, logistic regression) trained on the labelled
  posts in ``data/urgency/train.jsonl``, for dangers described in words no rule lists
  ("插座那里一闪一闪的还有味道"). It is trained when first needed (well under a second:
  a few hundred posts), so there is no binary to ship or to go stale.

Angry or impatient posts about deeds, fees or noise are not urgent: the training set holds
many of them on purpose, and the rules avoid the everyday senses of danger words.
``bench/urgency.py`` measures recall and false alarms on posts written apart from the
training set (``data/urgency/heldout.jsonl``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from forumbot.classify.danger_rules import KIND_NAMES_ZH, find_danger
from forumbot.classify.normalize import clean
from forumbot.classify.sensitivity import find_sensitive
from forumbot.corpus import read_records
from forumbot.paths import CORPUS_DIR, URGENCY_DIR

log = logging.getLogger(__name__)
TRAIN_FILE = URGENCY_DIR / "train.jsonl"
CORPUS_FILE = CORPUS_DIR / "train.jsonl"
# A post the model scores at or above this is urgent. Chosen by cross-validation on the
# training set (bench/urgency.py --tune), never on the held-out posts.
MODEL_THRESHOLD = 0.6
RANDOM_STATE = 20261203


@dataclass(frozen=True)
class Assessment:
    """What the post means for people's safety and for who must read the reply."""

    urgent: bool
    urgent_reason: str | None  # Chinese: the kind of danger and the owner's words
    urgent_kind: str | None  # a danger_rules kind, or "model"
    sensitive: bool
    sensitive_reason: str | None
    sensitive_kinds: tuple[str, ...] = ()
    urgent_score: float | None = None  # the model's probability, when it was asked

    def as_json(self) -> dict[str, Any]:
        return {
            "urgent": self.urgent,
            "urgent_reason": self.urgent_reason,
            "urgent_kind": self.urgent_kind,
            "sensitive": self.sensitive,
            "sensitive_reason": self.sensitive_reason,
        }


NOT_URGENT = Assessment(False, None, None, False, None)


class UrgencyModel:
    """Logistic regression over character 1–3-grams, with the words that drove a decision."""

    def __init__(self, texts: list[str], labels: list[int]):
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression

        self.vectorizer = TfidfVectorizer(
            analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=2
        )
        matrix = self.vectorizer.fit_transform(texts)
        self.model = LogisticRegression(
            C=4.0, class_weight="balanced", max_iter=2000, random_state=RANDOM_STATE
        )
        self.model.fit(matrix, labels)
        self.terms = self.vectorizer.get_feature_names_out()

    def score(self, texts: list[str]) -> list[float]:
        return [float(p) for p in self.model.predict_proba(self.vectorizer.transform(texts))[:, 1]]

    def evidence(self, text: str, top: int = 2) -> list[str]:
        """The longest n-grams that pushed ``text`` towards urgent, strongest first."""
        row = self.vectorizer.transform([text])
        weights = row.multiply(self.model.coef_[0]).tocoo()
        ranked = sorted(zip(weights.col, weights.data, strict=True), key=lambda p: -p[1])
        words = [str(self.terms[c]).strip() for c, w in ranked if w > 0]
        return [w for w in words if len(w) >= 2][:top]


def example_text(example: dict[str, Any]) -> str:
    return clean(f"{example.get('title') or ''} 。 {example.get('raw') or ''}")


def ordinary_posts(path: Path = CORPUS_FILE) -> list[dict[str, Any]]:
    """The classifier's corpus posts that no danger rule fires on, as more ordinary posts:
    thousands of everyday complaints teach the model what is *not* danger (without them it
    took "!!" and "我" for alarm). A corpus post a rule flags is left out, not guessed."""
    try:
        posts = read_records(path)
    except OSError:
        return []
    return [{**p, "urgent": False} for p in posts if not find_danger(example_text(p))]


def training_set(path: Path = TRAIN_FILE) -> tuple[list[str], list[int]]:
    examples = read_records(path) + ordinary_posts()
    return [example_text(e) for e in examples], [int(bool(e["urgent"])) for e in examples]


@lru_cache(maxsize=1)
def trained_model(path: Path = TRAIN_FILE) -> UrgencyModel | None:
    """The model trained on ``path`` (and the corpus's ordinary posts); None (rules only,
    logged) when the file is missing."""
    try:
        texts, labels = training_set(path)
    except OSError as exc:
        log.warning("urgency model unavailable, rules only: %s", exc)
        return None
    return UrgencyModel(texts, labels)


def _quote(span: str) -> str:
    return f"“{span.strip()}”"


def assess(
    raw: str,
    title: str | None = None,
    post_number: int | None = None,
    model: UrgencyModel | bool | None = True,
    threshold: float = MODEL_THRESHOLD,
) -> Assessment:
    """Urgency and sensitivity of one post. The title counts for an opening post; a reply is
    read by its own words (its case is already urgent when the opening post was), as the
    classifier reads it. ``model=False`` asks the rules alone."""
    body = clean(raw)
    opening = post_number is None or post_number <= 1
    text = f"{clean(title or '')} 。 {body}" if title and opening else body
    dangers = find_danger(text)
    sensitive = find_sensitive(text)
    sensitive_reason = (
        "；".join(f"{m.reason}（{_quote(m.span)}）" for m in sensitive) if sensitive else None
    )
    kinds = tuple(m.kind for m in sensitive)
    if dangers:
        first = dangers[0]
        reason = "；".join(f"{m.reason}（{_quote(m.span)}）" for m in dangers[:3])
        return Assessment(True, reason, first.kind, bool(sensitive), sensitive_reason, kinds)
    usable = trained_model() if model is True else (model or None)
    if usable is None or not text.strip():
        return Assessment(False, None, None, bool(sensitive), sensitive_reason, kinds)
    score = usable.score([text])[0]
    if score < threshold:
        return Assessment(False, None, None, bool(sensitive), sensitive_reason, kinds, score)
    words = "".join(_quote(w) for w in usable.evidence(text))
    reason = f"{KIND_NAMES_ZH['model']}（模型判断，依据：{words or '全文'}），请人工确认"
    return Assessment(True, reason, "model", bool(sensitive), sensitive_reason, kinds, score)
