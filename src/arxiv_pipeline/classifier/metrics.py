"""Multi-label classification metrics (design.md §3), vectorised where scikit-learn loops.

Every metric takes ``targets`` (n_papers × n_labels, 0/1) and ``scores`` (probabilities
of the same shape). A label is predicted when its score is at least the threshold
(:func:`predict_labels`). scikit-learn is the reference: the tests check each function
against it on hand-made cases.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from sklearn.metrics import average_precision_score, f1_score

#: Thresholds tried when tuning the decision threshold on validation.
THRESHOLDS = np.round(np.arange(0.01, 1.0, 0.01), 2)

#: Thresholds of the earlier research's "any true label above threshold" (comparison only).
ANY_TRUE_THRESHOLDS = (0.05, 0.1, 0.2, 0.3)

# Rows ranked at a time by LRAP: bounds its temporary arrays on the full snapshot.
_LRAP_CHUNK = 8192


def predict_labels(scores: np.ndarray, threshold: float) -> np.ndarray:
    """Boolean predictions: score >= threshold, compared in float64 like the threshold curve."""
    return np.asarray(scores, dtype=np.float64) >= threshold


def micro_f1_curve(
    targets: np.ndarray, scores: np.ndarray, thresholds: Sequence[float]
) -> np.ndarray:
    """Micro-F1 of :func:`predict_labels` at every threshold, from one sort of the scores.

    Equal to ``f1_score(targets, predict_labels(scores, t), average="micro",
    zero_division=0)`` for each ``t``, without building a prediction matrix per threshold.
    """
    flat = np.asarray(scores, dtype=np.float64).ravel()
    positive = np.sort(flat[np.asarray(targets).ravel() > 0])
    ordered = np.sort(flat)
    cut = np.asarray(thresholds, dtype=np.float64)
    predicted = len(ordered) - np.searchsorted(ordered, cut, side="left")
    true_positive = len(positive) - np.searchsorted(positive, cut, side="left")
    denominator = predicted + len(positive)
    return np.divide(
        2.0 * true_positive, denominator, out=np.zeros(len(cut)), where=denominator > 0
    )


def tune_threshold(
    targets: np.ndarray, scores: np.ndarray, thresholds: Sequence[float] = THRESHOLDS
) -> tuple[float, np.ndarray]:
    """The threshold of highest micro-F1 (the lowest one on ties), and the whole curve."""
    curve = micro_f1_curve(targets, scores, thresholds)
    return float(np.asarray(thresholds)[int(np.argmax(curve))]), curve


def label_ranking_average_precision(targets: np.ndarray, scores: np.ndarray) -> float:
    """LRAP, as ``sklearn.metrics.label_ranking_average_precision_score``, sorted not looped.

    For each true label of a paper: the share of true labels among the labels scored at
    least as high, averaged over the paper's true labels, then over papers. Ties count
    against the label (every tied label is ranked above it). A paper whose labels are
    all true or all false scores 1, as in scikit-learn.
    """
    targets = np.asarray(targets)
    total = 0.0
    for start in range(0, len(targets), _LRAP_CHUNK):
        total += _lrap_sum(
            targets[start : start + _LRAP_CHUNK], scores[start : start + _LRAP_CHUNK]
        )
    return total / len(targets)


def _lrap_sum(targets: np.ndarray, scores: np.ndarray) -> float:
    n_labels = targets.shape[1]
    order = np.argsort(-np.asarray(scores, dtype=np.float64), axis=1, kind="stable")
    ranked = np.take_along_axis(np.asarray(scores, dtype=np.float64), order, axis=1)
    relevant = np.take_along_axis(targets > 0, order, axis=1)
    # The last position of each run of tied scores: every label of the run has that rank.
    is_end = np.ones_like(relevant)
    is_end[:, :-1] = ranked[:, 1:] != ranked[:, :-1]
    positions = np.where(is_end, np.arange(n_labels), n_labels)
    end = np.minimum.accumulate(positions[:, ::-1], axis=1)[:, ::-1]
    relevant_at_or_above = np.take_along_axis(np.cumsum(relevant, axis=1), end, axis=1)
    precision = np.where(relevant, relevant_at_or_above / (end + 1.0), 0.0)
    n_relevant = relevant.sum(axis=1)
    degenerate = (n_relevant == 0) | (n_relevant == n_labels)
    per_paper = np.where(degenerate, 1.0, precision.sum(axis=1) / np.maximum(n_relevant, 1))
    return float(per_paper.sum())


def precision_at_k(targets: np.ndarray, scores: np.ndarray, k: int) -> float:
    """Mean share of true labels among each paper's ``k`` highest-scored labels.

    Tied scores are broken by label order (the vocabulary's: most frequent first).
    """
    top = np.argsort(-np.asarray(scores, dtype=np.float64), axis=1, kind="stable")[:, :k]
    return float(np.take_along_axis(np.asarray(targets) > 0, top, axis=1).sum(axis=1).mean() / k)


def mean_average_precision(targets: np.ndarray, scores: np.ndarray) -> float:
    """Mean over labels of average precision, over the labels with a true paper (else undefined)."""
    present = np.asarray(targets).any(axis=0)
    return float(average_precision_score(targets[:, present], scores[:, present], average="macro"))


def any_true_above(targets: np.ndarray, scores: np.ndarray, threshold: float) -> float:
    """The earlier research's "accuracy": share of papers with a true label above ``threshold``.

    Predicting every label scores 1.0 (design.md §2.7): reported only beside proper metrics.
    """
    above = np.asarray(scores, dtype=np.float64) > threshold
    return float((above & (np.asarray(targets) > 0)).any(axis=1).mean())


def f1_at(targets: np.ndarray, predictions: np.ndarray) -> dict[str, float]:
    """Micro-, macro- and samples-F1. Macro averages the labels that have a true paper."""
    present = np.flatnonzero(np.asarray(targets).any(axis=0))
    return {
        f"{average}_f1": float(
            f1_score(
                targets,
                predictions,
                average=average,
                labels=present if average == "macro" else None,
                zero_division=0,
            )
        )
        for average in ("micro", "macro", "samples")
    }


def per_label_f1(targets: np.ndarray, predictions: np.ndarray) -> np.ndarray:
    """F1 of each label (0 where a label is neither true nor predicted)."""
    return f1_score(targets, predictions, average=None, zero_division=0)


def classification_metrics(
    targets: np.ndarray, scores: np.ndarray, threshold: float
) -> dict[str, Any]:
    """Every metric of design.md §3 for one predictor on one split, at ``threshold``."""
    return {
        **f1_at(targets, predict_labels(scores, threshold)),
        "precision_at_1": precision_at_k(targets, scores, 1),
        "precision_at_3": precision_at_k(targets, scores, 3),
        "lrap": label_ranking_average_precision(targets, scores),
        "map": mean_average_precision(targets, scores),
        "any_true_above": {str(t): any_true_above(targets, scores, t) for t in ANY_TRUE_THRESHOLDS},
    }
