"""Match a question to the knowledge base: find the candidates, then judge whether the best
one really answers it.

Owners rarely use an entry's own words ("物业费能在手机上交吗" against "物业费的缴纳方式"), and
many questions come close to an entry without being answered by it (a parcel-station
suggestion is not the parcel-locker fee entry; "我们小区什么时候交房" is not the hand-over
procedure). So matching is two steps:

1. candidates: the five entries closest to the post by character n-grams (title, questions,
   keywords and answer), jieba words, and the closest of the entry's own sample questions;
2. a judge: logistic regression over those similarities, how many of the entry's keywords
   the post contains, the margin to the next candidate, and whether the post is a suggestion
   or asks about one community's own facts. It is trained on owners' questions labelled with
   the entry that answers them or none (``data/kb_questions/tune.jsonl``), and gives the
   probability that the candidate answers the post. That probability is the score the
   reviewer sees and ``drafting.kb_threshold`` applies to.

``bench/drafting.py`` measures precision and recall of direct answers on
``data/kb_questions/test.jsonl``, written apart from both the entries and the tune set.
Without the labelled questions the score is the plain similarity of step 1.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from forumbot.classify.normalize import clean
from forumbot.classify.vector_space import Logistic, SparseDocuments, fit_tfidf
from forumbot.corpus import read_records
from forumbot.drafting.resources import KnowledgeEntry
from forumbot.paths import DATA_DIR

log = logging.getLogger(__name__)
DEFAULT_THRESHOLD = 0.4
LABELLED_QUESTIONS = DATA_DIR / "kb_questions" / "tune.jsonl"
CANDIDATES = 5
SUGGESTION = re.compile(
    r"建议|希望(?:增加|增设|能|可以)|能不能(?:增|加|设|建|装)|提个意见|设个|弄个|搞个|增设"
)
OWN_FACTS = re.compile(
    r"我们小区|我家|我们家|我们楼|这栋|\d+栋|\d+号楼|进度|到底什么时候|啥时候|为什么还没|怎么还没|几号"
    # one's own matter, a complaint put as a question: "打算怎么处理？我的车也泡了"
    r"|打算怎么|怎么处理|谁负责|谁来负责|谁赔|我的车|我的房|赔偿"
)


@dataclass(frozen=True)
class KnowledgeMatch:
    entry: KnowledgeEntry
    score: float


class KnowledgeBase:
    """The knowledge base as the drafter asks it: ``best`` and ``match`` at a threshold."""

    def __init__(
        self,
        entries: tuple[KnowledgeEntry, ...],
        threshold: float = DEFAULT_THRESHOLD,
        labelled: Path | None = LABELLED_QUESTIONS,
    ):
        self.entries = entries
        self.threshold = threshold
        self.labelled = labelled

    @property
    def index(self) -> _Index | None:
        """Built at first use (a second or so), so that a command that never matches a
        question never pays for it."""
        return _index(self.entries, self.labelled) if self.entries else None

    def best(self, text: str) -> KnowledgeMatch | None:
        """The candidate most likely to answer ``text``, with that likelihood (None for an
        empty knowledge base)."""
        return self.best_many([text])[0]

    def best_many(self, texts: list[str]) -> list[KnowledgeMatch | None]:
        """:meth:`best` for many texts at once (one pass through the vectorisers)."""
        index = self.index
        return index.best_many(texts) if index is not None else [None] * len(texts)

    def score_for(self, text: str, entry_id: str) -> float | None:
        """The likelihood that one given entry answers ``text``, on the scale of ``best``."""
        return self.index.score_for(text, entry_id) if self.index is not None else None

    def answers(self, best: KnowledgeMatch | None) -> bool:
        """Whether a :meth:`best` candidate is likely enough to answer its post directly (the
        one test of the threshold: the style, the drafter and the admin's preview agree)."""
        return best is not None and best.score >= self.threshold

    def match(self, text: str) -> KnowledgeMatch | None:
        """The closest entry if it is likely enough to answer the post."""
        best = self.best(text)
        return best if self.answers(best) else None


@lru_cache(maxsize=8)
def _index(entries: tuple[KnowledgeEntry, ...], labelled: Path | None) -> _Index:
    """Built once per version of the entries (the drafter is rebuilt when an admin edits a
    file; the judge's training takes about a second)."""
    return _Index(entries, labelled)


class _Index:
    def __init__(self, entries: tuple[KnowledgeEntry, ...], labelled: Path | None):
        self.entries = entries
        self.judge: Logistic | None = None
        documents = [
            clean(" ".join([e.title, *e.questions, *e.keywords, e.answer])) for e in entries
        ]
        self.chars = fit_tfidf("char_wb", documents, 1, 3)
        self.all = SparseDocuments(self.chars, documents)
        self.titles = SparseDocuments(self.chars, [clean(e.title) for e in entries])
        self.answers = SparseDocuments(self.chars, [clean(e.answer) for e in entries])
        samples = [(k, clean(q)) for k, e in enumerate(entries) for q in e.questions]
        self.sample_owner = np.array([k for k, _ in samples], dtype=np.int64)
        self.samples = SparseDocuments(self.chars, [q for _, q in samples]) if samples else None
        self.word_docs = SparseDocuments(fit_tfidf("words", documents), documents)
        self.keywords = [[clean(w) for w in e.keywords] for e in entries]
        if labelled is not None:
            self.judge = self._train(labelled)

    # -- step 1: candidates and their features ------------------------------------------------
    def _similarities(self, text: str) -> dict[str, Any]:
        return self._similarities_many([text])[0]

    def _similarities_many(self, texts: list[str]) -> list[dict[str, Any]]:
        q = self.chars.batch(texts)
        whole = self.all.against(*q, len(texts))
        title = self.titles.against(*q, len(texts))
        answer = self.answers.against(*q, len(texts))
        by_words = self.word_docs.similarities(texts)
        to_samples = self.samples.against(*q, len(texts)) if self.samples is not None else None
        found_all = []
        for r in range(len(texts)):
            sample = np.zeros(len(self.entries))
            if to_samples is not None:
                np.maximum.at(sample, self.sample_owner, to_samples[r])
            found = {
                "whole": whole[r],
                "title": title[r],
                "answer": answer[r],
                "sample": sample,
                "words": by_words[r],
            }
            found["combined"] = found["whole"] + found["words"] + sample
            found["order"] = np.argsort(-found["combined"])
            found_all.append(found)
        return found_all

    def _row(self, text: str, found: dict[str, Any], k: int) -> list[float]:
        order, combined = found["order"], found["combined"]
        rank = int(np.where(order == k)[0][0])
        other = order[1] if rank == 0 and len(order) > 1 else order[0]
        hits = sum(1 for w in self.keywords[k] if w and w in text)
        return [
            found["whole"][k],
            found["title"][k],
            found["answer"][k],
            found["sample"][k],
            found["words"][k],
            hits / max(len(self.keywords[k]), 1),
            float(min(rank, CANDIDATES)),
            combined[k] - combined[other],
            float(bool(SUGGESTION.search(text))),
            float(bool(OWN_FACTS.search(text))),
        ]

    def _features(self, text: str) -> list[tuple[int, list[float]]]:
        return self._features_many([text])[0]

    def _features_many(self, texts: list[str]) -> list[list[tuple[int, list[float]]]]:
        return [
            [(int(k), self._row(text, found, int(k))) for k in found["order"][:CANDIDATES]]
            for text, found in zip(texts, self._similarities_many(texts), strict=True)
        ]

    def score_for(self, text: str, entry_id: str) -> float | None:
        """The likelihood that one given entry answers ``text`` (the admin's preview)."""
        ids = [e.id for e in self.entries]
        if entry_id not in ids:
            return None
        clean_text = clean(text)
        row = self._row(clean_text, self._similarities(clean_text), ids.index(entry_id))
        if self.judge is None:
            return round(float(row[0]), 3)
        return round(float(self.judge.predict_proba(np.array([row]))[0, 1]), 3)

    # -- step 2: the judge --------------------------------------------------------------------
    def _train(self, path: Path) -> Logistic | None:
        try:
            questions = read_records(path)
        except OSError as exc:
            log.warning("knowledge base judge unavailable, similarity only: %s", exc)
            return None
        rows, labels = [], []
        texts = [clean(f"{q.get('title') or ''} 。 {q['raw']}") for q in questions]
        for question, candidates in zip(questions, self._features_many(texts), strict=True):
            for k, features in candidates:
                rows.append(features)
                labels.append(int(self.entries[k].id == question.get("entry")))
        if len(set(labels)) < 2:
            return None
        # Linear, so a closer match never scores lower: trees learnt from paraphrases alone
        # turned against a question worded almost like the entry (none in the tune set).
        return Logistic.fit(np.array(rows), np.array(labels, dtype=np.float64), c=1.0)

    def best_many(self, texts: list[str]) -> list[KnowledgeMatch | None]:
        if not texts:
            return []
        candidates = self._features_many([clean(t) for t in texts])
        if self.judge is None:
            return [
                KnowledgeMatch(self.entries[rows[0][0]], round(float(rows[0][1][0]), 3))
                for rows in candidates
            ]
        flat = np.array([f for rows in candidates for _, f in rows])
        scores = self.judge.predict_proba(flat)[:, 1]
        matches: list[KnowledgeMatch | None] = []
        start = 0
        for rows in candidates:
            mine = scores[start : start + len(rows)]
            start += len(rows)
            i = int(np.argmax(mine))
            matches.append(KnowledgeMatch(self.entries[rows[i][0]], round(float(mine[i]), 3)))
        return matches
