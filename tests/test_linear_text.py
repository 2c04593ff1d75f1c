"""The shipped models are scored with numpy alone: the scores must be scikit-learn's own."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.svm import LinearSVC

from forumbot.classify.export import ExportError, export_pipeline
from forumbot.classify.linear_text import LinearTextModel, char_wb_ngrams, save_arrays
from forumbot.classify.model import build_pipeline
from forumbot.classify.normalize import model_text
from forumbot.classify.urgency_model import MODEL_DIR, _saved
from forumbot.corpus import load_split


@pytest.fixture(scope="module")
def corpus_texts():
    train = load_split("train")[::4]
    dev = load_split("dev")[::3]
    as_text = [model_text(e.raw, e.title, e.post_number) for e in train]
    return (
        as_text,
        [e.label for e in train],
        [model_text(e.raw, e.title, e.post_number) for e in dev],
    )


def test_classifier_scores_match_scikit_learn(corpus_texts, tmp_path):
    texts, labels, dev = corpus_texts
    pipeline = build_pipeline().fit(texts, labels)
    save_arrays(tmp_path / "m.npz", export_pipeline(pipeline))
    model = LinearTextModel.load(tmp_path / "m.npz")
    expected = pipeline.predict_proba(dev)
    assert np.abs(model.predict_proba(dev) - expected).max() < 1e-9
    assert list(model.predict(dev)) == list(pipeline.predict(dev))


def test_vocabulary_logistic_model_matches_scikit_learn(corpus_texts, tmp_path):
    texts, labels, dev = corpus_texts
    binary = [int(label == "engineering") for label in labels]
    pipeline = Pipeline(
        [
            (
                "features",
                TfidfVectorizer(
                    analyzer="char_wb", ngram_range=(1, 3), min_df=2, sublinear_tf=True
                ),
            ),
            ("model", LogisticRegression(max_iter=1000)),
        ]
    ).fit(texts, binary)
    model = LinearTextModel(export_pipeline(pipeline))
    assert np.abs(model.predict_proba(dev) - pipeline.predict_proba(dev)).max() < 1e-9


def test_multiclass_words_and_characters_logistic_model_matches_scikit_learn(corpus_texts):
    """The reply checker's shape: vocabulary blocks of jieba words and character n-grams, and
    a multinomial logistic regression over several classes."""
    from sklearn.pipeline import make_union

    from forumbot.classify.tokenize import words

    texts, labels, dev = corpus_texts
    pipeline = Pipeline(
        [
            (
                "features",
                make_union(
                    TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 4), min_df=2),
                    TfidfVectorizer(analyzer=words, sublinear_tf=True),
                ),
            ),
            ("model", LogisticRegression(C=16.0, max_iter=2000, class_weight="balanced")),
        ]
    ).fit(texts, labels)
    model = LinearTextModel(export_pipeline(pipeline))
    assert np.abs(model.predict_proba(dev) - pipeline.predict_proba(dev)).max() < 1e-9
    assert list(model.predict(dev)) == list(pipeline.predict(dev))


@pytest.mark.parametrize(
    "text",
    ["漏水", "a", "  3栋  电梯 坏了 ", "Lift BROKEN!!", "👍👍", "", "楼上 漏水到我家 天花板了"],
)
def test_character_ngrams_are_scikit_learns(text):
    analyzer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3)).build_analyzer()
    assert list(char_wb_ngrams(text, 1, 3)) == analyzer(text)


def test_a_pipeline_it_cannot_reproduce_is_refused(corpus_texts):
    texts, labels, _ = corpus_texts
    pipeline = Pipeline(
        [("features", TfidfVectorizer(analyzer="word")), ("model", LinearSVC())]
    ).fit(texts, labels)
    with pytest.raises(ExportError):
        export_pipeline(pipeline)


def test_labelling_a_post_never_imports_scikit_learn():
    """The command line's cold start: the model is numbers, not a pipeline to unpack."""
    code = (
        "import sys\n"
        "from forumbot.classify.classifier import Classifier\n"
        "from forumbot.classify.urgency import assess\n"
        "print(Classifier.load().classify('楼上漏水到我家天花板了').label)\n"
        "print(assess('8栋2单元煤气味好重').urgent,\n"
        "      assess('插座那里一闪一闪的还有焦糊味').urgent)\n"
        "print('sklearn' in sys.modules)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["engineering", "True", "True", "False"]


def test_shipped_urgency_model_was_trained_on_the_data_as_it_is():
    """Editing data/urgency or the danger rules without running train.py would leave every
    process retraining at first use: the shipped file must match its data."""
    assert _saved(MODEL_DIR) is not None, "run 'python train.py' to rebuild models/urgency"


def test_shipped_reply_checker_model_was_trained_on_the_data_as_it_is():
    """Likewise for the reply checker (data/checker): a stale model would cost every drafting
    process seconds of training at its first reply."""
    from forumbot.classify import shipped
    from forumbot.drafting import checker_model

    linear = shipped.load_if_current(
        checker_model.MODEL_DIR, checker_model.data_digest(), "reply checker model"
    )
    assert linear is not None, "run 'python train.py' to rebuild models/checker"
    assert "ok" in list(linear.classes_) and "sarcasm" in list(linear.classes_)


def test_a_stale_shipped_model_is_retrained_in_memory_with_a_warning(tmp_path, caplog):
    """Data edited after training: the saved arrays are not used, and the log says what to
    run."""
    from forumbot.classify import shipped

    shipped.save(tmp_path, {"kind": np.array("logistic")}, "digest-of-old-data")
    assert shipped.load_if_current(tmp_path, "digest-of-new-data", "test model") is None
    assert "run 'python train.py'" in caplog.text


def test_jieba_dictionary_read_whole_gives_the_same_words(tmp_path):
    """forumbot reads jieba's dictionary cache in one piece (three times faster than jieba's
    own reading): a first process builds the cache, a second reads it, and both cut text as
    jieba does."""
    code = (
        "import jieba\n"
        "from forumbot.classify.tokenize import words\n"
        "print('/'.join(words('3栋电梯困人了，物业管家说维保单位马上到，燃气味还在')))\n"
        "print(len(jieba.dt.FREQ) > 300000)\n"
    )
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    first = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert (tmp_path / "jieba.cache").exists()  # built and written by jieba, as before
    second = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env
    )
    assert first.stdout == second.stdout
    assert first.stdout.splitlines()[1] == "True"
    assert {"电梯", "困人", "物业"} <= set(first.stdout.splitlines()[0].split("/"))
