"""Figures of any Optuna study (``optuna.visualization``), or a note saying why one is empty.

The figures show the study as stored, with the trials of every process that ran it. The
earlier research could only show these as dashboard screenshots; here they are files in
``data/08_reporting`` and previews in kedro-viz.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import optuna
import plotly.graph_objects as go
from optuna import visualization
from optuna.importance import FanovaImportanceEvaluator
from optuna.search_space import intersection_search_space
from optuna.trial import TrialState

from arxiv_pipeline.reporting.figures import note_figure, objective_name
from arxiv_pipeline.tuning.store import StudyStore


def open_study(study: StudyStore, storage: str | None, study_name: str | None) -> optuna.Study:
    """The study its tuning parameters name (``study_name``, ``storage``; None: the catalog's)."""
    return study.using(storage).named(study_name).load()


def _target(study: optuna.Study) -> dict[str, Any]:
    """Optuna's plot options for the first objective, named (multi-objective plots need one)."""
    options: dict[str, Any] = {"target_name": objective_name(study)}
    if len(study.directions) > 1:
        options["target"] = lambda trial: trial.values[0]
    return options


def _title(study: optuna.Study, what: str) -> str:
    return f"{study.study_name}: {what}"


def _titled(figure: go.Figure, study: optuna.Study, what: str) -> go.Figure:
    figure.update_layout(title=_title(study, what))
    return figure


def _n_complete(study: optuna.Study) -> int:
    return len(study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)))


def _of_complete_trials(
    study: optuna.Study, what: str, draw: Callable[..., go.Figure]
) -> go.Figure:
    """``draw`` for the first objective, or a note while the study has no complete trial."""
    if not _n_complete(study):
        return note_figure(_title(study, what), "No complete trial yet.")
    return _titled(draw(study, **_target(study)), study, what)


def plot_optimization_history(study: optuna.Study) -> go.Figure:
    """The objective of every complete trial, and the best so far."""
    return _of_complete_trials(
        study, "optimisation history", visualization.plot_optimization_history
    )


def plot_intermediate_values(study: optuna.Study) -> go.Figure:
    """The values trials reported step by step (epochs, seeds), on which pruning decides."""
    what = "intermediate values"
    if not any(trial.intermediate_values for trial in study.get_trials(deepcopy=False)):
        return note_figure(
            _title(study, what),
            "No trial reported intermediate values (e.g. a topic study with n_seeds: 1).",
        )
    return _titled(visualization.plot_intermediate_values(study), study, what)


def plot_param_importances(study: optuna.Study) -> go.Figure:
    """fANOVA importance of each parameter that every complete trial has (seeded: reproducible)."""
    what = "hyperparameter importances"
    complete = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
    if len(complete) < 2:
        return note_figure(
            _title(study, what), f"Needs at least 2 complete trials; the study has {len(complete)}."
        )
    shared = intersection_search_space(complete)
    if not any(len({trial.params[name] for trial in complete}) > 1 for name in shared):
        return note_figure(
            _title(study, what), "No parameter that every complete trial has took two values."
        )
    figure = visualization.plot_param_importances(
        study, evaluator=FanovaImportanceEvaluator(seed=0), **_target(study)
    )
    return _titled(figure, study, what)


def plot_parallel_coordinate(study: optuna.Study) -> go.Figure:
    """Each complete trial as a line through its parameters to its objective."""
    return _of_complete_trials(
        study, "parallel coordinates", visualization.plot_parallel_coordinate
    )


def plot_slice(study: optuna.Study) -> go.Figure:
    """The objective against each parameter, one panel per parameter."""
    return _of_complete_trials(study, "slices", visualization.plot_slice)
