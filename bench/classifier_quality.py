"""Classifier quality: macro-F1 on the dev split and by 5-fold cross-validation, abuse recall,
and the same figures for a fastText model trained on the same split with the same jieba
tokens. Prints one JSON line at the end."""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score, recall_score
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from forumbot.classify.classifier import Classifier, PostInput
from forumbot.classify.model import RANDOM_STATE, build_pipeline
from forumbot.classify.normalize import model_text
from forumbot.classify.tokenize import words
from forumbot.corpus import Example, load_split


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


def main() -> None:
    train, dev = load_split("train"), load_split("dev")
    x_train, y_train = texts(train), [e.label for e in train]
    x_dev, y_dev = texts(dev), [e.label for e in dev]

    shipped = Classifier.load()
    dev_pred = [
        p.label
        for p in shipped.classify_many([PostInput(e.raw, e.title, e.post_number) for e in dev])
    ]
    folds = StratifiedKFold(5, shuffle=True, random_state=RANDOM_STATE)
    cv_pred = cross_val_predict(build_pipeline(), x_train, y_train, cv=folds)
    ft_dev = fasttext_predict(x_train, y_train, x_dev)
    result = {
        "bench": "classifier_quality",
        "model_version": shipped.model.version,
        "dev_posts": len(dev),
        "dev_macro_f1": round(float(f1_score(y_dev, dev_pred, average="macro")), 4),
        "cv_macro_f1": round(float(f1_score(y_train, cv_pred, average="macro")), 4),
        "abuse_recall_dev": round(
            float(recall_score(y_dev, dev_pred, labels=["abuse"], average="macro")), 4
        ),
        "fasttext_dev_macro_f1": round(float(f1_score(y_dev, ft_dev, average="macro")), 4),
        "fasttext_cv_macro_f1": round(fasttext_cv(x_train, y_train), 4),
    }
    weakest = f1_score(y_dev, dev_pred, average=None, labels=sorted(set(y_dev)))
    ranked = sorted(zip(sorted(set(y_dev)), weakest, strict=True), key=lambda kv: kv[1])
    result["weakest_dev"] = {label: round(float(f), 3) for label, f in ranked[:3]}
    print(json.dumps(result), file=sys.stdout)


if __name__ == "__main__":
    main()
