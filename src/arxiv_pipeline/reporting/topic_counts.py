"""How many categories? The topic study's answer: number of topics against coherence.

Every complete trial of the topic study records its number of topics (``n_topics``,
outlier topic excluded, mean over seeds, and ``n_topics_per_seed``), topic diversity and
outlier share beside its coherence. Read across all trials, they show which numbers of
topics the data support; the recommendation is the trial the final model is built from.
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

from arxiv_pipeline.reporting.figures import note_figure, objective_name
from arxiv_pipeline.topics.selection import chosen_trial
from arxiv_pipeline.topics.settings import TopicTuning

#: Columns of :func:`topic_count_table` drawn against the number of topics, and their labels.
_PANELS = {"objective": None, "diversity": "topic diversity", "outlier_share": "outlier share"}


def topic_count_table(study: optuna.Study) -> pd.DataFrame:
    """One row per complete trial: coherence, topics (mean and per seed), diversity, outliers."""
    rows = [
        {
            "trial": trial.number,
            "objective": trial.values[0],
            "n_topics": trial.user_attrs["n_topics"],
            "n_topics_per_seed": trial.user_attrs.get(
                "n_topics_per_seed", [trial.user_attrs["n_topics"]]
            ),
            "diversity": trial.user_attrs.get("diversity", np.nan),
            "outlier_share": trial.user_attrs.get("outlier_share", np.nan),
        }
        for trial in study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,))
        if "n_topics" in trial.user_attrs
    ]
    columns = ["trial", "objective", "n_topics", "n_topics_per_seed", "diversity", "outlier_share"]
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
        title_text="number of topics (outlier topic excluded)", row=len(_PANELS), col=1
    )
    figure.update_layout(title=title, height=750)
    return figure


def summarize_topic_counts(
    study: optuna.Study, topic_tuning: TopicTuning, study_reports: dict[str, Any]
) -> dict[str, Any]:
    """The numbers of the "how many categories" report.

    Returns
    -------
    dict
        ``recommended``: the final model's trial, its number of topics and their spread
        over seeds; ``near_best``: the range of topic counts among the best
        ``study_reports.near_best_share`` of trials; ``by_n_topics``: per number of
        topics, the trials, best objective, mean diversity and outlier share.
    """
    table = topic_count_table(study)
    seeds = study.user_attrs.get("provenance", {}).get("seeds", [])
    summary: dict[str, Any] = {
        "study": study.study_name,
        "measure": objective_name(study),
        "trials": len(study.trials),
        "complete_trials": len(table),
        "seeds_per_trial": len(seeds),
    }
    chosen, why_none = _recommended(study, topic_tuning)
    summary["recommended"] = None if chosen is None else _recommendation(table, chosen)
    summary["why_none"] = why_none
    if table.empty:
        summary["near_best"] = None
        summary["by_n_topics"] = []
        return summary
    share = study_reports["near_best_share"]
    near = table.nlargest(max(1, math.ceil(share * len(table))), "objective")["n_topics"]
    summary["near_best"] = {
        "share": share,
        "trials": len(near),
        "n_topics": {
            "min": float(near.min()),
            "median": float(near.median()),
            "max": float(near.max()),
        },
    }
    groups = table.assign(n_topics=table["n_topics"].round().astype(int)).groupby("n_topics")
    by_count = groups.agg(
        trials=("trial", "size"),
        best=("objective", "max"),
        diversity=("diversity", "mean"),
        outlier_share=("outlier_share", "mean"),
    )
    summary["by_n_topics"] = [
        {"n_topics": int(count), **{key: float(value) for key, value in row.items()}}
        for count, row in by_count.iterrows()
    ]
    return summary


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
    }


def write_topic_count_report(summary: dict[str, Any]) -> str:
    """The short markdown answer to "how many categories?" from :func:`summarize_topic_counts`."""
    measure = summary["measure"]
    lines = [
        f"# How many categories? Study `{summary['study']}`",
        "",
        f"{summary['complete_trials']} complete trials of {summary['trials']}, scored by held-out "
        f"{measure}; {summary['seeds_per_trial'] or 'one'} seed(s) per trial.",
        "",
    ]
    best = summary["recommended"]
    if best is None:
        lines += [f"**No recommendation**: {summary['why_none'] or 'no complete trial yet.'}", ""]
    else:
        lines += [
            f"**Recommended: {best['n_topics']:g} topics**: trial {best['trial']}, the one the "
            f"final model is built from ({measure} {best['objective']:.4f}, diversity "
            f"{best['diversity']:.3f}, {best['outlier_share']:.1%} outliers).",
            "",
            _seed_spread(best),
            "",
        ]
    near = summary["near_best"]
    if near is not None:
        counts = near["n_topics"]
        lines += [
            f"The best {near['share']:.0%} of trials ({near['trials']}) found {counts['min']:g} to "
            f"{counts['max']:g} topics (median {counts['median']:g}).",
            "",
            f"| topics | trials | best {measure} | mean diversity | mean outlier share |",
            "|---:|---:|---:|---:|---:|",
            *(
                f"| {row['n_topics']} | {row['trials']:g} | {row['best']:.4f} | "
                f"{row['diversity']:.3f} | {row['outlier_share']:.1%} |"
                for row in summary["by_n_topics"]
            ),
            "",
        ]
    lines += [
        "HDBSCAN (`min_cluster_size`, `min_samples`) decides the number of topics; BERTopic's "
        "`nr_topics` only merges them down. Coherence can favour a few broad topics: to ask for "
        "finer ones, set `topic_tuning.constraints.min_topics` and rerun the study.",
        "",
    ]
    return "\n".join(lines)


def _seed_spread(best: dict[str, Any]) -> str:
    per_seed = best["n_topics_per_seed"]
    if len(per_seed) < 2:
        return (
            "Spread over seeds: not measured, each trial was fit once (`topic_tuning.n_seeds: 1`); "
            "set `n_seeds` to 3 or more to see how the count moves with the seed."
        )
    spread = best["seed_spread"]
    counts = ", ".join(f"{count:g}" for count in per_seed)
    return (
        f"Spread over {len(per_seed)} seeds: {spread['min']:g} to {spread['max']:g} topics "
        f"(standard deviation {spread['std']:.2f}; per seed {counts})."
    )
