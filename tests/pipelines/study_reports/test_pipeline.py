"""The study_reports pipeline in a real KedroSession,on studies as the tuning pipelines write them.

The studies' scores are made up (the reports only read trials), so no model is fit.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import optuna
import pytest

from arxiv_pipeline.pipelines.study_reports.nodes import (
    plot_optimization_history,
    plot_param_importances,
    plot_slice,
)
from arxiv_pipeline.reporting.topic_counts import (
    plot_topic_counts,
    summarize_topic_counts,
    write_topic_count_report,
)
from tests.conftest import run_pipelines
from tests.parameters import topic_tuning as project_topic_tuning

FIGURES = (
    "optimization_history",
    "intermediate_values",
    "param_importances",
    "parallel_coordinate",
    "slice",
)


def _topic_objective(trial: optuna.Trial) -> float | tuple[float, float]:
    """Topic counts from min_cluster_size, seeds one apart; coherence peaks at 12 topics."""
    size = trial.suggest_int("hdbscan.min_cluster_size", 10, 100, log=True)
    trial.suggest_categorical("reducer", ["pca", "umap"])
    per_seed = [max(2, round(300 / size) + offset) for offset in (-1, 0, 1)]
    n_topics = float(np.mean(per_seed))
    attrs = {
        "n_topics": n_topics,
        "n_topics_per_seed": per_seed,
        "diversity": 0.9,
        "outlier_share": 0.1,
    }
    for name, value in attrs.items():
        trial.set_user_attr(name, value)
    trial.set_user_attr("constraints", [])
    coherence = 0.1 - abs(n_topics - 12) / 100
    return (coherence, 0.9) if len(trial.study.directions) > 1 else coherence


def make_topic_study(
    storage: str | None = None, directions: tuple[str, ...] = ("maximize",)
) -> optuna.Study:
    """A topic study with the user attrs topic_tuning records, 10 trials."""
    study = optuna.create_study(
        study_name="topic_tuning",
        storage=storage,
        directions=list(directions),
        sampler=optuna.samplers.RandomSampler(seed=0),
    )
    study.set_user_attr(
        "provenance", {"measure": "c_npmi", "seeds": [42, 43, 44], "data_fingerprint": "made-up"}
    )
    study.optimize(_topic_objective, n_trials=10)
    return study


def make_studies(project: Path) -> optuna.Study:
    """The project's topic study (10 trials) and a classifier study with one complete trial."""
    models = project / "data/06_models"
    models.mkdir(parents=True, exist_ok=True)
    topic = make_topic_study(f"sqlite:///{models / 'topic_tuning.db'}")
    classifier = optuna.create_study(
        study_name="classifier_tuning", storage=f"sqlite:///{models / 'classifier_tuning.db'}"
    )
    classifier.set_user_attr("provenance", {"objective": "validation_loss"})
    classifier.optimize(
        lambda trial: trial.suggest_float("learning_rate", 1e-4, 1e-2, log=True), n_trials=1
    )
    return topic


def test_reports_of_every_study_and_how_many_categories(project):
    topic = make_studies(project)
    run_pipelines(project, ["study_reports"])

    reporting = project / "data/08_reporting"
    for study in ("topic_report", "classifier_report"):
        for figure in FIGURES:
            assert json.loads((reporting / study / f"{figure}.json").read_text())["layout"]["title"]
    importances = (reporting / "topic_report/param_importances.json").read_text()
    assert json.loads(importances)["data"] and "c_npmi" in importances
    # One complete trial has no importances: the figure says so instead of failing.
    small = json.loads((reporting / "classifier_report/param_importances.json").read_text())
    assert (
        not small["data"]
        and "at least 2 complete trials" in small["layout"]["annotations"][0]["text"]
    )

    summary = json.loads((reporting / "topic_report/topic_counts.json").read_text())
    assert summary["recommended"]["trial"] == topic.best_trial.number
    per_seed = topic.best_trial.user_attrs["n_topics_per_seed"]
    assert summary["recommended"]["seed_spread"] == pytest.approx(
        {"min": min(per_seed), "max": max(per_seed), "std": float(np.std(per_seed))}
    )
    assert sum(row["trials"] for row in summary["by_n_topics"]) == 10
    report = (reporting / "topic_report/how_many_categories.md").read_text()
    best = topic.best_trial.user_attrs["n_topics"]
    assert f"**Recommended: {best:g} topics**" in report
    assert f"Spread over 3 seeds: {min(per_seed)} to {max(per_seed)} topics" in report
    figure = json.loads((reporting / "topic_report/topic_counts_figure.json").read_text())
    assert len(figure["data"]) == 6  # three panels, each with the trials and the final model's


def test_multi_objective_studies_are_drawn_for_their_first_objective():
    study = make_topic_study(directions=("maximize", "maximize"))
    for draw in (plot_optimization_history, plot_param_importances, plot_slice):
        figure = draw(study)
        assert figure.data and "c_npmi" in figure.to_json()
    topic_tuning = project_topic_tuning(constraints={})
    assert plot_topic_counts(study, topic_tuning).data
    summary = summarize_topic_counts(study, topic_tuning, {"near_best_share": 0.25})
    assert summary["recommended"]["trial"] in {trial.number for trial in study.best_trials}


def test_a_study_without_complete_trials_is_reported_not_failed():
    study = optuna.create_study(study_name="empty", direction="maximize")
    summary = summarize_topic_counts(
        study, project_topic_tuning(constraints={}), {"near_best_share": 0.25}
    )
    assert summary["recommended"] is None and summary["by_n_topics"] == []
    assert "**No recommendation**" in write_topic_count_report(summary)
    assert not plot_optimization_history(study).data
