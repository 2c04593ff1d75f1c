"""The reply checker's second reader: a model of what the taboos mean, not how they are spelt.

The phrase rules of ``checker`` catch the wordings they list; sarcasm ("您可真是火眼金睛"),
judging the owner, arguing with their facts, pushing the matter elsewhere, empty promises,
promises beyond our control, admitting fault before the facts, made-up policies, echoed
personal data and cold boilerplate come in endless wordings. This model reads each sentence
of a reply and names the taboo it most resembles, with the sentence as the span.

Trained on ``data/checker/train*.jsonl``: replies labelled by hand, each bad one with the
exact bad span; sentences inside the span are examples of their taboo, every other sentence
an example of an acceptable one. Logistic regression over jieba words and character
2–4-grams. ``python train.py`` saves it as arrays in ``models/checker/`` with a digest of
those files; a process whose data no longer matches trains it in memory (seconds, logged).
A sentence scored at or above ``BLOCK_AT`` blocks approval;
from ``WARN_AT`` it is shown as a warning. Both thresholds were chosen by cross-validation on
the training set only; ``data/checker/heldout.jsonl`` and
``heldout2.jsonl``, written by two other writers, only measure.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from forumbot.classify import shipped
from forumbot.classify.linear_text import LinearTextModel
from forumbot.classify.normalize import clean
from forumbot.classify.shipped import digest_of
from forumbot.corpus import read_records
from forumbot.paths import CONFIG_DIR, DATA_DIR, MODELS_DIR, TEMPLATES_DIR

log = logging.getLogger(__name__)
CHECKER_DIR = DATA_DIR / "checker"
MODEL_DIR = MODELS_DIR / "checker"
KNOWLEDGE_FILE = CONFIG_DIR / "knowledge_base.toml"
BLOCK_AT = 0.9
WARN_AT = 0.6
OK = "ok"
SHORT_SENTENCE = 8
# Taboos the model may only warn about. Empty since the second training file: a made-up
# policy ("按规定超过三个月不能维修") blocks like the others (held-out: 0.67 -> 0.72 of bad
# replies blocked, good ones blocked unchanged), and the message asks for the rule's source.
WARN_ONLY: frozenset[str] = frozenset()
RANDOM_STATE = 20261203
_lock = threading.Lock()
_SENTENCE = re.compile(r"[^。！？!?；;\n]+[。！？!?；;\n]*")

MESSAGES = {
    "sarcasm": "这句话读起来像在讽刺或挖苦业主，请改成平实、诚恳的说法。",
    "judging_owner": "这句话像在评判或指责业主本人，请只说事实和我们会做什么。",
    "arguing": "这句话像在公开反驳业主；先核实，再用事实和关心回应，不要争辩。",
    "pushing_elsewhere": "这句话像把事情推给别的单位或部门，请说明我们自己如何跟进、何时回复。",
    "vague_promise": "这个承诺没有具体时间或下一步，请写明谁在什么时候做什么。",
    "promise_beyond_control": "这句话承诺了我们未必做得到的事，请只承诺自己能兑现的。",
    "admit_liability_early": "这句话在核实之前就承认了责任、原因或赔偿，请等部门核实后再下结论。",
    "made_up_policy": "这句话引用的规定可能并不存在：请写明出处（文件名称和条款），或去掉这句话。",
    "personal_data": "这句话可能公开了业主或他人的个人信息，请删去，改为私信沟通。",
    "cold_bureaucratic": "这句话冷淡、公式化，没有回应业主的具体问题。",
}


def sentences(text: str) -> list[tuple[int, int]]:
    """Where each sentence of ``text`` starts and ends (its closing punctuation included)."""
    return [m.span() for m in _SENTENCE.finditer(text) if m.group().strip()]


def labelled_sentences(example: dict[str, Any]) -> list[tuple[str, str]]:
    """A training reply as (sentence, taboo or "ok") pairs."""
    reply, span = example["reply"], example.get("span") or ""
    pairs = []
    for start, end in sentences(reply):
        sentence = reply[start:end]
        core = sentence.strip("。！？!?；;\n ")
        bad = example.get("bad") and span and (span in sentence or (core and core in span))
        pairs.append((sentence, str(example["taboo"]) if bad else OK))
    return pairs


class ReplyModel:
    """Each sentence's taboo probabilities (the arrays of a multinomial logistic regression)."""

    def __init__(self, linear: LinearTextModel):
        self.linear = linear
        self.classes = [str(c) for c in linear.classes_]
        self.arrays: dict[str, Any] = {}  # set when trained here, for saving

    @classmethod
    def fit(cls, examples: list[dict[str, Any]], c: float = 64.0) -> ReplyModel:
        """Train with scikit-learn (training only) and keep the arrays. C=64 by 5-fold
        cross-validation on the training replies (``bench/checker_tune.py``): at a 0.9 block
        threshold it blocked 0.77 of bad replies and 1.9% of good ones, against 0.74 and
        3.5% with C=16."""
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.pipeline import Pipeline, make_union

        from forumbot.classify.export import export_pipeline
        from forumbot.classify.tokenize import words

        pairs = [pair for e in examples for pair in labelled_sentences(e)]
        pipeline = Pipeline(
            [
                (
                    "features",
                    make_union(
                        TfidfVectorizer(
                            analyzer="char_wb", ngram_range=(2, 4), sublinear_tf=True, min_df=2
                        ),
                        TfidfVectorizer(analyzer=words, sublinear_tf=True),
                    ),
                ),
                (
                    "model",
                    LogisticRegression(
                        C=c, max_iter=3000, class_weight="balanced", random_state=RANDOM_STATE
                    ),
                ),
            ]
        )
        pipeline.fit([clean(s) for s, _ in pairs], [label for _, label in pairs])
        arrays = export_pipeline(pipeline)
        model = cls(LinearTextModel(arrays))
        model.arrays = arrays
        return model

    def read(self, text: str) -> list[tuple[int, int, str, float]]:
        """Each sentence's most likely taboo and how sure the model is that it is bad."""
        spans = sentences(text)
        if not spans:
            return []
        rows = self.linear.predict_proba([clean(text[s:e]) for s, e in spans])
        ok = self.classes.index(OK)
        out = []
        for (start, end), row in zip(spans, rows, strict=True):
            bad = 1.0 - float(row[ok])
            worst = max((i for i in range(len(row)) if i != ok), key=lambda i: row[i])
            out.append((start, end, self.classes[worst], bad))
        return out


def train_files() -> list[Path]:
    """``train.jsonl`` and any later ``train<N>.jsonl`` beside it, in name order."""
    return sorted(CHECKER_DIR.glob("train*.jsonl"))


def data_digest() -> str:
    """What a saved model was trained from: the labelled replies, and the source of the
    sentence splitting, the labelling of sentences and the features (not the whole module:
    a change to how findings are shown needs no retraining)."""
    import inspect

    code = "".join(inspect.getsource(f) for f in (sentences, labelled_sentences, ReplyModel.fit))
    return digest_of(train_files(), code + _SENTENCE.pattern)


def build(model_dir: Path = MODEL_DIR) -> dict[str, Any]:
    """Train on the current data and save the arrays with what they were trained from."""
    examples = training_replies()
    model = ReplyModel.fit(examples)
    return shipped.save(
        model_dir,
        model.arrays,
        data_digest(),
        replies=len(examples),
        bad_replies=sum(bool(e.get("bad")) for e in examples),
        files=[p.name for p in train_files()],
    )


@dataclass(frozen=True)
class MeaningHit:
    taboo: str
    score: float
    start: int
    end: int
    severity: str  # "block" or "warn"


def training_replies() -> list[dict[str, Any]]:
    """``train.jsonl`` and any later ``train<N>.jsonl`` beside it."""
    return [r for path in train_files() for r in read_records(path)]


@lru_cache(maxsize=1)
def trained() -> ReplyModel | None:
    """The shipped model, else one trained now; None (phrase rules only, logged) without
    data."""
    with _lock:
        linear = shipped.load_if_current(MODEL_DIR, data_digest(), "reply checker model")
        if linear is not None:
            return ReplyModel(linear)
        try:
            return ReplyModel.fit(training_replies())
        except OSError as exc:
            log.warning("reply model unavailable, phrase rules only: %s", exc)
            return None


def _knowledge_answers(path: Path) -> str:
    """Every answer of the knowledge base, normalised and joined (re-read when it changes)."""
    try:
        stamp = path.stat().st_mtime_ns
    except OSError:
        return ""
    return _answers_at(path, stamp)


@lru_cache(maxsize=4)
def _answers_at(path: Path, stamp: int) -> str:
    from forumbot.config import ConfigError
    from forumbot.drafting.resources import load_knowledge

    try:
        return "\n".join(clean(entry.answer) for entry in load_knowledge(path))
    except (OSError, ValueError, ConfigError) as exc:
        log.warning("knowledge base unreadable for the checker: %s", exc)
        return ""


def stated_in_knowledge_base(sentence: str, path: Path | None = None) -> bool:
    """Whether a rule the model doubts is one the centre's own knowledge base states: those
    are the approved answers, so "按规定" there is not made up."""
    core = _core(sentence)
    return len(core) >= SHORT_SENTENCE and core in _knowledge_answers(path or KNOWLEDGE_FILE)


_TOML_KEY = re.compile(r"^\s*[\w.]+\s*=\s*")
_JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.DOTALL)


def _template_sentences(directory: Path) -> frozenset[str]:
    """The literal sentences of the reply templates (no placeholder in them), normalised
    (re-read when a template file changes)."""
    try:
        stamps = tuple(sorted((p.name, p.stat().st_mtime_ns) for p in directory.glob("*.toml")))
    except OSError:
        return frozenset()
    return _template_sentences_at(directory, stamps)


@lru_cache(maxsize=4)
def _template_sentences_at(directory: Path, stamps: tuple[tuple[str, int], ...]) -> frozenset[str]:
    found: set[str] = set()
    for name, _ in stamps:
        try:
            source = (directory / name).read_text(encoding="utf-8")
        except OSError:
            continue
        for line in source.splitlines():
            if line.lstrip().startswith("#"):
                continue
            line = _TOML_KEY.sub("", line)  # 'injury = "…"' in a table of texts
            for piece in _JINJA.split(line):  # text between placeholders and tags
                literal = piece.strip().strip('[]", ')
                for start, end in sentences(literal):
                    core = _core(literal[start:end])
                    if len(core) >= SHORT_SENTENCE:
                        found.add(core)
    return frozenset(found)


def _core(sentence: str) -> str:
    return clean(sentence).strip("。！？!?；;,， \n")


def approved_wording(sentence: str, templates: Path = TEMPLATES_DIR) -> bool:
    """Whether ``sentence`` is the centre's own approved wording: a sentence of the reply
    templates or of a knowledge-base answer. The model does not second-guess those (it took
    the templates' "希望以上说明对您有帮助。" for judging the owner); the phrase rules still
    read them."""
    core = _core(sentence)
    return core in _template_sentences(templates) or stated_in_knowledge_base(sentence)


def meaning_hits(text: str, model: ReplyModel | None = None) -> list[MeaningHit]:
    """Sentences of ``text`` the model takes for a taboo, with block or warn."""
    model = model or trained()
    if model is None:
        return []
    hits = []
    read = model.read(text)
    # Boilerplate is a whole reply with nothing else in it, not one polite line before the
    # substance: it counts only when no sentence of some length reads as acceptable.
    all_hollow = all(
        score >= WARN_AT or len(text[start:end].strip()) < SHORT_SENTENCE
        for start, end, _, score in read
    )
    for start, end, taboo, score in read:
        if taboo == "cold_bureaucratic" and not all_hollow:
            continue
        if score >= WARN_AT and approved_wording(text[start:end]):
            continue
        if score >= WARN_AT:
            block = score >= BLOCK_AT and taboo not in WARN_ONLY
            severity = "block" if block else "warn"
            trimmed_end = end - (len(text[start:end]) - len(text[start:end].rstrip()))
            hits.append(MeaningHit(taboo, score, start, trimmed_end, severity))
    return hits
