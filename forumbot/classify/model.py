"""The classifier itself: a scikit-learn pipeline over jieba words and character n-grams,
with calibrated probabilities, and a rule for posts with no content at all.

Why this shape (``train.py --compare`` prints the cross-validation table): words alone
trail characters (typos, slang, leftover traditional forms), and the union keeps the domain
dictionary's words as features an admin can improve; a linear SVM matches logistic regression
at a fraction of the training time, and sigmoid calibration turns its margins into
probabilities a reviewer can read. Classes are weighted by their inverse frequency: the
training files of real genres (headlines, comments, insults) made ``unrelated`` a third of
the data, and unweighted the model leant towards it (real texts macro-F1 0.513 -> 0.521,
dev 0.897 -> 0.899 with the weights, C=0.5 best of 0.2 / 0.5 / 1 / 2). Features are hashed
(no vocabulary to store): the model is a few megabytes of arrays (``linear_text``).
"""

from __future__ import annotations

from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
from sklearn.pipeline import FeatureUnion, Pipeline, make_pipeline
from sklearn.svm import LinearSVC

from forumbot.classify.normalize import model_text, own_text
from forumbot.classify.tokenize import words
from forumbot.corpus import Example

RANDOM_STATE = 20261123
HASH_FEATURES = 2**16


def build_pipeline(c: float = 0.5, class_weight: str | None = "balanced") -> Pipeline:
    def hashed(**options: object) -> Pipeline:
        return make_pipeline(
            HashingVectorizer(n_features=HASH_FEATURES, alternate_sign=False, norm=None, **options),
            TfidfTransformer(sublinear_tf=True),
        )

    features = FeatureUnion(
        [
            ("words", hashed(analyzer=words)),
            ("chars", hashed(analyzer="char_wb", ngram_range=(1, 3))),
        ]
    )
    classifier = CalibratedClassifierCV(
        LinearSVC(C=c, class_weight=class_weight, random_state=RANDOM_STATE),
        cv=5,
        method="sigmoid",
        ensemble=False,
    )
    return Pipeline([("features", features), ("classifier", classifier)])


def training_texts(examples: list[Example]) -> tuple[list[str], list[str]]:
    """What the final model is fitted on: each post as the classifier reads it, and each
    reply that has a topic title once more without it. With the title as context alone the
    model leant on the title's words and read title-less text worse (real texts 0.59 -> 0.54
    macro-F1); with both, dev macro-F1 0.898 -> 0.935. (Cross-validation uses each post
    once, so a reply and its copy never sit on both sides of a fold.)"""
    texts, labels = [], []
    for e in examples:
        texts.append(model_text(e.raw, e.title, e.post_number))
        labels.append(e.label)
    for e in examples:
        if e.title and (e.post_number or 1) > 1:
            texts.append(own_text(e.raw, e.title, e.post_number))
            labels.append(e.label)
    return texts, labels
