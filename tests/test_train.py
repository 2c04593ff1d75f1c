"""train.py: reports, model card, promotion only when not worse, --force and --rollback."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
import train
from forumbot.classify.labels import LABELS
from forumbot.classify.persist import load_current, read_pointer
from forumbot.paths import CORPUS_DIR


def small_corpus(path: Path, per_label: int, *, scramble: bool = False) -> Path:
    """A corpus of the first posts of each label; ``scramble`` gives train random labels."""
    path.mkdir(parents=True, exist_ok=True)
    rng = random.Random(1)
    for split, n in (("train", per_label), ("dev", 12)):
        text = (CORPUS_DIR / f"{split}.jsonl").read_text(encoding="utf-8")
        rows = [json.loads(line) for line in text.splitlines()]
        kept = []
        for label in LABELS:
            kept += [r for r in rows if r["label"] == label][:n]
        if scramble and split == "train":
            for r in kept:
                r["label"] = rng.choice(LABELS)
        (path / f"{split}.jsonl").write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in kept), encoding="utf-8"
        )
    return path


def run(tmp_path: Path, corpus: Path, *extra: str) -> int:
    return train.main(["--corpus", str(corpus), "--models", str(tmp_path / "models"), *extra])


def test_train_writes_a_version_and_promotes_it(tmp_path, capsys):
    assert run(tmp_path, small_corpus(tmp_path / "c", 40), "--version", "v1") == 0
    out = capsys.readouterr().out
    assert "== dev split ==" in out and "== 5-fold cross-validation (train) ==" in out
    assert "confusion (rows: true, columns: predicted)" in out
    assert "promoted v1" in out
    version = tmp_path / "models" / "v1"
    for name in (
        "model.npz",
        "metadata.json",
        "metrics.json",
        "confusion_dev.png",
        "MODEL_CARD.md",
    ):
        assert (version / name).exists(), name
    card = (version / "MODEL_CARD.md").read_text(encoding="utf-8")
    assert "data hash" in card and "scikit-learn" in card
    assert load_current(tmp_path / "models").version == "v1"


def test_worse_model_is_not_promoted_unless_forced_and_rollback(tmp_path, capsys):
    good = small_corpus(tmp_path / "good", 40)
    bad = small_corpus(tmp_path / "bad", 40, scramble=True)
    run(tmp_path, good, "--version", "good")
    assert run(tmp_path, bad, "--version", "bad") == 0
    assert "not promoted" in capsys.readouterr().out
    assert read_pointer(tmp_path / "models")["version"] == "good"
    run(tmp_path, bad, "--version", "bad2", "--force")
    assert read_pointer(tmp_path / "models")["version"] == "bad2"
    assert run(tmp_path, good, "--rollback") == 0
    assert read_pointer(tmp_path / "models")["version"] == "good"


def test_unreadable_corpus_is_one_line(tmp_path, capsys):
    corpus = tmp_path / "c"
    corpus.mkdir()
    (corpus / "train.jsonl").write_text('{"raw": "x", "label": "nonsense"}\n', encoding="utf-8")
    (corpus / "dev.jsonl").write_text("", encoding="utf-8")
    assert run(tmp_path, corpus) == 2
    assert "unknown label 'nonsense'" in capsys.readouterr().err


@pytest.mark.parametrize("missing", ["train"])
def test_missing_corpus_file(tmp_path, capsys, missing):
    assert run(tmp_path, tmp_path / "nowhere") == 2
    assert "nowhere" in capsys.readouterr().err
