"""Classifier baselines (design.md §3): TF-IDF + one-vs-rest logistic regression, label prior."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.multiclass import OneVsRestClassifier

from arxiv_pipeline.classifier.metrics import tune_threshold
from arxiv_pipeline.text.templates import TextChunks


def tfidf_logistic_regression(
    train_texts: Sequence[str],
    train_targets: sp.csr_array | np.ndarray,
    texts: Mapping[str, Sequence[str] | TextChunks],
    validation_targets: np.ndarray,
    settings: Mapping[str, Any],
) -> tuple[dict[str, np.ndarray], float]:
    """TF-IDF + one logistic regression per label, its ``C`` chosen on validation.

    The tuned classifier had a study; the baseline gets its regularisation chosen the
    same way: each ``C`` is fitted on the training texts and the one of best validation
    micro-F1 (at its best threshold) is kept. The vectorizer is fitted once and its
    training matrix serves every ``C``; held-out texts are transformed and scored
    ``settings["chunk_size"]`` at a time, and only the kept model scores the splits
    other than validation.

    Parameters
    ----------
    train_texts, train_targets
        Training papers' texts and multi-hot targets (dense or sparse).
    texts
        Texts to score, per split; ``validation`` among them. Each is sliced
        ``texts[start:stop]`` a chunk at a time: a list, or texts made Python strings
        only a chunk at a time (:class:`TextChunks`).
    validation_targets
        Dense multi-hot targets of the validation texts.
    settings
        ``vectorizer`` (keyword arguments of ``TfidfVectorizer``), ``C`` (a list),
        ``max_iter``, ``n_jobs``, ``chunk_size``.

    Returns
    -------
    tuple
        Per split, the probability of each label (papers × labels); the chosen ``C``.
    """
    vectorizer = TfidfVectorizer(dtype=np.float32, **settings["vectorizer"])
    features = vectorizer.fit_transform(train_texts)
    # Sparse int32, not a small integer type: scikit-learn's LabelBinarizer casts the label
    # indices to the targets' dtype, and past 127 labels int8 wraps around and permutes
    # the label columns (every score lands on another label).
    targets = sp.csr_array(train_targets, dtype=np.int32)
    best: tuple[float, float, OneVsRestClassifier, np.ndarray] | None = None
    for regularisation in settings["C"]:
        model = _fit(features, targets, regularisation, settings)
        validation = chunked_probabilities(
            vectorizer, model, texts["validation"], settings["chunk_size"]
        )
        _, curve = tune_threshold(validation_targets, validation)
        if best is None or curve.max() > best[0]:
            best = (float(curve.max()), regularisation, model, validation)
    _, regularisation, model, validation = best
    scores = {
        split: validation
        if split == "validation"
        else chunked_probabilities(vectorizer, model, values, settings["chunk_size"])
        for split, values in texts.items()
    }
    return scores, regularisation


def _fit(
    features: sp.csr_matrix, targets: sp.csr_array, regularisation: float, settings: Mapping[str, Any]
) -> OneVsRestClassifier:
    model = OneVsRestClassifier(
        # lbfgs, not liblinear: it leaves the intercept unpenalised (rare labels keep
        # their low base rate) and fitted 2.5x faster per label on 24,000 real papers.
        LogisticRegression(C=regularisation, max_iter=settings["max_iter"], solver="lbfgs"),
        n_jobs=settings["n_jobs"],
    )
    with warnings.catch_warnings():
        # A label without a training paper gets a constant predictor (probability 0),
        # which is the right answer here; scikit-learn warns about each one.
        warnings.filterwarnings(
            "ignore", message="Label not .* is present in all training examples"
        )
        model.fit(features, targets)
    return model


def chunked_probabilities(
    vectorizer: TfidfVectorizer,
    model: OneVsRestClassifier,
    texts: Sequence[str] | TextChunks,
    chunk_size: int,
) -> np.ndarray:
    """The model's label probabilities for ``texts``, ``chunk_size`` texts at a time.

    Each text is transformed and scored on its own row, so the result does not depend on
    ``chunk_size``; only a chunk's texts and TF-IDF rows are in memory at once. The
    scores have the dtype ``predict_proba`` gives (float32 on the vectorizer's float32
    rows, float64 where a label without training papers has a constant predictor).
    """
    scores = np.empty((0, len(model.estimators_)), dtype=np.float32)
    for start in range(0, len(texts), chunk_size):
        chunk = model.predict_proba(vectorizer.transform(texts[start : start + chunk_size]))
        if start == 0:
            scores = np.empty((len(texts), chunk.shape[1]), dtype=chunk.dtype)
        scores[start : start + len(chunk)] = chunk
    return scores


def label_prior(
    train_targets: sp.csr_array | np.ndarray, n_papers: Mapping[str, int]
) -> dict[str, np.ndarray]:
    """Every paper gets each label's share of the training papers: most frequent first.

    Each split's scores are one row repeated: a read-only view that holds one row.
    """
    prior = np.asarray(train_targets.mean(axis=0), dtype=np.float64).ravel()
    return {split: np.broadcast_to(prior, (n, len(prior))) for split, n in n_papers.items()}
