"""A trained text model as plain arrays: hashed word and character n-grams, TF-IDF, a linear
layer and its calibration, scored with numpy alone.

Why not load the scikit-learn pipeline: importing scikit-learn (and the scipy.stats it pulls
in) and unpacking a pipeline safely costs about 1.5 s before the first post, four times what
jieba's dictionary costs; and scikit-learn's input checks per call made the command line pay
per post. The arithmetic of a hashed linear model is short enough to do here, and a test
holds it to scikit-learn's own ``predict_proba`` on the same posts (``tests/test_linear_text``).
A model file is a numpy ``.npz`` read with ``allow_pickle=False``: numbers and strings, never
code. ``forumbot.classify.export`` writes it from a fitted pipeline at training time.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import repeat
from pathlib import Path
from typing import Any

import mmh3
import numpy as np

from forumbot.classify.tokenize import words

_WHITE_SPACES = re.compile(r"\s\s+")
ANALYZERS: dict[str, Callable[[str], list[str]]] = {}


def char_wb_ngrams(text: str, low: int, high: int) -> tuple[str, ...]:
    """scikit-learn's ``char_wb`` n-grams (lowercased, inside words, padded with a space).

    The classifier and the urgency model read the same text with the same n-grams, so the
    n-grams of recent short texts are remembered (a batch computes them once)."""
    if len(text) <= _CACHED_CHARS:
        return _char_wb_cached(text, low, high)
    return tuple(_char_wb(text, low, high))


_CACHED_CHARS = 2000


@lru_cache(maxsize=2048)
def _char_wb_cached(text: str, low: int, high: int) -> tuple[str, ...]:
    return tuple(_char_wb(text, low, high))


def _char_wb(text: str, low: int, high: int) -> list[str]:
    text = _WHITE_SPACES.sub(" ", text.lower())
    grams: list[str] = []
    append = grams.append
    for word in text.split():
        w = f" {word} "
        size = len(w)
        for n in range(low, high + 1):
            append(w[:n])
            for offset in range(1, size - n + 1):
                append(w[offset : offset + n])
            if size <= n:  # a word no longer than n counts once, whole
                break
    return grams


@dataclass(frozen=True)
class FeaturePart:
    """One hashed TF-IDF block: which tokens, how many buckets, their idf."""

    analyzer: str  # "words" (jieba) or "char_wb"
    low: int
    high: int
    n_features: int
    idf: np.ndarray
    sublinear_tf: bool
    # A fitted vocabulary (token -> column) instead of hashing, when the model has one.
    vocabulary: dict[str, int] | None = None

    def column(self, token: str) -> int | None:
        if self.vocabulary is not None:
            return self.vocabulary.get(token)
        return abs(mmh3.hash(token, 0)) % self.n_features

    def tokens(self, text: str) -> Sequence[str]:
        if self.analyzer == "words":
            return words(text)
        return char_wb_ngrams(text, self.low, self.high)

    def batch(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(row, column, L2-normalised TF-IDF weight) of every text's features: Python only
        tokenises and hashes (or looks up) each token; counting and arithmetic are numpy's,
        once for the batch."""
        codes: list[int] = []
        lengths: list[int] = []
        vocabulary = self.vocabulary
        for text in texts:
            tokens = self.tokens(text)
            lengths.append(len(tokens))
            if vocabulary is not None:
                codes.extend(map(vocabulary.get, tokens, repeat(-1)))
            else:
                codes.extend(map(mmh3.hash, tokens))
        code = np.array(codes, dtype=np.int64)
        owner = np.repeat(np.arange(len(texts), dtype=np.int64), lengths)
        if vocabulary is not None:
            keep = code >= 0  # tokens the vocabulary does not know are dropped
            code, owner = code[keep], owner[keep]
        else:
            code = np.abs(code) % self.n_features  # scikit-learn's HashingVectorizer buckets
        keys, counts = np.unique(owner * self.n_features + code, return_counts=True)
        row, col = keys // self.n_features, keys % self.n_features
        tf = counts.astype(np.float64)
        if self.sublinear_tf and len(tf):
            tf = np.log(tf) + 1.0
        weights = tf * self.idf[col] if len(col) else tf
        norms = np.sqrt(np.bincount(row, weights=weights * weights, minlength=len(texts)))
        scale = norms[row] if len(row) else norms[:0]
        return row, col, np.divide(weights, scale, out=weights.copy(), where=scale > 0)

    def vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """One text's columns and weights."""
        _, col, weights = self.batch([text])
        return col, weights


class LinearTextModel:
    """``predict_proba`` and ``predict`` over raw texts, like the pipeline it came from."""

    def __init__(self, arrays: dict[str, np.ndarray]):
        self.kind = str(arrays["kind"])
        self.classes_ = np.array([str(c) for c in arrays["classes"]])
        self.coef = np.asarray(arrays["coef"], dtype=np.float64)
        self.intercept = np.asarray(arrays["intercept"], dtype=np.float64)
        self.calib_a = np.asarray(arrays.get("calib_a", np.zeros(0)), dtype=np.float64)
        self.calib_b = np.asarray(arrays.get("calib_b", np.zeros(0)), dtype=np.float64)
        self.parts: list[FeaturePart] = []
        for i, spec in enumerate(np.asarray(arrays["parts"]).tolist()):
            analyzer, low, high, n_features, sublinear = str(spec).split(":")
            terms = arrays.get(f"vocab{i}")
            self.parts.append(
                FeaturePart(
                    analyzer,
                    int(low),
                    int(high),
                    int(n_features),
                    np.asarray(arrays[f"idf{i}"], dtype=np.float64),
                    sublinear == "1",
                    None if terms is None else {str(t): j for j, t in enumerate(terms.tolist())},
                )
            )
        width = sum(p.n_features for p in self.parts)
        if self.coef.shape[1] != width or self.coef.shape[0] != len(self.intercept):
            raise ValueError(f"model arrays disagree: coef {self.coef.shape}, features {width}")

    @classmethod
    def load(cls, path: Path) -> LinearTextModel:
        with np.load(path, allow_pickle=False) as data:
            return cls({key: data[key] for key in data.files})

    def sparse_rows(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All texts' features as (row of each entry, column, value)."""
        rows, cols, vals = [], [], []
        offset = 0
        for part in self.parts:
            row, col, weights = part.batch(texts)
            rows.append(row)
            cols.append(col + offset)
            vals.append(weights)
            offset += part.n_features
        return np.concatenate(rows), np.concatenate(cols), np.concatenate(vals)

    def decision_function(self, texts: Sequence[str]) -> np.ndarray:
        rows, cols, vals = self.sparse_rows(texts)
        scores = np.tile(self.intercept, (len(texts), 1))
        if len(rows):
            contributions = self.coef[:, cols] * vals  # (classes, entries)
            for c in range(scores.shape[1]):
                scores[:, c] += np.bincount(rows, weights=contributions[c], minlength=len(texts))
        return scores

    def predict_proba(self, texts: Sequence[str]) -> np.ndarray:
        scores = self.decision_function(texts)
        if self.kind == "logistic":  # binary: one weight row for the second class
            positive = 1.0 / (1.0 + np.exp(-scores[:, 0]))
            return np.column_stack([1.0 - positive, positive])
        if self.kind == "softmax":  # multinomial logistic regression
            shifted = np.exp(scores - scores.max(axis=1, keepdims=True))
            return shifted / shifted.sum(axis=1, keepdims=True)
        proba = 1.0 / (1.0 + np.exp(self.calib_a * scores + self.calib_b))
        total = proba.sum(axis=1, keepdims=True)
        uniform = np.full_like(proba, 1.0 / proba.shape[1])
        proba = np.divide(proba, total, out=uniform, where=total != 0)
        proba[(proba > 1.0) & (proba <= 1.0 + 1e-5)] = 1.0
        return proba

    def predict(self, texts: Sequence[str]) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(texts), axis=1)]

    def strongest_tokens(self, text: str, part: int = 0, top: int = 2) -> list[str]:
        """For a binary model: the tokens of ``part`` that pushed ``text`` most towards the
        second class, strongest first (the reason shown to an agent)."""
        feature = self.parts[part]
        offset = sum(p.n_features for p in self.parts[:part])
        tokens = sorted(set(feature.tokens(text)), key=lambda t: (-len(t), t))
        index, weights = feature.vector(text)
        weight_of = dict(zip(index.tolist(), weights.tolist(), strict=True))
        scored = []
        for token in tokens:
            bucket = feature.column(token)
            if bucket is None:
                continue
            push = self.coef[0, offset + bucket] * weight_of.get(bucket, 0.0)
            if push > 0 and len(token.strip()) >= 2:
                scored.append((push, token.strip()))
        scored.sort(key=lambda pair: -pair[0])
        return [token for _, token in scored[:top]]


def save_arrays(path: Path, arrays: dict[str, Any]) -> None:
    """Write a model's arrays (compressed); the caller records the file's checksum."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as stream:
        np.savez_compressed(stream, **arrays)
