"""Match a post to the knowledge base by text similarity, with a threshold.

Character 1–3-gram TF-IDF over each entry's title, questions and keywords, cosine similarity
against the post; the best entry is a match only above the threshold, and the score is kept
so the reviewer sees how close it was (and "no match" is said plainly).
"""

from __future__ import annotations

from dataclasses import dataclass

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics.pairwise import linear_kernel

from forumbot.classify.normalize import clean
from forumbot.drafting.resources import KnowledgeEntry

DEFAULT_THRESHOLD = 0.3


@dataclass(frozen=True)
class KnowledgeMatch:
    entry: KnowledgeEntry
    score: float


class KnowledgeBase:
    def __init__(self, entries: tuple[KnowledgeEntry, ...], threshold: float = DEFAULT_THRESHOLD):
        self.entries = entries
        self.threshold = threshold
        documents = [
            clean(" ".join([e.title, *e.questions, *e.keywords, *e.keywords])) for e in entries
        ]
        self.vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)
        self.matrix = self.vectorizer.fit_transform(documents) if entries else None

    def best(self, text: str) -> KnowledgeMatch | None:
        """The closest entry whatever its score (None for an empty knowledge base)."""
        if self.matrix is None:
            return None
        scores = linear_kernel(self.vectorizer.transform([clean(text)]), self.matrix)[0]
        index = int(scores.argmax())
        return KnowledgeMatch(self.entries[index], round(float(scores[index]), 3))

    def match(self, text: str) -> KnowledgeMatch | None:
        """The closest entry if it is close enough to answer the post."""
        best = self.best(text)
        return best if best is not None and best.score >= self.threshold else None
