"""The classifier metrics against scikit-learn on hand-made cases (ties, absent labels)."""

import numpy as np
import pytest
from sklearn.metrics import (
    average_precision_score,
    f1_score,
    label_ranking_average_precision_score,
    precision_score,
)

from arxiv_pipeline.classifier.metrics import (
    THRESHOLDS,
    any_true_above,
    classification_metrics,
    f1_at,
    label_ranking_average_precision,
    mean_average_precision,
    micro_f1_curve,
    precision_at_k,
    predict_labels,
    tune_threshold,
)

# Four papers, five labels. Label 4 has no true paper; paper 1 has tied scores;
# paper 3 has every score below 0.3 (nothing predicted there at 0.3).
TARGETS = np.array(
    [
        [1, 0, 0, 1, 0],
        [0, 1, 0, 0, 0],
        [1, 1, 1, 0, 0],
        [0, 0, 1, 0, 0],
    ],
    dtype=np.float32,
)
SCORES = np.array(
    [
        [0.9, 0.2, 0.3, 0.6, 0.1],
        [0.5, 0.5, 0.5, 0.1, 0.5],
        [0.7, 0.05, 0.8, 0.3, 0.3],
        [0.2, 0.25, 0.1, 0.05, 0.29],
    ],
    dtype=np.float32,
)


def test_micro_f1_curve_is_sklearns_f1_at_every_threshold():
    curve = micro_f1_curve(TARGETS, SCORES, THRESHOLDS)
    expected = [
        f1_score(TARGETS, predict_labels(SCORES, t), average="micro", zero_division=0)
        for t in THRESHOLDS
    ]
    np.testing.assert_allclose(curve, expected, atol=1e-12)
    # Scores equal to the threshold count as predicted, in float32 input as in float64.
    assert micro_f1_curve(TARGETS, SCORES, [0.5])[0] == pytest.approx(
        f1_score(TARGETS, SCORES >= np.float32(0.5), average="micro")
    )


def test_the_tuned_threshold_is_the_first_best_one():
    threshold, curve = tune_threshold(TARGETS, SCORES)
    assert curve.max() == curve[list(THRESHOLDS).index(threshold)]
    assert np.all(curve[THRESHOLDS < threshold] < curve.max())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_lrap_matches_sklearn_with_ties_and_degenerate_rows(seed):
    rng = np.random.default_rng(seed)
    targets = (rng.random((300, 7)) < 0.3).astype(np.float32)
    targets[0] = 0  # no true label: scikit-learn scores it 1
    targets[1] = 1  # every label true: 1 as well
    # Scores on a coarse grid: many ties within a paper.
    scores = rng.integers(0, 4, size=(300, 7)) / 4
    assert label_ranking_average_precision(targets, scores) == pytest.approx(
        label_ranking_average_precision_score(targets, scores), abs=1e-12
    )
    assert label_ranking_average_precision(TARGETS, SCORES) == pytest.approx(
        label_ranking_average_precision_score(TARGETS, SCORES), abs=1e-12
    )


@pytest.mark.parametrize("k", [1, 3])
def test_precision_at_k_is_sklearns_samples_precision_of_the_top_k(k):
    top = np.zeros_like(TARGETS)
    # The ranking of paper 1 is tied: label order (most frequent first) decides.
    np.put_along_axis(top, np.argsort(-SCORES, axis=1, kind="stable")[:, :k], 1, axis=1)
    expected = precision_score(TARGETS, top, average="samples", zero_division=0)
    assert precision_at_k(TARGETS, SCORES, k) == pytest.approx(expected)
    assert precision_at_k(TARGETS, SCORES, 1) == pytest.approx((1 + 0 + 1 + 0) / 4)


def test_map_averages_the_labels_that_have_a_true_paper():
    present = [0, 1, 2, 3]
    expected = np.mean([average_precision_score(TARGETS[:, j], SCORES[:, j]) for j in present])
    assert mean_average_precision(TARGETS, SCORES) == pytest.approx(expected)


def test_f1_scores_match_sklearn_and_macro_skips_absent_labels():
    predictions = predict_labels(SCORES, 0.3)
    scores = f1_at(TARGETS, predictions)
    assert scores["micro_f1"] == pytest.approx(f1_score(TARGETS, predictions, average="micro"))
    assert scores["samples_f1"] == pytest.approx(
        f1_score(TARGETS, predictions, average="samples", zero_division=0)
    )
    assert scores["macro_f1"] == pytest.approx(
        f1_score(TARGETS, predictions, average="macro", labels=[0, 1, 2, 3], zero_division=0)
    )
    # Label 4 (no true paper, predicted for paper 1) would drag the plain macro average down.
    assert scores["macro_f1"] > f1_score(TARGETS, predictions, average="macro", zero_division=0)


def test_any_true_above_rewards_predicting_everything():
    assert any_true_above(TARGETS, SCORES, 0.3) == pytest.approx(
        3 / 4
    )  # paper 3's true label scores 0.1
    assert any_true_above(TARGETS, SCORES, 0.5) == pytest.approx(
        2 / 4
    )  # strictly above: paper 1's 0.5 is not
    everything = np.ones_like(SCORES)
    assert any_true_above(TARGETS, everything, 0.3) == 1.0
    assert f1_at(TARGETS, predict_labels(everything, 0.3))["micro_f1"] < 0.6


def test_all_metrics_of_a_perfect_predictor():
    metrics = classification_metrics(TARGETS, TARGETS * 0.9 + 0.05, threshold=0.5)
    for name in ("micro_f1", "macro_f1", "samples_f1", "precision_at_1", "lrap", "map"):
        assert metrics[name] == pytest.approx(1.0), name
    assert metrics["precision_at_3"] == pytest.approx((2 / 3 + 1 / 3 + 1 + 1 / 3) / 4)
    assert metrics["any_true_above"] == {"0.05": 1.0, "0.1": 1.0, "0.2": 1.0, "0.3": 1.0}
