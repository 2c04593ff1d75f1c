"""Turn a fitted scikit-learn text pipeline into the plain arrays ``linear_text`` scores with.

Training side only (imports scikit-learn). The shapes forumbot trains are known: TF-IDF
blocks (hashed or with a fitted vocabulary; one, or a FeatureUnion of them) followed by a
sigmoid-calibrated linear SVM over several classes, a binary logistic regression, or a
multinomial one. Anything else is refused rather than exported wrongly.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer, TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import FeatureUnion, Pipeline

from forumbot.classify.tokenize import words


class ExportError(ValueError):
    """The pipeline has a step ``linear_text`` cannot reproduce."""


def _analyzer(step: Any) -> tuple[str, int, int]:
    """The analyzer of a vectorizer as ``linear_text`` names it, with its n-gram range."""
    if step.analyzer is words:
        return "words", 1, 1
    if step.analyzer == "char_wb" and step.lowercase and step.preprocessor is None:
        low, high = step.ngram_range
        return "char_wb", low, high
    raise ExportError(f"analyzer {step.analyzer!r} is not supported")


def _vocabulary_block(step: TfidfVectorizer) -> tuple[str, np.ndarray, np.ndarray]:
    """A fitted TF-IDF vectorizer: spec, idf and its terms in column order."""
    if step.norm != "l2" or not step.use_idf:
        raise ExportError("only TF-IDF vectorizers with idf and l2 norm are supported")
    analyzer, low, high = _analyzer(step)
    terms = np.empty(len(step.vocabulary_), dtype=object)
    for term, column in step.vocabulary_.items():
        terms[column] = term
    spec = f"{analyzer}:{low}:{high}:{len(terms)}:{int(step.sublinear_tf)}"
    return spec, np.asarray(step.idf_, dtype=np.float64), terms.astype(str)


def _block(step: Any) -> tuple[str, np.ndarray]:
    """One hashed TF-IDF block as its spec string and idf vector."""
    if not isinstance(step, Pipeline) or len(step.steps) != 2:
        raise ExportError(f"expected HashingVectorizer + TfidfTransformer, got {step!r}")
    hasher, tfidf = step.steps[0][1], step.steps[1][1]
    if not isinstance(hasher, HashingVectorizer) or not isinstance(tfidf, TfidfTransformer):
        raise ExportError(f"expected HashingVectorizer + TfidfTransformer, got {step!r}")
    if hasher.alternate_sign or hasher.norm is not None or tfidf.norm != "l2":
        raise ExportError("only alternate_sign=False, norm=None hashing with l2 TF-IDF")
    analyzer, low, high = _analyzer(hasher)
    idf = tfidf.idf_ if tfidf.use_idf else np.ones(hasher.n_features)
    spec = f"{analyzer}:{low}:{high}:{hasher.n_features}:{int(tfidf.sublinear_tf)}"
    return spec, np.asarray(idf, dtype=np.float64)


def export_pipeline(pipeline: Pipeline) -> dict[str, Any]:
    """The arrays of a fitted pipeline, ready for ``linear_text.save_arrays``."""
    features, model = pipeline.steps[0][1], pipeline.steps[-1][1]
    blocks = (
        [step for _, step in features.transformer_list]
        if isinstance(features, FeatureUnion)
        else [features]
    )
    arrays: dict[str, Any] = {}
    specs = []
    for i, block in enumerate(blocks):
        if isinstance(block, TfidfVectorizer):
            spec, idf, arrays[f"vocab{i}"] = _vocabulary_block(block)
            specs.append(spec)
            arrays[f"idf{i}"] = idf
            continue
        spec, idf = _block(block)
        specs.append(spec)
        arrays[f"idf{i}"] = idf
    arrays["parts"] = np.array(specs)
    if isinstance(model, CalibratedClassifierCV):
        if model.method != "sigmoid" or len(model.calibrated_classifiers_) != 1:
            raise ExportError("only one sigmoid-calibrated classifier (ensemble=False)")
        calibrated = model.calibrated_classifiers_[0]
        estimator = calibrated.estimator
        if list(estimator.classes_) != list(model.classes_) or len(model.classes_) < 3:
            raise ExportError("calibrated export needs three or more classes in order")
        arrays["kind"] = np.array("calibrated")
        arrays["coef"] = np.asarray(estimator.coef_, dtype=np.float64)
        arrays["intercept"] = np.asarray(estimator.intercept_, dtype=np.float64)
        arrays["calib_a"] = np.array([c.a_ for c in calibrated.calibrators])
        arrays["calib_b"] = np.array([c.b_ for c in calibrated.calibrators])
    elif isinstance(model, LogisticRegression) and len(model.classes_) == 2:
        arrays["kind"] = np.array("logistic")
        arrays["coef"] = np.asarray(model.coef_, dtype=np.float64)
        arrays["intercept"] = np.asarray(model.intercept_, dtype=np.float64)
    elif isinstance(model, LogisticRegression) and model.solver == "lbfgs":
        # scikit-learn 1.5+: lbfgs over three or more classes is multinomial (softmax)
        arrays["kind"] = np.array("softmax")
        arrays["coef"] = np.asarray(model.coef_, dtype=np.float64)
        arrays["intercept"] = np.asarray(model.intercept_, dtype=np.float64)
    else:
        raise ExportError(f"classifier {model!r} is not supported")
    arrays["classes"] = np.array([str(c) for c in model.classes_])
    return arrays
