"""How many categories? The topic study's answer: number of topics against coherence.

Every complete trial of the topic study records its number of topics (``n_topics``,
outlier topic excluded, mean over seeds, and ``n_topics_per_seed``), topic diversity and
outlier share beside its coherence. Read across all trials, they show which numbers of
topics the data support; the recommendation is the trial the final model is built from.

The report keeps to one set of trials: the recommendation, the range of topic counts among
the best trials and the advice are those of the trials within the current
``topic_tuning.constraints`` (the ones the final model may be built from), and it says how
many trials fell outside them and why. Every figure names the split it was measured on.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import optuna
import pandas as pd
import plotly.graph_objects as go
from optuna.trial import TrialState
from plotly.subplots import make_subplots

from arxiv_pipeline.corpus.splitting import nested_subset
from arxiv_pipeline.reporting.figures import note_figure, objective_name
from arxiv_pipeline.reporting.settings import StudyReportsParams
from arxiv_pipeline.topics.objective import violated_constraints
from arxiv_pipeline.topics.selection import chosen_trial
from arxiv_pipeline.topics.settings import TopicTuning

#: Columns of :func:`topic_count_table` drawn against the number of topics, and their labels.
_PANELS = {
    "objective": None,
    "diversity": "topic diversity",
    "outlier_share": "outlier share (train)",
}

#: Held-out scores every trial records, shown beside the objective whatever it is.
EVIDENCE = ("c_npmi", "nmi_primary", "nmi_archive")

#: Why a trial is outside a limit of ``topic_tuning.constraints``, by limit.
_REASONS = {
    "min_topics": "found fewer than {:g} topics",
    "max_topics": "found more than {:g} topics",
    "max_outlier_share": "had a validation outlier share above {:.0%}",
}


def topic_count_table(
    study: optuna.Study, constraints: dict[str, float] | None = None
) -> pd.DataFrame:
    """One row per complete trial: coherence, topics (mean and per seed), diversity, outliers.

    ``outlier_share`` is that of the training papers the trial was fit on,
    ``validation_outlier_share`` that of the validation papers after outlier reduction.
    ``violates`` lists the limits of ``constraints`` (``min_topics``, ...; None values are
    no limit) the trial is outside.
    """
    limits = {name: value for name, value in (constraints or {}).items() if value is not None}
    rows = [
        {
            "trial": trial.number,
            "objective": trial.values[0],
            "n_topics": trial.user_attrs["n_topics"],
            "n_topics_per_seed": trial.user_attrs.get(
                "n_topics_per_seed", [trial.user_attrs["n_topics"]]
            ),
            "diversity": trial.user_attrs.get("diversity", np.nan),
            **{name: trial.user_attrs.get(name, np.nan) for name in EVIDENCE},
            "outlier_share": trial.user_attrs.get("outlier_share", np.nan),
            "validation_outlier_share": trial.user_attrs.get("validation_outlier_share", np.nan),
            "violates": violated_constraints(trial.user_attrs, limits),
        }
        for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if "n_topics" in trial.user_attrs
    ]
    columns = [
        "trial",
        "objective",
        "n_topics",
        "n_topics_per_seed",
        "diversity",
        *EVIDENCE,
        "outlier_share",
        "validation_outlier_share",
        "violates",
    ]
    return pd.DataFrame(rows, columns=columns)


def _recommended(study: optuna.Study, topic_tuning: TopicTuning) -> tuple[int | None, str]:
    """The trial the final model uses (``topic_tuning.final_trial``), or None and why not."""
    try:
        return chosen_trial(study, topic_tuning.final_trial, topic_tuning.constraints).number, ""
    except ValueError as error:
        return None, str(error)


def plot_topic_counts(study: optuna.Study, topic_tuning: TopicTuning) -> go.Figure:
    """Coherence, diversity and outlier share against the number of topics, one dot per trial."""
    title = f"{study.study_name}: how many topics?"
    table = topic_count_table(study)
    if table.empty:
        return note_figure(title, "No complete trial recorded its number of topics yet.")
    measure = objective_name(study)
    chosen, _ = _recommended(study, topic_tuning)
    figure = make_subplots(rows=len(_PANELS), cols=1, shared_xaxes=True, vertical_spacing=0.06)
    for row, (column, label) in enumerate(_PANELS.items(), start=1):
        figure.add_scatter(
            x=table["n_topics"],
            y=table[column],
            mode="markers",
            name=label or measure,
            text=[f"trial {number}" for number in table["trial"]],
            row=row,
            col=1,
        )
        figure.update_yaxes(title_text=label or measure, row=row, col=1)
        if chosen is not None:
            best = table[table["trial"] == chosen]
            figure.add_scatter(
                x=best["n_topics"],
                y=best[column],
                mode="markers",
                marker={"symbol": "star", "size": 14, "color": "black"},
                name=f"trial {chosen} (final model)",
                showlegend=row == 1,
                row=row,
                col=1,
            )
    figure.update_xaxes(
        title_text="number of topics of the fit on train (outlier topic excluded)",
        row=len(_PANELS),
        col=1,
    )
    figure.update_layout(title=title, height=750)
    return figure


def measured_on(topic_tuning: TopicTuning, paper_splits: pd.DataFrame) -> dict[str, Any]:
    """The papers the trials were fit on (the training subset) and scored on (validation)."""
    fraction = topic_tuning.trial_fraction(paper_splits)
    fitted = nested_subset(paper_splits, "train", fraction)
    return {
        "fit": {
            "split": "train",
            "papers": int(fitted.sum()),
            "size_fraction": fraction,
        },
        "scored": {"split": "validation", "papers": int((paper_splits["split"] == "validation").sum())},
    }


def summarize_topic_counts(
    study: optuna.Study,
    topic_tuning: TopicTuning,
    study_reports: StudyReportsParams,
    paper_splits: pd.DataFrame,
    final_topic_metrics: dict[str, Any],
) -> dict[str, Any]:
    """The numbers of the "how many categories" report.

    Returns
    -------
    dict
        ``measured_on``: the papers trials were fit and scored on; ``constraints``: the
        limits in force and ``infeasible``: how many complete trials are outside them, per
        limit; ``recommended``: the final model's trial, its number of topics and their
        spread over seeds; ``best_unconstrained``: the best complete trial whatever the
        limits; ``near_best``: the range of topic counts among the best
        ``study_reports.near_best_share`` of the trials within the limits; ``by_n_topics``:
        per number of topics, the trials (and how many are within the limits), best
        objective, mean diversity, held-out coherence and NMI, and outlier shares;
        ``candidates``: the leading trials refitted at the final size (their trial and
        final scores and stability, from ``final_topic_metrics``), ``coarse``: how many
        coarse topics, and why, and ``words``: every topic-word candidate's validation
        c_npmi and diversity, and which shipped.
    """
    limits = {name: value for name, value in topic_tuning.constraints.items() if value is not None}
    table = topic_count_table(study, limits)
    feasible = table[table["violates"].str.len() == 0]
    seeds = study.user_attrs.get("provenance", {}).get("seeds", [])
    summary: dict[str, Any] = {
        "study": study.study_name,
        "measure": objective_name(study),
        "trials": len(study.trials),
        "complete_trials": len(table),
        "seeds_per_trial": len(seeds),
        "measured_on": measured_on(topic_tuning, paper_splits),
        "constraints": limits,
        "feasible_trials": len(feasible),
        "infeasible": _infeasible(table, limits),
    }
    # The final model's own choice among the candidates, where it was built on this study.
    final_trial = final_topic_metrics.get("trial") if final_topic_metrics.get("candidates") else None
    chosen, why_none = (final_trial, "") if final_trial in set(table["trial"]) else _recommended(study, topic_tuning)
    summary["recommended"] = None if chosen is None else _recommendation(table, chosen)
    summary["why_none"] = why_none
    summary["candidates"] = final_topic_metrics.get("candidates", []) if final_trial == chosen else []
    summary["coarse"] = final_topic_metrics.get("coarse") if final_trial == chosen else None
    summary["words"] = final_topic_metrics.get("words", []) if final_trial == chosen else []
    summary["best_unconstrained"] = None
    summary["near_best"] = None
    summary["by_n_topics"] = []
    if table.empty:
        return summary
    best = table.loc[table["objective"].idxmax()]
    summary["best_unconstrained"] = {
        "trial": int(best["trial"]),
        "n_topics": float(best["n_topics"]),
        "objective": float(best["objective"]),
    }
    if not feasible.empty:
        share = study_reports.near_best_share
        near = feasible.nlargest(max(1, math.ceil(share * len(feasible))), "objective")
        summary["near_best"] = {
            "share": share,
            "trials": len(near),
            "n_topics": {
                "min": float(near["n_topics"].min()),
                "median": float(near["n_topics"].median()),
                "max": float(near["n_topics"].max()),
            },
        }
    summary["by_n_topics"] = _by_n_topics(table)
    return summary


def _infeasible(table: pd.DataFrame, limits: dict[str, float]) -> dict[str, Any]:
    """How many complete trials are outside the limits, and how many outside each one."""
    outside = table["violates"].str.len() > 0
    return {
        "trials": int(outside.sum()),
        "by_limit": {
            name: {
                "limit": value,
                "trials": int(table["violates"].apply(lambda names, name=name: name in names).sum()),
                "reason": _REASONS[name].format(value),
            }
            for name, value in limits.items()
        },
    }


def _by_n_topics(table: pd.DataFrame) -> list[dict[str, Any]]:
    grouped = table.assign(
        n_topics=table["n_topics"].round().astype(int),
        feasible=table["violates"].str.len() == 0,
    ).groupby("n_topics")
    by_count = grouped.agg(
        trials=("trial", "size"),
        feasible=("feasible", "sum"),
        best=("objective", "max"),
        diversity=("diversity", "mean"),
        **{name: (name, "mean") for name in EVIDENCE},
        outlier_share=("outlier_share", "mean"),
        validation_outlier_share=("validation_outlier_share", "mean"),
    )
    return [
        {"n_topics": int(count), **{key: float(value) for key, value in row.items()}}
        for count, row in by_count.iterrows()
    ]


def _recommendation(table: pd.DataFrame, trial: int) -> dict[str, Any]:
    row = table.set_index("trial").loc[trial]
    per_seed = [float(count) for count in row["n_topics_per_seed"]]
    return {
        "trial": trial,
        "n_topics": float(row["n_topics"]),
        "n_topics_per_seed": per_seed,
        "seed_spread": {"min": min(per_seed), "max": max(per_seed), "std": float(np.std(per_seed))},
        "objective": float(row["objective"]),
        "diversity": float(row["diversity"]),
        "outlier_share": float(row["outlier_share"]),
        "validation_outlier_share": float(row["validation_outlier_share"]),
        "within_constraints": not row["violates"],
    }
