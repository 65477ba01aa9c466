"""The Optuna objective of the topic study: fit BERTopic on train, score on validation."""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import optuna
from optuna.distributions import BaseDistribution

from arxiv_pipeline.topics.coherence import CoherenceScorer
from arxiv_pipeline.tuning.components import TRIAL_ERRORS
from arxiv_pipeline.tuning.search_space import suggest

from .model import TOPIC_DEFAULTS, TopicMetrics, score_topics, timed_fit
from .reduction import REDUCER_PARAMETERS, ReductionCache

logger = logging.getLogger(__name__)

@dataclass(frozen=True)
class TopicObjectiveConfig:
    """How trials are scored.

    Attributes
    ----------
    measure
        ``"c_npmi"`` or ``"c_v"``: the coherence to maximise.
    topn
        Words per topic that coherence scores.
    seeds
        One fit per seed; the objective is the mean over seeds.
    multi_objective
        Maximise (coherence, diversity) and report the Pareto front.
    constraints
        Optional ``min_topics``, ``max_topics``, ``max_outlier_share``.
    """

    measure: str = "c_npmi"
    topn: int = 10
    seeds: Sequence[int] = (0,)
    multi_objective: bool = False
    constraints: Mapping[str, float | None] = field(default_factory=dict)


def constraint_violations(
    attrs: Mapping[str, Any], limits: Mapping[str, float | None]
) -> list[float]:
    """Optuna constraint values (<= 0 is feasible) of a trial's recorded metrics.

    Parameters
    ----------
    attrs
        The trial's user attrs (``n_topics``, ``outlier_share``).
    limits
        ``min_topics``, ``max_topics``, ``max_outlier_share``; None is no limit.
    """
    values = []
    if limits.get("min_topics") is not None:
        values.append(limits["min_topics"] - attrs["n_topics"])
    if limits.get("max_topics") is not None:
        values.append(attrs["n_topics"] - limits["max_topics"])
    if limits.get("max_outlier_share") is not None:
        values.append(attrs["outlier_share"] - limits["max_outlier_share"])
    return [float(value) for value in values]


def _used_by(name: str, reducer: str) -> bool:
    """Whether a parameter matters for a reducer (``umap.*`` only for UMAP, and so on)."""
    prefix = name.split(".", 1)[0]
    return prefix not in REDUCER_PARAMETERS or prefix == reducer


class TopicObjective:
    """Callable objective: one trial = BERTopic fits on the training split under each seed.

    Parameters
    ----------
    documents
        Training documents.
    embeddings
        Training embeddings per embedding model key, rows aligned with ``documents``.
    scorer
        Coherence scorer built once on the tokenised validation documents.
    space
        Optuna distributions of the tuned parameters, fixed ones included (their values
        come from the sampler: ``PartialFixedSampler``).
    config
        See :class:`TopicObjectiveConfig`.
    cache
        Shared reductions; trials drawing the same reducer settings reuse one fit.
    """

    def __init__(
        self,
        documents: list[str],
        embeddings: Mapping[str, np.ndarray],
        scorer: CoherenceScorer,
        space: Mapping[str, BaseDistribution],
        config: TopicObjectiveConfig,
        cache: ReductionCache,
    ) -> None:
        self.documents = documents
        self.embeddings = embeddings
        self.scorer = scorer
        self.space = space
        self.config = config
        self.cache = cache

    def trial_params(self, trial: optuna.Trial | optuna.trial.FrozenTrial) -> dict[str, Any]:
        """Every parameter of a fit: defaults, then the trial's draws (fixed values among them).

        The reducer is drawn first; parameters of the other reducer are not drawn, so
        the study (and its parameter importances) only holds what a fit used.
        """
        base = dict(TOPIC_DEFAULTS)
        if isinstance(trial, optuna.Trial):
            drawn = suggest(trial, {name: d for name, d in self.space.items() if name == "reducer"})
            reducer = drawn.get("reducer", base["reducer"])
            used = {
                name: distribution
                for name, distribution in self.space.items()
                if name != "reducer" and _used_by(name, reducer)
            }
            drawn |= suggest(trial, used)
        else:
            drawn = trial.params
        params = {**base, **drawn}
        params.setdefault("embedding_model", next(iter(self.embeddings)))
        return params

    def fit_and_score(self, params: dict[str, Any], seed: int) -> TopicMetrics:
        """One fit of BERTopic on the training split and its scores on validation."""
        embeddings = self.embeddings[params["embedding_model"]]
        _, reduced = self.cache.get(params["embedding_model"], embeddings, params, seed)
        model, seconds = timed_fit(self.documents, embeddings, reduced, params)
        return score_topics(model, self.scorer, self.config.topn, seconds)

    def __call__(self, trial: optuna.Trial) -> float | tuple[float, float]:
        params = self.trial_params(trial)
        runs: list[TopicMetrics] = []
        try:
            for step, seed in enumerate(self.config.seeds):
                runs.append(self.fit_and_score(params, seed))
                if len(self.config.seeds) > 1 and not self.config.multi_objective:
                    # Pruning is real here: a trial whose first seeds score poorly stops early.
                    trial.report(float(np.mean([getattr(run, self.config.measure) for run in runs])), step)
                    if trial.should_prune():
                        raise optuna.TrialPruned()
        except TRIAL_ERRORS as error:
            trial.set_user_attr("fail_reason", f"{type(error).__name__}: {error}")
            raise
        return self._record(trial, runs)

    def _record(self, trial: optuna.Trial, runs: list[TopicMetrics]) -> float | tuple[float, float]:
        table = {name: [run.as_dict()[name] for run in runs] for name in runs[0].as_dict()}
        for name, values in table.items():
            trial.set_user_attr(name, float(np.mean(values)))
        objective = float(np.mean(table[self.config.measure]))
        trial.set_user_attr(f"{self.config.measure}_std", float(np.std(table[self.config.measure])))
        trial.set_user_attr("n_topics_per_seed", [int(n) for n in table["n_topics"]])
        trial.set_user_attr("constraints", self._violations(trial.user_attrs))
        if self.config.multi_objective:
            return objective, float(np.mean(table["diversity"]))
        return objective

    @property
    def has_constraints(self) -> bool:
        return any(value is not None for value in self.config.constraints.values())

    def constraints_func(self, trial: optuna.trial.FrozenTrial) -> list[float]:
        """Optuna's ``constraints_func``: what the trial recorded; a pruned trial is infeasible."""
        if "constraints" in trial.user_attrs:
            return trial.user_attrs["constraints"]
        return [1.0] * sum(value is not None for value in self.config.constraints.values())

    def _violations(self, attrs: Mapping[str, Any]) -> list[float]:
        return constraint_violations(attrs, self.config.constraints)
