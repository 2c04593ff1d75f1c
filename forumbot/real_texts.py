"""Real public texts in data/real: the ones whose licence lets the shipped model train on them,
and the validation set, rebuilt from sources we may not redistribute.

Training: ``swsr_train_*.jsonl`` (MIT, aggiejiang/SWSR): Weibo comments labelled by us,
real people's names masked, the few that stay identifying marked ``drop`` and left out.
Validation: ``labels/validation_*.jsonl`` holds only ids and our labels; the texts come from
``cache/validation_pool.jsonl``, which ``data/real/build.py`` rebuilds from the recorded
commits of the source repositories (``data/real/SOURCES.md``) and which is never committed.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from forumbot.classify.labels import LABELS
from forumbot.corpus import CorpusError, Example, read_records
from forumbot.paths import DATA_DIR

REAL_DIR = DATA_DIR / "real"


@dataclass(frozen=True)
class RealText:
    id: str
    source: str
    text: str
    label: str
    sure: bool


def training_examples(real_dir: Path = REAL_DIR) -> list[Example]:
    """The licensed real texts, as opening posts with no title."""
    examples = []
    for path in sorted(real_dir.glob("swsr_train_*.jsonl")):
        for record in read_records(path):
            if record.get("drop"):
                continue
            if record.get("label") not in LABELS:
                raise CorpusError(f"{path}: unknown label {record.get('label')!r}")
            examples.append(
                Example(raw=record["text"], title=None, post_number=1, label=record["label"])
            )
    return examples


def validation_set(real_dir: Path = REAL_DIR) -> list[RealText]:
    """Our labels joined to the rebuilt texts; CorpusError saying how to rebuild them."""
    pool_path = real_dir / "cache" / "validation_pool.jsonl"
    if not pool_path.exists():
        raise CorpusError(
            f"{pool_path} is missing: rebuild it with 'python data/real/build.py --repos DIR' "
            "(the source repositories and commits are in data/real/SOURCES.md)"
        )
    texts = {r["id"]: r for r in read_records(pool_path)}
    found = []
    for path in sorted((real_dir / "labels").glob("validation_*.jsonl")):
        for record in read_records(path):
            source = texts.get(record["id"])
            if source is None:
                raise CorpusError(f"{path}: {record['id']} is not in {pool_path}; rebuild it")
            found.append(
                RealText(
                    record["id"],
                    source["source"],
                    source["text"],
                    record["label"],
                    bool(record.get("sure", True)),
                )
            )
    return found
