"""Reply styles for labelled posts without drafting them (``forumbot classify``'s ``style``).

The policy file alone decides most styles; the knowledge base is asked only for the labels
whose rules depend on it (inquiries: is there an entry that answers?), and for all of those
posts in one pass. Building the knowledge base's index costs about a second, which a command
that labels one complaint should not pay.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from forumbot.classify.normalize import clean
from forumbot.drafting.knowledge import DEFAULT_THRESHOLD, KnowledgeBase
from forumbot.drafting.policy import choose_style, uses_knowledge_base
from forumbot.drafting.resources import load_knowledge, load_policy
from forumbot.paths import CONFIG_DIR


def search_text(raw: str, title: str | None, post_number: int | None) -> str:
    """What the knowledge base is asked: the title too for an opening post."""
    text = clean(raw)
    return f"{clean(title or '')} {text}" if (post_number or 1) <= 1 else text


class StyleChooser:
    def __init__(self, config_dir: Path = CONFIG_DIR, kb_threshold: float = DEFAULT_THRESHOLD):
        self.config_dir = config_dir
        self.kb_threshold = kb_threshold
        self.defaults, self.rules = load_policy(config_dir / "style_policy.toml")
        self._kb: KnowledgeBase | None = None

    @property
    def kb(self) -> KnowledgeBase:
        if self._kb is None:
            entries = load_knowledge(self.config_dir / "knowledge_base.toml")
            self._kb = KnowledgeBase(entries, self.kb_threshold)
        return self._kb

    def styles(
        self, posts: Sequence[tuple[str, str | None, int | None]], labels: Sequence[str]
    ) -> list[str | None]:
        """The policy's style for each (raw, title, post_number) with its label; None for
        invalid labels."""
        asks = [i for i, label in enumerate(labels) if uses_knowledge_base(label, self.rules)]
        matched: dict[int, bool] = {}
        if asks:
            found = self.kb.best_many([search_text(*posts[i]) for i in asks])
            for i, best in zip(asks, found, strict=True):
                matched[i] = self.kb.answers(best)
        styles: list[str | None] = []
        for i, ((raw, _title, _number), label) in enumerate(zip(posts, labels, strict=True)):
            decision = choose_style(
                label,
                clean(raw),
                kb_matched=matched.get(i, False),
                defaults=self.defaults,
                rules=self.rules,
            )
            styles.append(decision.style if decision else None)
        return styles
