"""Choose the reply style for a labelled post (the policy in config/style_policy.toml).

Rules are tried in order and the first whose conditions all hold decides; otherwise the
label's default applies. Pure: text in, decision out, with the rule and reason to show.
"""

from __future__ import annotations

from dataclasses import dataclass

from forumbot.classify.labels import is_valid
from forumbot.drafting.resources import PolicyRule


@dataclass(frozen=True)
class StyleDecision:
    style: str
    rule: str
    reason: str


def _applies(rule: PolicyRule, label: str, text: str, kb_matched: bool) -> bool:
    if label not in rule.labels:
        return False
    if rule.when == "kb_match" and not kb_matched:
        return False
    if rule.when == "no_kb_match" and kb_matched:
        return False
    conditions = []
    if rule.keywords:
        hits = sum(map(text.__contains__, rule.keywords))  # keywords are lower case
        conditions.append(hits >= rule.min_hits)
    if rule.min_exclamations is not None:
        conditions.append(text.count("!") >= rule.min_exclamations)
    if rule.keywords and rule.min_exclamations is not None:
        return any(conditions)  # either strong words or a string of exclamation marks
    return all(conditions)


def uses_knowledge_base(label: str, rules: tuple[PolicyRule, ...]) -> bool:
    """Whether any rule for ``label`` asks if the knowledge base answers the post: only then
    is the (comparatively slow) match worth making."""
    return any(label in r.labels and r.when in ("kb_match", "no_kb_match") for r in rules)


def choose_style(
    label: str,
    text: str,
    *,
    kb_matched: bool,
    defaults: dict[str, str],
    rules: tuple[PolicyRule, ...],
) -> StyleDecision | None:
    """The style for a valid label (None for invalid posts, which get no public reply).

    ``text`` is the normalised post (simplified, lower case, NFKC: "!" for "！").
    """
    if not is_valid(label):
        return None
    for rule in rules:
        if _applies(rule, label, text, kb_matched):
            return StyleDecision(rule.style, rule.name, rule.reason)
    return StyleDecision(defaults[label], "default", f"{label} 的默认回复方式")
