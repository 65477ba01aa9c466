"""The final model's choice: the study's leading trials re-scored at the final model's size.

Trials fit on a small nested subset of train, so a trial's held-out score is a forecast of
what its configuration scores when fitted on the final model's papers, and forecasts of
different configurations err differently (HDBSCAN's sizes scale with the papers; k-means'
topics do not). The leading trials are therefore refitted at the final size and scored on
the same held-out papers, and the best of them ships (multi-fidelity selection: many cheap
trials, a few expensive confirmations). Each candidate also records its stability: the
mean adjusted Rand index between the held-out papers' topics under different seeds, fitted
on the trials' subset.
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from sklearn.metrics import adjusted_rand_score

from .assignment import assignment_metrics
from .coherence import CoherenceScorer
from .model import score_topics
from .refit import Refit, refit

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class HeldOutScoring:
    """How a refit is scored: the held-out split's coherence reference and taxonomy labels."""

    split: str
    reference: CoherenceScorer
    labels: Mapping[str, np.ndarray]
    topn: int

    def score(self, fit: Refit) -> dict[str, float]:
        """Coherence, diversity, n_topics and agreement (of the split's final topics)."""
        metrics = score_topics(fit.model, self.reference, self.topn, 0.0).as_dict()
        metrics.pop("fit_seconds")
        metrics.pop("outlier_share")  # the fit's own papers', not the held-out split's
        before, after = fit.before[self.split], fit.after[self.split]
        return metrics | assignment_metrics(before, after, self.labels, f"{self.split}_")


def stability(
    documents: Mapping[str, Sequence[str]],
    vectors: Mapping[str, np.ndarray],
    params: dict[str, Any],
    seeds: Sequence[int],
    split: str,
    chunk_size: int,
) -> float:
    """Mean adjusted Rand index between ``split``'s topics of fits under each pair of seeds.

    Each fit is on all of ``documents["train"]`` (the trials' subset); 1.0 means every seed
    groups the held-out papers alike. ``chunk_size``: see :func:`.refit.refit`.
    """
    fitted = np.ones(len(documents["train"]), dtype=bool)
    runs = [refit(documents, vectors, params, seed, fitted, chunk_size).after[split] for seed in seeds]
    return float(np.mean([adjusted_rand_score(a, b) for a, b in itertools.combinations(runs, 2)]))


@dataclass(frozen=True)
class Candidate:
    """A leading trial refitted at the final size, and what it scored there."""

    trial: int
    trial_value: float
    fit: Refit
    scores: dict[str, float]

    def summary(self, measure: str) -> dict[str, Any]:
        """What the report shows: the trial's forecast beside the final-size score."""
        final = self.scores[measure]
        return {
            "trial": self.trial,
            "trial_value": self.trial_value,
            "final_value": final,
            "carry_over": final / self.trial_value if self.trial_value else float("nan"),
            **self.scores,
        }


def refit_candidate(
    trial: Any,
    params: dict[str, Any],
    documents: Mapping[str, Sequence[str]],
    vectors: Mapping[str, np.ndarray],
    seed: int,
    fitted: np.ndarray,
    scoring: HeldOutScoring,
    chunk_size: int,
) -> Candidate:
    """A trial's configuration fitted on the ``fitted`` training papers, every split assigned
    ``chunk_size`` papers at a time (:func:`.refit.refit`)."""
    start = time.perf_counter()
    fit = refit(documents, vectors, params, seed, fitted, chunk_size)
    candidate = Candidate(trial.number, float(trial.value), fit, scoring.score(fit))
    logger.info(
        "Candidate trial %d at the final size: %d topics, %s; %.0f s.",
        trial.number,
        candidate.scores["n_topics"],
        ", ".join(f"{name} {candidate.scores[name]:.4f}" for name in ("c_npmi", "nmi_primary", "nmi_archive")),
        time.perf_counter() - start,
    )
    return candidate
