"""Is someone in danger? Every post is asked, whatever its label.

Two parts, either one makes a post urgent:

- the rules of ``danger_rules``: concrete phrases for each kind of danger, with their
  reason, which an agent can read and the head of the centre can defend;
- a small learned model (``urgency_model``: character n-grams, logistic regression) trained
  on the labelled posts in ``data/urgency/train*.jsonl``, for dangers described in words no
  rule lists ("插座那里一闪一闪的还有味道"), shipped as plain arrays in ``models/urgency/``.

Angry or impatient posts about deeds, fees or noise are not urgent: the training set holds
many of them on purpose, and the rules avoid the everyday senses of danger words.
``bench/urgency.py`` measures recall and false alarms on posts written apart from the
training set (``data/urgency/heldout.jsonl``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from forumbot.classify.danger_rules import KIND_NAMES_ZH, find_danger
from forumbot.classify.normalize import clean
from forumbot.classify.sensitivity import find_sensitive
from forumbot.classify.urgency_model import UrgencyModel, trained_model

# A post the model scores at or above this is urgent. Chosen by cross-validation on the
# training set (bench/urgency.py --tune), never on the held-out posts.
MODEL_THRESHOLD = 0.6


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
    return assess_many([(raw, title, post_number)], model, threshold)[0]


def assess_many(
    posts: Sequence[tuple[str, str | None, int | None]],
    model: UrgencyModel | bool | None = True,
    threshold: float = MODEL_THRESHOLD,
) -> list[Assessment]:
    """:func:`assess` for many posts (raw, title, post_number), the model asked once."""
    results: list[Assessment | None] = []
    pending: list[tuple[int, str, bool, str | None, tuple[str, ...]]] = []
    for raw, title, post_number in posts:
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
            reason = "；".join(f"{m.reason}（{_quote(m.span)}）" for m in dangers[:3])
            found = Assessment(
                True, reason, dangers[0].kind, bool(sensitive), sensitive_reason, kinds
            )
            results.append(found)
            continue
        results.append(Assessment(False, None, None, bool(sensitive), sensitive_reason, kinds))
        if text.strip():
            pending.append((len(results) - 1, text, bool(sensitive), sensitive_reason, kinds))
    usable = trained_model() if model is True else (model or None)
    if usable is not None and pending:
        scores = usable.score([text for _, text, *_ in pending])
        for (i, text, sensitive, reason_s, kinds), score in zip(pending, scores, strict=True):
            if score < threshold:
                results[i] = Assessment(False, None, None, sensitive, reason_s, kinds, score)
                continue
            words = "".join(_quote(w) for w in usable.evidence(text))
            reason = f"{KIND_NAMES_ZH['model']}（模型判断，依据：{words or '全文'}），请人工确认"
            results[i] = Assessment(True, reason, "model", sensitive, reason_s, kinds, score)
    return [r for r in results if r is not None]
