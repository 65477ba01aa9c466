"""The final model's choice among the candidates refitted at the final size."""

import pytest

from arxiv_pipeline.topics.candidates import Candidate, Stability, choose_candidate


def candidate(trial: int, score: float, ari: float | None, seed_scores=(0.46, 0.48, 0.50)) -> Candidate:
    stability = None if ari is None else Stability(ari, seed_scores)
    return Candidate(trial, score, fit=None, scores={"nmi_primary": score}, stability=stability)


def test_the_spread_is_the_sample_deviation_of_the_seeds_scores():
    assert Stability(0.8, (0.46, 0.48, 0.50)).score_std == pytest.approx(0.02, abs=1e-12)


def test_within_one_deviation_of_the_best_the_most_stable_ships():
    best, close, far = candidate(21, 0.480, 0.68), candidate(2, 0.4705, 0.88), candidate(7, 0.455, 0.99)
    assert choose_candidate([best, close, far], "nmi_primary") is close


def test_a_lead_beyond_the_seeds_spread_ships_the_best():
    best = candidate(21, 0.480, 0.68, seed_scores=(0.479, 0.480, 0.481))  # std 0.001
    close = candidate(2, 0.4705, 0.88)
    summary = choose_candidate([close, best], "nmi_primary").summary("nmi_primary")
    assert summary["trial"] == 21 and summary["seed_std"] == pytest.approx(0.001, abs=1e-12)


def test_without_measured_stability_the_best_ships():
    best, close = candidate(21, 0.480, None), candidate(2, 0.4705, 0.88)
    assert choose_candidate([close, best], "nmi_primary") is best
    assert best.summary("nmi_primary")["stability_ari"] is None
