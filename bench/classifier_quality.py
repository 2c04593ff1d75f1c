"""Classifier quality on the corpus's dev split and on real public texts no one here wrote
(data/real: labelled by us, texts rebuilt by data/real/build.py), for the shipped model and
for fastText trained on the same data with the same jieba tokens. Prints one JSON line.

Real-text figures: macro-F1 over the labels present, abuse recall, the share of texts labelled
wrongly without ``needs_review`` (goal <= 0.03) and the share sent to review (goal <= 0.30).
Goals (issue 12): macro-F1 >= 0.85 on real texts, >= 0.95 on dev; abuse recall >= 0.95.

    python bench/classifier_quality.py            # everything (fastText cross-validation too)
    python bench/classifier_quality.py --quick    # the shipped model only
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import Counter
from pathlib import Path

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, recall_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from forumbot.classify.classifier import Classifier, PostInput
from forumbot.classify.labels import LABELS
from forumbot.classify.model import RANDOM_STATE, build_pipeline
from forumbot.classify.normalize import model_text
from forumbot.classify.persist import load_version
from forumbot.classify.tokenize import words
from forumbot.corpus import Example, load_split, load_training
from forumbot.real_texts import validation_set


def texts(examples: list[Example]) -> list[str]:
    return [model_text(e.raw, e.title, e.post_number) for e in examples]


def fasttext_predict(train_x: list[str], train_y: list[str], test_x: list[str]) -> list[str]:
    import fasttext

    with tempfile.NamedTemporaryFile("w", suffix=".txt", encoding="utf-8", delete=False) as fh:
        for text, label in zip(train_x, train_y, strict=True):
            fh.write(f"__label__{label} {' '.join(words(text))}\n")
        path = fh.name
    model = fasttext.train_supervised(
        path,
        epoch=30,
        lr=0.5,
        wordNgrams=2,
        dim=100,
        minCount=1,
        seed=RANDOM_STATE,
        thread=1,
        verbose=0,
    )
    Path(path).unlink()
    out = []
    for text in test_x:
        # model.f.predict avoids fastText's numpy<2 wrapper; the top label is all we need.
        [(_, label)] = model.f.predict(" ".join(words(text)) + "\n", 1, 0.0, "strict")
        out.append(label.removeprefix("__label__"))
    return out


def fasttext_cv(x: list[str], y: list[str]) -> float:
    folds = StratifiedKFold(5, shuffle=True, random_state=RANDOM_STATE)
    predicted = np.empty(len(y), dtype=object)
    for train_idx, test_idx in folds.split(x, y):
        predicted[test_idx] = fasttext_predict(
            [x[i] for i in train_idx], [y[i] for i in train_idx], [x[i] for i in test_idx]
        )
    return float(f1_score(y, list(predicted), average="macro"))


def macro_f1(truth: list[str], said: list[str]) -> float:
    return round(float(f1_score(truth, said, labels=sorted(set(truth)), average="macro")), 4)


def abuse_recall(truth: list[str], said: list[str]) -> float:
    return round(float(recall_score(truth, said, labels=["abuse"], average="macro")), 4)


def handling_of(label: str) -> str:
    return (
        "moderate" if label == "abuse" else "leave" if label in ("empty", "unrelated") else "answer"
    )


def real_figures(shipped: Classifier) -> dict[str, object]:
    real = validation_set()
    found = shipped.classify_many([PostInput(r.text, None, 1) for r in real])
    truth, said = [r.label for r in real], [p.label for p in found]
    wrong = np.array([s != t for s, t in zip(said, truth, strict=True)])
    review = np.array([p.needs_review for p in found])
    by_source: dict[str, list[bool]] = {}
    for r, w in zip(real, wrong, strict=True):
        by_source.setdefault(r.source, []).append(bool(w))
    sure = np.array([r.sure for r in real])
    confidence = np.array([p.confidence for p in found])
    # What the centre does with a post: answer it, moderate it, or leave it. A wrong label
    # within "leave it" (empty for unrelated) changes nothing anyone sees.
    handling = [handling_of(t) != handling_of(s) for s, t in zip(said, truth, strict=True)]
    wrong_handling = np.array(handling)
    by_threshold = {
        f"{t:.1f}": {
            "confident_errors": round(float((wrong & (confidence >= t)).mean()), 4),
            "review_share": round(float((confidence < t).mean()), 4),
        }
        for t in (0.5, 0.6, 0.7, 0.8, 0.9)
    }
    return {
        "real_texts": len(real),
        "real_counts": dict(sorted(Counter(truth).items())),
        "real_macro_f1": macro_f1(truth, said),
        "real_macro_f1_sure_only": macro_f1(
            [t for t, s in zip(truth, sure, strict=True) if s],
            [p for p, s in zip(said, sure, strict=True) if s],
        ),
        "real_accuracy": round(float(1 - wrong.mean()), 4),
        "real_abuse_recall": abuse_recall(truth, said),
        "real_confident_errors": round(float((wrong & ~review).mean()), 4),
        "real_review_share": round(float(review.mean()), 4),
        "real_confident_errors_changing_handling": round(
            float((wrong_handling & ~review).mean()), 4
        ),
        "real_errors_caught_by_review": round(
            float((wrong & review).sum() / max(wrong.sum(), 1)), 4
        ),
        # What classifier.review_threshold would trade (the abuse-suspicion rule aside).
        "real_review_threshold_tradeoff": by_threshold,
        "real_error_rate_by_source": {
            s: round(sum(v) / len(v), 3) for s, v in sorted(by_source.items())
        },
        "real_confusion": {
            "labels": list(LABELS),
            "rows_truth": confusion_matrix(truth, said, labels=list(LABELS)).tolist(),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the shipped model only")
    parser.add_argument(
        "--candidate",
        type=Path,
        default=None,
        metavar="DIR",
        help="a saved model version folder (train.py --no-promote) instead of the shipped one",
    )
    args = parser.parse_args()
    train, dev = load_training(), load_split("dev")
    x_train, y_train = texts(train), [e.label for e in train]
    x_dev, y_dev = texts(dev), [e.label for e in dev]

    if args.candidate is not None:
        version = args.candidate.resolve()
        shipped = Classifier(load_version(version.name, version.parent, None))
    else:
        shipped = Classifier.load()
    dev_pred = [
        p.label
        for p in shipped.classify_many([PostInput(e.raw, e.title, e.post_number) for e in dev])
    ]
    result: dict[str, object] = {
        "bench": "classifier_quality",
        "model_version": shipped.model.version,
        "review_threshold": shipped.review_threshold,
        "train_posts": len(train),
        "dev_posts": len(dev),
        "dev_macro_f1": macro_f1(y_dev, dev_pred),
        "abuse_recall_dev": abuse_recall(y_dev, dev_pred),
    }
    result.update(real_figures(shipped))
    if not args.quick:
        real = validation_set()
        x_real = [model_text(r.text, None, 1) for r in real]
        folds = StratifiedKFold(5, shuffle=True, random_state=RANDOM_STATE)
        cv_pred = cross_val_predict(build_pipeline(), x_train, y_train, cv=folds)
        result["cv_macro_f1"] = macro_f1(y_train, list(cv_pred))
        ft_dev = fasttext_predict(x_train, y_train, x_dev)
        ft_real = fasttext_predict(x_train, y_train, x_real)
        truth = [r.label for r in real]
        result["fasttext_dev_macro_f1"] = macro_f1(y_dev, ft_dev)
        result["fasttext_real_macro_f1"] = macro_f1(truth, ft_real)
        result["fasttext_real_abuse_recall"] = abuse_recall(truth, ft_real)
        result["fasttext_cv_macro_f1"] = round(fasttext_cv(x_train, y_train), 4)
    weakest = f1_score(y_dev, dev_pred, average=None, labels=sorted(set(y_dev)))
    ranked = sorted(zip(sorted(set(y_dev)), weakest, strict=True), key=lambda kv: kv[1])
    result["weakest_dev"] = {label: round(float(f), 3) for label, f in ranked[:3]}
    result["goal_met"] = bool(
        result["dev_macro_f1"] >= 0.95  # type: ignore[operator]
        and result["real_macro_f1"] >= 0.85  # type: ignore[operator]
        and result["real_abuse_recall"] >= 0.95  # type: ignore[operator]
        and result["real_confident_errors"] <= 0.03  # type: ignore[operator]
        and result["real_review_share"] <= 0.30  # type: ignore[operator]
    )
    print(json.dumps(result, ensure_ascii=False), file=sys.stdout)


if __name__ == "__main__":
    main()
