"""The final model's choice: the study's leading trials re-scored at the final model's size.

Trials fit on a small nested subset of train, so a trial's held-out score is a forecast of
what its configuration scores when fitted on the final model's papers, and forecasts of
different configurations err differently (HDBSCAN's sizes scale with the papers; k-means'
topics do not). The leading trials are therefore refitted at the final size and scored on
the same held-out papers (multi-fidelity selection: many cheap trials, a few expensive
confirmations). Each candidate also records its stability: the mean adjusted Rand index
between the held-out papers' topics under different seeds, fitted on the trials' subset,
and the spread of its held-out score over those seeds.

A final-size score is one fit under one seed, so candidates whose scores differ by less
than the seeds' spread are not told apart by it: :func:`choose_candidate` ships the most
stable of the candidates within one standard deviation of the best score (the
one-standard-error rule of model selection, with stability as the tie-breaker: the map a
rerun under another seed would reproduce best).
"""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.metrics import adjusted_rand_score

from .assignment import assignment_metrics
from .coherence import CoherenceScorer
from .model import score_topics
from .refit import Refit, refit

if TYPE_CHECKING:
    from bertopic import BERTopic

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
        before, after = fit.before[self.split], fit.after[self.split]
        return self.topic_scores(fit.model) | assignment_metrics(before, after, self.labels, f"{self.split}_")

    def topic_scores(self, model: BERTopic) -> dict[str, float]:
        """The model's topic words' coherence against the split, their diversity, n_topics."""
        metrics = score_topics(model, self.reference, self.topn, 0.0).as_dict()
        return {name: metrics[name] for name in ("c_npmi", "c_v", "diversity", "n_topics")}


@dataclass(frozen=True)
class Stability:
    """How a configuration's held-out topics and score move with the seed.

    Attributes
    ----------
    ari
        Mean adjusted Rand index between the held-out papers' topics of each pair of
        seeds (1.0: every seed groups them alike).
    scores
        The held-out score (``measure``) of each seed's fit.
    """

    ari: float
    scores: tuple[float, ...]

    @property
    def score_std(self) -> float:
        """Standard deviation of the held-out score over the seeds (ddof 1)."""
        return float(np.std(self.scores, ddof=1))


def stability(
    documents: Mapping[str, Sequence[str]],
    vectors: Mapping[str, np.ndarray],
    params: dict[str, Any],
    seeds: Sequence[int],
    scoring: HeldOutScoring,
    measure: str,
    chunk_size: int,
) -> Stability:
    """A configuration fitted under each of ``seeds`` (at least 2), on all of
    ``documents["train"]`` (the trials' subset), and scored on ``scoring.split``.

    ``chunk_size``: see :func:`.refit.refit`.
    """
    fitted = np.ones(len(documents["train"]), dtype=bool)
    fits = [refit(documents, vectors, params, seed, fitted, chunk_size) for seed in seeds]
    topics = [fit.after[scoring.split] for fit in fits]
    return Stability(
        ari=float(np.mean([adjusted_rand_score(a, b) for a, b in itertools.combinations(topics, 2)])),
        scores=tuple(scoring.score(fit)[measure] for fit in fits),
    )


@dataclass(frozen=True)
class Candidate:
    """A leading trial refitted at the final size, and what it scored there."""

    trial: int
    trial_value: float
    fit: Refit
    scores: dict[str, float]
    stability: Stability | None = None

    def summary(self, measure: str) -> dict[str, Any]:
        """What the report shows: the trial's forecast beside the final-size score, and
        its stability (None where not measured)."""
        final = self.scores[measure]
        return {
            "trial": self.trial,
            "trial_value": self.trial_value,
            "final_value": final,
            "carry_over": final / self.trial_value if self.trial_value else float("nan"),
            **self.scores,
            "stability_ari": self.stability.ari if self.stability else None,
            "seed_std": self.stability.score_std if self.stability else None,
        }


def choose_candidate(candidates: Sequence[Candidate], measure: str) -> Candidate:
    """The candidate that ships: the most stable of those whose final-size ``measure`` is
    within one standard deviation (over seeds, :class:`Stability`) of the best's.

    Where the best candidate's stability was not measured, the best ships. Ties in
    stability go to the higher score.
    """
    best = max(candidates, key=lambda candidate: candidate.scores[measure])
    if best.stability is None:
        return best
    floor = best.scores[measure] - best.stability.score_std
    tied = [c for c in candidates if c is best or (c.stability and c.scores[measure] >= floor)]
    chosen = max(tied, key=lambda candidate: (candidate.stability.ari, candidate.scores[measure]))
    logger.info(
        "Trial %d ships: %d candidate(s) within one standard deviation over seeds (%.4f) of "
        "the best %s (trial %d, %.4f), and of those the most stable (ARI %.3f).",
        chosen.trial,
        len(tied),
        best.stability.score_std,
        measure,
        best.trial,
        best.scores[measure],
        chosen.stability.ari,
    )
    return chosen


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
    """A trial's configuration fitted on the ``fitted`` training papers, the scored split
    assigned ``chunk_size`` papers at a time (:func:`.refit.refit`).

    The other papers wait for :func:`.refit.assign_rest`: only the candidate that ships
    needs them, and assigning them is most of a refit's time on a large corpus.
    """
    start = time.perf_counter()
    fit = refit(documents, vectors, params, seed, fitted, chunk_size, splits=(scoring.split,))
    candidate = Candidate(trial.number, float(trial.value), fit, scoring.score(fit))
    logger.info(
        "Candidate trial %d at the final size: %d topics, %s; %.0f s.",
        trial.number,
        candidate.scores["n_topics"],
        ", ".join(f"{name} {candidate.scores[name]:.4f}" for name in ("c_npmi", "nmi_primary", "nmi_archive")),
        time.perf_counter() - start,
    )
    return candidate
