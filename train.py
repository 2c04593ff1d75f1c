"""Train, evaluate and (if not worse) promote a forumbot classifier.

    python train.py                      # train on data/corpus, promote if dev macro-F1 >= current
    python train.py --database URL       # also learn from reviewers' corrections in the database
    python train.py --force              # promote even if worse
    python train.py --no-promote         # save the candidate only; never touch current.json
    python train.py --rollback           # go back to the previous model
    python train.py --compare            # cross-validate the candidate pipelines (why this model)

Prints per-label precision, recall and F1, macro-F1 and the confusion matrix on the fixed dev
split and by 5-fold cross-validation; writes models/<version>/ with the model, metrics.json,
confusion_dev.png and MODEL_CARD.md (in classifier.models_dir unless --models is given).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from forumbot.classify.labels import LABELS
from forumbot.classify.model import RANDOM_STATE, build_pipeline, training_texts
from forumbot.classify.normalize import model_text
from forumbot.classify.persist import ModelError, load_current, promote, save_version
from forumbot.classify.persist import rollback as rollback_pointer
from forumbot.classify.urgency_model import build as build_urgency_model
from forumbot.config import ConfigError, load_settings
from forumbot.corpus import CorpusError, Example, load_split, load_training
from forumbot.drafting.checker_model import build as build_checker_model
from forumbot.paths import CORPUS_DIR


def step(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def texts(examples: list[Example]) -> list[str]:
    return [model_text(e.raw, e.title, e.post_number) for e in examples]


def corrections(database_url: str) -> list[Example]:
    """Reviewers' relabels (the latest per post) as training examples."""
    from sqlalchemy import select

    from forumbot.storage.database import check_schema, make_engine, session_factory
    from forumbot.storage.models import Classification, Post

    engine = make_engine(database_url)
    check_schema(engine)
    latest: dict[int, Example] = {}
    with session_factory(engine)() as session:
        rows = session.execute(
            select(Post, Classification)
            .join(Classification, Classification.post_id == Post.id)
            .where(Classification.source == "reviewer", Classification.label.in_(LABELS))
            .order_by(Classification.id)
        ).all()
        for post, label in rows:
            latest[post.id] = Example(post.raw, post.topic_title, post.post_number, label.label)
    engine.dispose()
    return list(latest.values())


def report(name: str, truth: list[str], predicted: list[str]) -> dict[str, Any]:
    from sklearn.metrics import confusion_matrix, precision_recall_fscore_support

    p, r, f, n = precision_recall_fscore_support(
        truth, predicted, labels=list(LABELS), zero_division=0
    )
    macro = float(sum(f) / len(f))
    print(f"\n== {name} ==")
    print(f"{'label':<22}{'precision':>10}{'recall':>8}{'F1':>8}{'n':>6}")
    for i, label in enumerate(LABELS):
        print(f"{label:<22}{p[i]:>10.3f}{r[i]:>8.3f}{f[i]:>8.3f}{n[i]:>6}")
    print(f"{'macro-F1':<22}{'':>18}{macro:>8.4f}")
    matrix = confusion_matrix(truth, predicted, labels=list(LABELS))
    short = [label[:5] for label in LABELS]
    print("confusion (rows: true, columns: predicted)")
    print(" " * 8 + "".join(f"{s:>7}" for s in short))
    for label, row in zip(short, matrix, strict=True):
        print(f"{label:<8}" + "".join(f"{v:>7}" for v in row))
    return {
        "macro_f1": round(macro, 4),
        "per_label": {
            label: {
                "precision": round(float(p[i]), 4),
                "recall": round(float(r[i]), 4),
                "f1": round(float(f[i]), 4),
                "support": int(n[i]),
            }
            for i, label in enumerate(LABELS)
        },
        "confusion": matrix.tolist(),
    }


def confusion_png(matrix: list[list[int]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7.5, 6.5))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(LABELS)), LABELS, rotation=45, ha="right")
    ax.set_yticks(range(len(LABELS)), LABELS)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title)
    top = max(max(row) for row in matrix) or 1
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            ax.text(
                j,
                i,
                str(value),
                ha="center",
                va="center",
                color="white" if value > top / 2 else "black",
                fontsize=8,
            )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def data_hash(examples: list[Example]) -> str:
    digest = hashlib.sha256()
    for e in examples:
        digest.update(
            json.dumps([e.raw, e.title, e.post_number, e.label], ensure_ascii=False).encode()
        )
    return digest.hexdigest()


def library_versions() -> dict[str, str]:
    import jieba
    import mmh3
    import numpy
    import opencc
    import scipy
    import sklearn

    return {
        "python": platform.python_version(),
        "scikit-learn": sklearn.__version__,
        "numpy": numpy.__version__,
        "scipy": scipy.__version__,
        "jieba": jieba.__version__,
        "opencc": getattr(opencc, "__version__", "unknown"),
        "mmh3": getattr(mmh3, "__version__", "unknown"),
    }


def model_card(version: str, meta: dict[str, Any]) -> str:
    counts = "\n".join(
        f"| {k} | {v} | {meta['dev_counts'].get(k, 0)} |" for k, v in meta["train_counts"].items()
    )
    libs = ", ".join(f"{k} {v}" for k, v in meta["libraries"].items())
    fixes = f" plus {meta['corrections']} reviewer corrections" if meta["corrections"] else ""
    weakest = sorted(meta["dev"]["per_label"].items(), key=lambda kv: kv[1]["f1"])[:3]
    weak = ", ".join(f"{k} (F1 {v['f1']:.3f})" for k, v in weakest)
    return f"""# forumbot classifier {version}

Trained {meta["trained_at"]} from `data/corpus` ({meta["train_size"]} posts, data hash
`{meta["data_hash"][:16]}`){fixes}.

Pipeline: normalisation (quotes, HTML, URLs and signatures removed; NFKC; OpenCC t2s) →
union of hashed TF-IDF over jieba words (domain dictionary `config/jieba_userdict.txt`)
and character 1–3-grams → linear SVM, sigmoid-calibrated (5 folds). Posts with no content at all
are labelled `empty` by rule before the model.

| figure | value |
|---|---|
| macro-F1, dev split ({meta["dev_size"]} posts) | {meta["dev"]["macro_f1"]:.4f} |
| macro-F1, 5-fold cross-validation on train | {meta["cv"]["macro_f1"]:.4f} |
| abuse recall, dev | {meta["dev"]["per_label"]["abuse"]["recall"]:.3f} |

Weakest labels on dev: {weak}. Confusion matrix: `confusion_dev.png`.

| label | train | dev |
|---|---|---|
{counts}

Libraries: {libs}. Random state {RANDOM_STATE}.

Intended use: first-pass labelling of posts on a Chinese property-complaint forum, every
label shown to a person with its confidence; not for decisions without review.
"""


def evaluate_current(dev_texts: list[str], dev_labels: list[str], models_dir: Path) -> float | None:
    try:
        current = load_current(models_dir)
    except ModelError as exc:
        step(f"no usable current model to compare with ({exc})")
        return None
    from sklearn.metrics import f1_score

    predicted = current.pipeline.predict(dev_texts)
    return float(f1_score(dev_labels, predicted, labels=list(LABELS), average="macro"))


def compare(train: list[Example]) -> None:
    """Cross-validate candidate pipelines: the record of why the shipped one was chosen."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict
    from sklearn.pipeline import Pipeline
    from sklearn.svm import LinearSVC

    from forumbot.classify.tokenize import words

    x, y = texts(train), [e.label for e in train]
    folds = StratifiedKFold(5, shuffle=True, random_state=RANDOM_STATE)
    candidates = {
        "jieba words + linear SVM": Pipeline(
            [
                ("f", TfidfVectorizer(analyzer=words, sublinear_tf=True)),
                ("c", LinearSVC(C=0.5, random_state=RANDOM_STATE)),
            ]
        ),
        "char 1-3-grams + linear SVM": Pipeline(
            [
                (
                    "f",
                    TfidfVectorizer(
                        analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True, min_df=2
                    ),
                ),
                ("c", LinearSVC(C=0.5, random_state=RANDOM_STATE)),
            ]
        ),
        "words + chars + logistic regression": Pipeline(
            [
                ("f", build_pipeline().named_steps["features"]),
                ("c", LogisticRegression(C=10, max_iter=2000)),
            ]
        ),
        "words + chars + calibrated linear SVM (shipped)": build_pipeline(),
    }
    for name, pipeline in candidates.items():
        started = time.perf_counter()
        predicted = cross_val_predict(pipeline, x, y, cv=folds)
        print(
            f"{name:<50} macro-F1 {f1_score(y, predicted, average='macro'):.4f}"
            f"  ({time.perf_counter() - started:.1f} s)"
        )


def rollback(models_dir: Path) -> int:
    try:
        was, version = rollback_pointer(models_dir)
    except ModelError as exc:
        print(f"train.py: {exc}", file=sys.stderr)
        return 1
    print(f"current model is now {version} (was {was})")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS_DIR)
    parser.add_argument(
        "--models",
        type=Path,
        default=None,
        help="model folder (default: classifier.models_dir from the settings)",
    )
    parser.add_argument(
        "--database",
        default=os.environ.get("FORUMBOT_TRAIN_DATABASE_URL"),
        help="also train on reviewers' corrections in this database "
        "(default: $FORUMBOT_TRAIN_DATABASE_URL, which keeps a password off the command line)",
    )
    parser.add_argument("--force", action="store_true", help="promote even if dev macro-F1 drops")
    parser.add_argument(
        "--no-promote",
        action="store_true",
        help="save the candidate for review; never change models/current.json",
    )
    parser.add_argument("--rollback", action="store_true", help="make the previous model current")
    parser.add_argument("--compare", action="store_true", help="cross-validate candidate pipelines")
    parser.add_argument("--version", help="version name (default: time and data hash)")
    args = parser.parse_args(argv)
    try:
        if args.models is None:
            args.models = load_settings().models_dir
        if args.rollback:
            return rollback(args.models)
        step(f"loading corpus from {args.corpus}")
        train, dev = load_training(args.corpus), load_split("dev", args.corpus)
        fixes = corrections(args.database) if args.database else []
        if fixes:
            step(f"adding {len(fixes)} reviewer corrections")
            dev_raw = {e.raw for e in dev}
            train = train + [e for e in fixes if e.raw not in dev_raw]
        if args.compare:
            compare(train)
            return 0
        step("training the urgency model (models/urgency)")
        urgency = build_urgency_model()
        print(f"  {urgency['posts']} posts, {urgency['urgent_posts']} urgent", file=sys.stderr)
        step("training the reply checker's model (models/checker)")
        checker = build_checker_model()
        print(f"  {checker['replies']} replies, {checker['bad_replies']} bad", file=sys.stderr)
        return train_and_promote(train, dev, len(fixes), args)
    except (CorpusError, ModelError, ConfigError, OSError) as exc:
        print(f"train.py: {exc}", file=sys.stderr)
        return 2


def train_and_promote(train: list[Example], dev: list[Example], n_fixes: int, args: Any) -> int:
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    x_train, y_train = texts(train), [e.label for e in train]
    x_dev, y_dev = texts(dev), [e.label for e in dev]
    step(f"5-fold cross-validation on {len(train)} posts")
    folds = StratifiedKFold(5, shuffle=True, random_state=RANDOM_STATE)
    cv = report(
        "5-fold cross-validation (train)",
        y_train,
        list(cross_val_predict(build_pipeline(), x_train, y_train, cv=folds)),
    )
    step("fitting on the whole train split")
    pipeline = build_pipeline().fit(*training_texts(train))
    step(f"evaluating on the dev split ({len(dev)} posts)")
    dev_report = report("dev split", y_dev, list(pipeline.predict(x_dev)))
    digest = data_hash(train)
    version = args.version or f"{datetime.now(UTC):%Y%m%d-%H%M%S}-{digest[:8]}"
    meta = {
        "version": version,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "data_hash": digest,
        "train_size": len(train),
        "dev_size": len(dev),
        "corrections": n_fixes,
        "train_counts": dict(sorted(Counter(y_train).items())),
        "dev_counts": dict(sorted(Counter(y_dev).items())),
        "libraries": library_versions(),
        "dev": dev_report,
        "cv": cv,
    }
    version_dir = args.models / version
    step(f"saving {version_dir}")
    save_version(pipeline, version_dir, meta)
    (version_dir / "metrics.json").write_text(
        json.dumps({"dev": dev_report, "cv": cv}, indent=2) + "\n", encoding="utf-8"
    )
    confusion_png(
        dev_report["confusion"],
        version_dir / "confusion_dev.png",
        f"dev split, macro-F1 {dev_report['macro_f1']:.3f}",
    )
    (version_dir / "MODEL_CARD.md").write_text(model_card(version, meta), encoding="utf-8")
    new = dev_report["macro_f1"]
    if args.no_promote:
        print(f"\nsaved candidate {version}: dev macro-F1 {new:.4f} (not promoted: --no-promote)")
        return 0
    current = evaluate_current(x_dev, y_dev, args.models)
    if current is not None and new < current and not args.force:
        print(
            f"\nnot promoted: dev macro-F1 {new:.4f} is below the current model's "
            f"{current:.4f} (use --force to promote anyway)"
        )
        return 0
    promote(args.models, version)
    was = "none" if current is None else f"{current:.4f}"
    print(f"\npromoted {version}: dev macro-F1 {new:.4f} (current was {was})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
