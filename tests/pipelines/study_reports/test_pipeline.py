"""The study_reports pipeline in a real KedroSession,on studies as the tuning pipelines write them.

The studies' scores are made up (the reports only read trials), so no model is fit.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import optuna
import pandas as pd
import pytest

from arxiv_pipeline.pipelines.study_reports.nodes import (
    plot_optimization_history,
    plot_param_importances,
    plot_slice,
)
from arxiv_pipeline.reporting.settings import StudyReportsParams
from arxiv_pipeline.reporting.topic_count_report import write_topic_count_report
from arxiv_pipeline.reporting.topic_counts import plot_topic_counts, summarize_topic_counts
from tests.conftest import run_pipelines
from tests.parameters import topic_tuning as project_topic_tuning

#: conf/base's ``study_reports``, typed as the node receives it.
STUDY_REPORTS = StudyReportsParams(near_best_share=0.25)

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
        "validation_outlier_share": 0.15,
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


#: 100 papers: 70 train (35 of them in the nested subset 0.5), 20 validation, 10 test.
PAPER_SPLITS = pd.DataFrame(
    {
        "id": [f"0704.{number:04d}" for number in range(1, 101)],
        "split": ["train"] * 70 + ["validation"] * 20 + ["test"] * 10,
        "size_fraction": [0.5, 1.0] * 35 + [1.0] * 30,
    }
)


def make_studies(project: Path) -> optuna.Study:
    """The project's topic study (10 trials), a classifier study with one complete trial,
    and the paper_splits they were run on."""
    primary = project / "data/03_primary"
    primary.mkdir(parents=True, exist_ok=True)
    PAPER_SPLITS.to_parquet(primary / "paper_splits.parquet")
    models = project / "data/06_models"
    models.mkdir(parents=True, exist_ok=True)
    topic = make_topic_study(f"sqlite:///{models / 'topic_tuning.db'}")
    # What topic_tuning's final node records: its leading trials refitted, the coarse cut.
    reporting = project / "data/08_reporting"
    reporting.mkdir(parents=True, exist_ok=True)
    best = topic.best_trial
    candidate = {
        "trial": best.number, "trial_value": best.value, "final_value": best.value * 0.95,
        "carry_over": 0.95, "n_topics": 7, "c_npmi": 0.08, "nmi_primary": 0.5,
        "nmi_archive": 0.4, "stability_ari": 0.9, "seed_std": 0.012,
    }  # fmt: skip
    final = {
        "trial": best.number,
        "candidates": [candidate],
        "coarse": {"n_topics": 3, "nmi_archive_by_n_topics": {"2": 0.31, "3": 0.42}},
    }
    (reporting / "final_topic_metrics.json").write_text(json.dumps(final))
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
    assert summary["measured_on"] == {
        "fit": {"split": "train", "papers": 70, "size_fraction": 1.0},
        "scored": {"split": "validation", "papers": 20},
    }
    assert "train split (70 papers, size_fraction 1)" in report
    assert "c_npmi on the validation split (20 papers)" in report
    assert f"Spread over 3 seeds: {min(per_seed)} to {max(per_seed)} topics" in report
    # The choice at the final size and the coarse cut, with their evidence.
    assert summary["candidates"][0]["stability_ari"] == 0.9
    assert "The 1 leading trials were refitted at the final size" in report
    assert "|          0.9500 |" in report  # final / trial
    assert "within one standard deviation of the best score, the most stable ships" in report
    assert "c_npmi std over seeds |" in report and report.count(" 0.0120 |") == 1
    assert "merge into **3 coarse topics**" in report and "2: 0.310, 3: 0.420" in report
    figure = json.loads((reporting / "topic_report/topic_counts_figure.json").read_text())
    assert len(figure["data"]) == 6  # three panels, each with the trials and the final model's


def test_multi_objective_studies_are_drawn_for_their_first_objective():
    study = make_topic_study(directions=("maximize", "maximize"))
    for draw in (plot_optimization_history, plot_param_importances, plot_slice):
        figure = draw(study)
        assert figure.data and "c_npmi" in figure.to_json()
    topic_tuning = project_topic_tuning(constraints={})
    assert plot_topic_counts(study, topic_tuning).data
    summary = summarize_topic_counts(study, topic_tuning, STUDY_REPORTS, PAPER_SPLITS, {})
    assert summary["recommended"]["trial"] in {trial.number for trial in study.best_trials}


def test_a_study_without_complete_trials_is_reported_not_failed():
    study = optuna.create_study(study_name="empty", direction="maximize")
    summary = summarize_topic_counts(
        study, project_topic_tuning(constraints={}), STUDY_REPORTS, PAPER_SPLITS, {}
    )
    assert summary["recommended"] is None and summary["by_n_topics"] == []
    assert "**No recommendation**" in write_topic_count_report(summary)
    assert not plot_optimization_history(study).data


#: The topic study of the real 2007 sample (12 trials, ``min_topics: 5``): number of
#: topics and held-out c_npmi per trial. Coherence is highest for the 2-topic trials.
REAL_SAMPLE_TRIALS = [
    (2, 0.081), (2, 0.079), (6, 0.052), (2, 0.077), (9, 0.031), (2, 0.074),
    (7, 0.044), (2, 0.072), (12, 0.018), (2, 0.070), (5, 0.039), (2, 0.068),
]  # fmt: skip


def real_sample_study() -> optuna.Study:
    """A study recording :data:`REAL_SAMPLE_TRIALS` as the topic objective records trials."""
    study = optuna.create_study(study_name="topic_tuning", direction="maximize")
    study.set_user_attr("provenance", {"measure": "c_npmi", "seeds": [0]})

    def objective(trial: optuna.Trial) -> float:
        n_topics, coherence = REAL_SAMPLE_TRIALS[trial.number]
        attrs = {
            "n_topics": float(n_topics),
            "n_topics_per_seed": [n_topics],
            "diversity": 0.8,
            "outlier_share": 0.012,
            "validation_outlier_share": 0.057,
        }
        for name, value in attrs.items():
            trial.set_user_attr(name, value)
        return coherence

    study.optimize(objective, n_trials=len(REAL_SAMPLE_TRIALS))
    return study


def test_the_report_keeps_to_the_trials_within_the_constraints():
    topic_tuning = project_topic_tuning(constraints={"min_topics": 5})
    summary = summarize_topic_counts(
        real_sample_study(), topic_tuning, STUDY_REPORTS, PAPER_SPLITS, {}
    )
    # Trial 2 (6 topics) is the best of the five trials with at least 5 topics.
    assert summary["recommended"]["trial"] == 2 and summary["recommended"]["n_topics"] == 6
    assert summary["feasible_trials"] == 5
    assert summary["infeasible"] == {
        "trials": 7,
        "by_limit": {
            "min_topics": {"limit": 5, "trials": 7, "reason": "found fewer than 5 topics"}
        },
    }
    # The best 25% of the 5 feasible trials: 2 trials, 6 and 7 topics; no 2-topic trial.
    assert summary["near_best"]["trials"] == 2
    assert summary["near_best"]["n_topics"] == {"min": 6.0, "median": 6.5, "max": 7.0}
    assert summary["best_unconstrained"] == {"trial": 0, "n_topics": 2.0, "objective": 0.081}
    two = next(row for row in summary["by_n_topics"] if row["n_topics"] == 2)
    assert (two["trials"], two["feasible"]) == (7, 0)
    assert two["best"] == pytest.approx(0.081)

    report = write_topic_count_report(summary)
    assert "**Recommended: 6 topics**: trial 2," in report
    assert "1.2% outliers on train, 5.7% on validation" in report
    assert (
        "5 of the 12 complete trials are within them, 7 are not (7 found fewer than 5 topics)"
        in report
    )
    assert "The best 25% of the trials within the constraints (2) found 6 to 7 topics" in report
    assert "The best trial whatever the constraints, trial 0, found 2 topics" in report
    # The table is DataFrame.to_markdown's: a row per number of topics.
    assert "|        2 |        7 |                    0 |                     0.0810 |" in report
    # min_topics is already set: the advice is to raise it, not to set it.
    assert "raise `topic_tuning.constraints.min_topics` (now 5)" in report
    assert "set `topic_tuning.constraints.min_topics` or `max_topics`" not in report
    assert "Most trials fall outside the constraints" in report


def test_without_constraints_the_advice_is_to_set_min_topics():
    summary = summarize_topic_counts(
        real_sample_study(), project_topic_tuning(constraints={}), STUDY_REPORTS, PAPER_SPLITS, {}
    )
    assert summary["recommended"]["n_topics"] == 2 and summary["infeasible"]["trials"] == 0
    report = write_topic_count_report(summary)
    assert "every complete trial counts" in report
    assert "The best 25% of the trials (3) found 2 topics." in report
    assert "set `topic_tuning.constraints.min_topics` or `max_topics` and run" in report
