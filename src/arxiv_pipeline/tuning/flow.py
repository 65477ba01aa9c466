"""One tuning flow for every study: check its data, run its trials, choose its final trial.

A study's nodes give the flow what is their own (the embeddings and subset its trials
read, how to build its objective, what its provenance records of each embedding model)
and its typed parameters (a :class:`~arxiv_pipeline.tuning.settings.StudySettings`);
the flow checks, runs and chooses the same way for the topic and the classifier study.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol

import optuna
import pandas as pd

from arxiv_pipeline.embedding.vectors import Embeddings

from .components import sampler_factory
from .provenance import data_fingerprint, provenance
from .settings import StudySettings
from .store import StudyStore
from .study import check_data, check_splits, run_study


class TuningObjective(Protocol):
    """What the flow needs of a study's objective besides scoring a trial."""

    def __call__(self, trial: optuna.Trial) -> float | tuple[float, ...]:
        """The trial's objective value(s)."""

    def sampler_options(self) -> dict[str, Any]:
        """Keyword arguments the sampler takes from the objective (``constraints_func``)."""


def check_study_splits(
    settings: StudySettings, catalog_store: StudyStore, paper_splits: pd.DataFrame
) -> StudyStore:
    """The catalog's store, once its study is checked right after ingestion (:func:`check_splits`).

    Raises
    ------
    ProvenanceMismatchError
        If the study ``settings`` name was run on other papers or splits, saying how to
        name a new study; before any embedding is computed.
    """
    check_splits(settings.store(catalog_store), paper_splits, settings.KEY)
    return catalog_store


def tune(
    settings: StudySettings,
    catalog_store: StudyStore,
    paper_splits: pd.DataFrame,
    embeddings: Mapping[str, Mapping[str, Embeddings]],
    keys: Sequence[str],
    size_fraction: float,
    build_objective: Callable[[], TuningObjective],
    embedding_models: dict[str, Any],
    labels: Sequence[str] | None = None,
    validation_fraction: float = 1.0,
) -> optuna.Study:
    """Check the study's data, then run it to ``settings.n_trials`` complete trials.

    Parameters
    ----------
    settings
        The study's parameters: which study (:meth:`StudySettings.store`), its sampler,
        pruner, seed, trials, workers, directions and provenance.
    catalog_store
        The study's catalog entry.
    paper_splits
        The splits: the provenance records their fingerprint.
    embeddings
        ``{split: {model_key: Embeddings}}`` of the splits the trials read.
    keys
        The embedding models the trials use: only they enter the data fingerprint.
    size_fraction
        The nested subset trials fit on.
    build_objective
        Called once the data is checked, so that a study resumed on other data is
        refused before any text or paper is read.
    embedding_models
        What the provenance records of each embedding model.
    labels
        The label vocabulary, for a study whose trials depend on it.
    validation_fraction
        The nested subset of validation trials are scored on.

    Raises
    ------
    ProvenanceMismatchError
        If the stored study was run on other data (:func:`check_data`).
    """
    store = settings.store(catalog_store)
    used = {f"{key}__{split}": stored[key] for split, stored in embeddings.items() for key in keys}
    fingerprint = data_fingerprint(used, size_fraction, labels, validation_fraction)
    check_data(store, fingerprint, settings.KEY)
    objective = build_objective()
    sampler = sampler_factory(
        settings.sampler, f"{settings.KEY}.sampler", settings.fixed, **objective.sampler_options()
    )
    return run_study(
        store,
        objective,
        directions=settings.directions,
        sampler=sampler,
        seed=settings.seed,
        pruner=settings.build_pruner(),
        n_trials=settings.n_trials,
        provenance=provenance(
            fingerprint, paper_splits, **settings.provenance(), embedding_models=embedding_models
        ),
        n_workers=settings.n_workers,
    )


def final_trial(settings: StudySettings, catalog_store: StudyStore) -> optuna.trial.FrozenTrial:
    """The trial of the study ``settings`` name that its final model is built from.

    Raises
    ------
    ValueError
        If the study holds no trial to build it from (see
        :meth:`StudySettings.choose_final_trial`).
    """
    return settings.choose_final_trial(settings.store(catalog_store).load())
