"""TF-IDF fitted on a few documents, cosine similarity against them, and a small logistic
regression: what the knowledge-base match needs, in numpy.

Why not scikit-learn here: the match is rebuilt whenever an admin edits the knowledge base,
and every command that may answer a question builds it. Importing scikit-learn and fitting
its vectorisers took about a second of each such start; the arithmetic is short. It follows
scikit-learn's definitions (smooth idf, sublinear tf, L2 rows; L2-penalised logistic loss
with a free intercept), so scores keep their meaning.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from forumbot.classify.linear_text import FeaturePart


def fit_tfidf(analyzer: str, documents: Sequence[str], low: int = 1, high: int = 1) -> FeaturePart:
    """A vocabulary TF-IDF block fitted on ``documents`` (``analyzer``: "words" or
    "char_wb"), with scikit-learn's smooth idf and sublinear tf."""
    probe = FeaturePart(analyzer, low, high, 0, np.zeros(0), True)
    document_frequency: dict[str, int] = {}
    for document in documents:
        for token in set(probe.tokens(document)):
            document_frequency[token] = document_frequency.get(token, 0) + 1
    terms = sorted(document_frequency)
    df = np.array([document_frequency[t] for t in terms], dtype=np.float64)
    idf = np.log((1.0 + len(documents)) / (1.0 + df)) + 1.0
    vocabulary = {term: column for column, term in enumerate(terms)}
    return FeaturePart(analyzer, low, high, len(terms), idf, True, vocabulary)


class SparseDocuments:
    """Documents' TF-IDF rows, stored by column, to take cosine similarities of many
    queries at once."""

    def __init__(self, part: FeaturePart, documents: Sequence[str]):
        self.part = part
        self.count = len(documents)
        row, col, value = part.batch(documents)
        order = np.argsort(col, kind="stable")
        self.doc = row[order]
        self.value = value[order]
        self.starts = np.searchsorted(col[order], np.arange(part.n_features + 1))

    def similarities(self, texts: Sequence[str]) -> np.ndarray:
        """(len(texts), documents) cosine similarities (rows are L2-normalised)."""
        return self.against(*self.part.batch(texts), len(texts))

    def against(
        self, row: np.ndarray, col: np.ndarray, value: np.ndarray, queries: int
    ) -> np.ndarray:
        """Similarities of queries already vectorised by ``self.part``."""
        first, last = self.starts[col], self.starts[col + 1]
        spans = last - first
        total = int(spans.sum())
        out = np.zeros(queries * self.count)
        if total:
            entry = np.repeat(np.arange(len(col)), spans)
            offset = np.arange(total) - np.repeat(np.cumsum(spans) - spans, spans)
            position = first[entry] + offset
            out = np.bincount(
                row[entry] * self.count + self.doc[position],
                weights=value[entry] * self.value[position],
                minlength=queries * self.count,
            )
        return out.reshape(queries, self.count)


class Logistic:
    """Binary logistic regression, L2-penalised (``C`` as scikit-learn's) with a free
    intercept, fitted by Newton's method: the same optimum scikit-learn's lbfgs looks for."""

    def __init__(self, coef: np.ndarray, intercept: float):
        self.coef = coef
        self.intercept = intercept

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, c: float = 1.0, rounds: int = 100) -> Logistic:
        rows, width = x.shape
        design = np.hstack([x, np.ones((rows, 1))])
        penalty = np.ones(width + 1)
        penalty[-1] = 0.0  # the intercept is not shrunk
        w = np.zeros(width + 1)
        for _ in range(rounds):
            p = 1.0 / (1.0 + np.exp(-(design @ w)))
            gradient = c * design.T @ (p - y) + penalty * w
            hessian = c * (design.T * (p * (1.0 - p))) @ design + np.diag(penalty)
            step = np.linalg.solve(hessian + 1e-12 * np.eye(width + 1), gradient)
            w -= step
            if np.max(np.abs(step)) < 1e-10:
                break
        return cls(w[:-1], float(w[-1]))

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        positive = 1.0 / (1.0 + np.exp(-(np.asarray(x) @ self.coef + self.intercept)))
        return np.column_stack([1.0 - positive, positive])
