"""The Optuna objective of the topic study: fit BERTopic on train, score on validation.

A trial's held-out scores are those of the validation papers: coherence of its topic
words on their texts, and their topics (``transform``, then the optional outlier
reduction, see :mod:`.assignment`) against the arXiv taxonomy and as an outlier share.
"""

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

from .assignment import HeldOutPapers, assign_topics, assignment_metrics, reduce_outliers
from .model import CLUSTERER_PARAMETERS, TOPIC_DEFAULTS, score_topics, timed_fit
from .reduction import REDUCER_PARAMETERS, ReductionCache

logger = logging.getLogger(__name__)

#: Prefix of the validation outlier shares a trial records.
HELD_OUT_PREFIX = "validation_"


@dataclass(frozen=True)
class TopicObjectiveConfig:
    """How trials are scored.

    Attributes
    ----------
    measure
        The metric to maximise: ``"c_npmi"``, ``"c_v"`` or an agreement metric
        (``"nmi_primary"``, ...; see :mod:`.agreement`).
    topn
        Words per topic that coherence scores.
    seeds
        One fit per seed; the objective is the mean over seeds.
    multi_objective
        Maximise (``measure``, ``second_measure``) and report the Pareto front.
    second_measure
        The second objective: ``"diversity"`` or any name ``measure`` accepts.
    constraints
        Optional ``min_topics``, ``max_topics``, ``max_outlier_share`` (of validation).
    """

    measure: str = "c_npmi"
    topn: int = 10
    seeds: Sequence[int] = (0,)
    multi_objective: bool = False
    second_measure: str = "diversity"
    constraints: Mapping[str, float | None] = field(default_factory=dict)


def constraint_values(
    attrs: Mapping[str, Any], limits: Mapping[str, float | None]
) -> dict[str, float]:
    """Each set limit's constraint value (<= 0 is feasible) of a trial's recorded metrics.

    Parameters
    ----------
    attrs
        The trial's user attrs (``n_topics``, ``validation_outlier_share``).
    limits
        ``min_topics``, ``max_topics``, ``max_outlier_share``; None is no limit.
        ``max_outlier_share`` bounds the held-out (validation) outlier share after
        outlier reduction; a trial recorded before it was measured is infeasible.

    Returns
    -------
    dict
        By limit name, in that order, the limits that are set.
    """
    values = {}
    if limits.get("min_topics") is not None:
        values["min_topics"] = limits["min_topics"] - attrs["n_topics"]
    if limits.get("max_topics") is not None:
        values["max_topics"] = attrs["n_topics"] - limits["max_topics"]
    if limits.get("max_outlier_share") is not None:
        share = attrs.get(f"{HELD_OUT_PREFIX}outlier_share", float("inf"))
        values["max_outlier_share"] = share - limits["max_outlier_share"]
    return {name: float(value) for name, value in values.items()}


def constraint_violations(
    attrs: Mapping[str, Any], limits: Mapping[str, float | None]
) -> list[float]:
    """Optuna constraint values (<= 0 is feasible): :func:`constraint_values`, in order."""
    return list(constraint_values(attrs, limits).values())


def violated_constraints(
    attrs: Mapping[str, Any], limits: Mapping[str, float | None]
) -> list[str]:
    """The names of the set limits a trial's recorded metrics are outside of."""
    return [name for name, value in constraint_values(attrs, limits).items() if value > 0]


def fit_params(drawn: Mapping[str, Any], default_model: str) -> dict[str, Any]:
    """Every parameter of a fit: :data:`TOPIC_DEFAULTS`, then a trial's draws.

    ``default_model`` is the embedding model of a study that does not draw one.
    """
    params = {**TOPIC_DEFAULTS, **drawn}
    params.setdefault("embedding_model", default_model)
    return params


#: The choices that decide which other parameters a fit uses, drawn first.
COMPONENT_CHOICES = ("reducer", "cluster")


def _used_by(name: str, reducer: str, cluster: str) -> bool:
    """Whether a parameter matters for a fit with this reducer and clusterer
    (``umap.*`` only for UMAP, ``hdbscan.*`` only for HDBSCAN, and so on)."""
    prefix = name.split(".", 1)[0]
    if prefix in REDUCER_PARAMETERS:
        return prefix == reducer
    if f"{prefix}." in CLUSTERER_PARAMETERS.values():
        return CLUSTERER_PARAMETERS[cluster] == f"{prefix}."
    return True


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
    held_out
        The validation papers, whose topics the trial assigns and scores.
    space
        Optuna distributions of the tuned parameters, fixed ones included (their values
        come from the sampler: ``PartialFixedSampler``).
    config
        See :class:`TopicObjectiveConfig`.
    cache
        Shared reductions; trials drawing the same reducer settings reuse one fit.
    """

    #: What a trial imports on its first fit (seconds): worker processes get it preloaded.
    worker_modules = ("bertopic", "hdbscan", "umap")

    def __init__(
        self,
        documents: list[str],
        embeddings: Mapping[str, np.ndarray],
        scorer: CoherenceScorer,
        held_out: HeldOutPapers,
        space: Mapping[str, BaseDistribution],
        config: TopicObjectiveConfig,
        cache: ReductionCache,
    ) -> None:
        self.documents = documents
        self.embeddings = embeddings
        self.scorer = scorer
        self.held_out = held_out
        self.space = space
        self.config = config
        self.cache = cache

    def trial_params(self, trial: optuna.Trial | optuna.trial.FrozenTrial) -> dict[str, Any]:
        """Every parameter of a fit: defaults, then the trial's draws (fixed values among them).

        The reducer and the clusterer are drawn first; parameters of the others are not
        drawn, so the study (and its parameter importances) only holds what a fit used.
        """
        if isinstance(trial, optuna.Trial):
            drawn = suggest(trial, {name: d for name, d in self.space.items() if name in COMPONENT_CHOICES})
            chosen = {name: drawn.get(name, TOPIC_DEFAULTS[name]) for name in COMPONENT_CHOICES}
            used = {
                name: distribution
                for name, distribution in self.space.items()
                if name not in COMPONENT_CHOICES and _used_by(name, **chosen)
            }
            drawn |= suggest(trial, used)
        else:
            drawn = trial.params
        return fit_params(drawn, next(iter(self.embeddings)))

    def fit_and_score(self, params: dict[str, Any], seed: int) -> dict[str, float]:
        """One fit of BERTopic on the training split and its scores on validation.

        ``outlier_share`` is the training papers'; ``validation_outlier_share_before`` and
        ``validation_outlier_share`` the validation papers' before and after outlier
        reduction; agreement is that of the validation papers' final topics.
        """
        key = params["embedding_model"]
        embeddings = self.embeddings[key]
        _, reduced = self.cache.get(key, embeddings, params, seed)
        model, seconds = timed_fit(self.documents, embeddings, reduced, params, seed, prediction_data=True)
        metrics = score_topics(model, self.scorer, self.config.topn, seconds).as_dict()
        held_out = self.held_out
        vectors = held_out.embeddings[key]
        before = assign_topics(
            model, held_out.documents, vectors, self.cache.transformed(key, params, seed, vectors)
        )
        after = reduce_outliers(model, held_out.documents, before, vectors, params)
        return metrics | assignment_metrics(before, after, held_out.labels, HELD_OUT_PREFIX)

    def __call__(self, trial: optuna.Trial) -> float | tuple[float, float]:
        params = self.trial_params(trial)
        runs: list[dict[str, float]] = []
        try:
            for step, seed in enumerate(self.config.seeds):
                runs.append(self.fit_and_score(params, seed))
                if len(self.config.seeds) > 1 and not self.config.multi_objective:
                    # Pruning is real here: a trial whose first seeds score poorly stops early.
                    trial.report(float(np.mean([run[self.config.measure] for run in runs])), step)
                    if trial.should_prune():
                        raise optuna.TrialPruned()
        except TRIAL_ERRORS as error:
            trial.set_user_attr("fail_reason", f"{type(error).__name__}: {error}")
            raise
        return self._record(trial, runs)

    def _record(self, trial: optuna.Trial, runs: list[dict[str, float]]) -> float | tuple[float, float]:
        table = {name: [run[name] for run in runs] for name in runs[0]}
        for name, values in table.items():
            trial.set_user_attr(name, float(np.mean(values)))
        objective = float(np.mean(table[self.config.measure]))
        trial.set_user_attr(f"{self.config.measure}_std", float(np.std(table[self.config.measure])))
        trial.set_user_attr("n_topics_per_seed", [int(n) for n in table["n_topics"]])
        trial.set_user_attr("constraints", self._violations(trial.user_attrs))
        self._log(trial, objective)
        if self.config.multi_objective:
            return objective, float(np.mean(table[self.config.second_measure]))
        return objective

    def _log(self, trial: optuna.Trial, objective: float) -> None:
        """One line per trial: what it found, and whether the constraints allow it."""
        attrs = trial.user_attrs
        broken = violated_constraints(attrs, self.config.constraints)
        logger.info(
            "Trial %d: %.1f topics, %s %.4f, validation outlier share %.3f: %s.",
            trial.number,
            attrs["n_topics"],
            self.config.measure,
            objective,
            attrs.get(f"{HELD_OUT_PREFIX}outlier_share", float("nan")),
            f"infeasible ({', '.join(broken)})" if broken else "feasible",
        )

    def sampler_options(self) -> dict[str, Any]:
        """The sampler's options from the objective: ``constraints_func`` where limits are set."""
        if any(value is not None for value in self.config.constraints.values()):
            return {"constraints_func": self.constraints_func}
        return {}

    def constraints_func(self, trial: optuna.trial.FrozenTrial) -> list[float]:
        """Optuna's ``constraints_func``: what the trial recorded; a pruned trial is infeasible."""
        if "constraints" in trial.user_attrs:
            return trial.user_attrs["constraints"]
        return [1.0] * sum(value is not None for value in self.config.constraints.values())

    def _violations(self, attrs: Mapping[str, Any]) -> list[float]:
        return constraint_violations(attrs, self.config.constraints)
