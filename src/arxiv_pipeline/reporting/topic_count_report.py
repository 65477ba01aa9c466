"""The markdown answer to "how many categories?", from :func:`.topic_counts.summarize_topic_counts`.

One set of trials throughout: the recommendation, the range among the best trials and the
advice are those of the trials within the current ``topic_tuning.constraints``; the report
says how many fell outside them and why, and what split each figure was measured on.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from arxiv_pipeline.topics.model import DIVERSITY_TOPK


def write_topic_count_report(summary: dict[str, Any]) -> str:
    """The short markdown answer to "how many categories?" from :func:`summarize_topic_counts`."""
    measure = summary["measure"]
    fit, scored = summary["measured_on"]["fit"], summary["measured_on"]["scored"]
    lines = [
        f"# How many categories? Study `{summary['study']}`",
        "",
        f"{summary['complete_trials']} complete trials of {summary['trials']}; "
        f"{summary['seeds_per_trial'] or 'one'} seed(s) per trial. Each trial fits BERTopic on "
        f"the {fit['split']} split ({fit['papers']:,} papers, size_fraction {fit['size_fraction']:g}): "
        "its number of topics, topic diversity and training outlier share are those of that "
        f"fit. It is scored by {measure} on the {scored['split']} split ({scored['papers']:,} "
        "papers), whose outlier share is measured after outlier reduction.",
        "",
        _constraints_line(summary),
        "",
    ]
    best = summary["recommended"]
    if best is None:
        lines += [f"**No recommendation**: {summary['why_none'] or 'no complete trial yet.'}", ""]
    else:
        outside = "" if best["within_constraints"] else " (outside the constraints: set by `final_trial`)"
        lines += [
            f"**Recommended: {best['n_topics']:g} topics**: trial {best['trial']}{outside}, the one "
            f"the final model is built from ({measure} {best['objective']:.4f}, diversity "
            f"{best['diversity']:.3f}, {_share(best['outlier_share'])} outliers on train, "
            f"{_share(best['validation_outlier_share'])} on validation).",
            "",
            _seed_spread(best),
            "",
        ]
    near = summary["near_best"]
    if near is not None:
        counts = near["n_topics"]
        within = " within the constraints" if summary["constraints"] else ""
        found = (
            f"{counts['min']:g} topics"
            if counts["min"] == counts["max"]
            else f"{counts['min']:g} to {counts['max']:g} topics (median {counts['median']:g})"
        )
        lines += [
            f"The best {near['share']:.0%} of the trials{within} ({near['trials']}) found {found}.",
            "",
        ]
    unconstrained = summary["best_unconstrained"]
    if unconstrained is not None and best is not None and unconstrained["trial"] != best["trial"]:
        lines += [
            f"The best trial whatever the constraints, trial {unconstrained['trial']}, found "
            f"{unconstrained['n_topics']:g} topics ({measure} {unconstrained['objective']:.4f}).",
            "",
        ]
    if summary["by_n_topics"]:
        lines += [_count_table(summary), ""]
    lines += _candidates(summary) + _words(summary) + _coarse(summary)
    lines += [_advice(summary), ""]
    return "\n".join(lines)


def _constraints_line(summary: dict[str, Any]) -> str:
    limits = summary["constraints"]
    if not limits:
        return "No constraints (`topic_tuning.constraints` all null): every complete trial counts."
    named = ", ".join(f"{name} {value:g}" for name, value in limits.items())
    infeasible = summary["infeasible"]
    reasons = "; ".join(
        f"{limit['trials']} {limit['reason']}"
        for limit in infeasible["by_limit"].values()
        if limit["trials"]
    )
    line = (
        f"Constraints (`topic_tuning.constraints`): {named}. {summary['feasible_trials']} of the "
        f"{summary['complete_trials']} complete trials are within them, "
        f"{infeasible['trials']} are not"
    )
    return f"{line} ({reasons})." if reasons else f"{line}."


def _count_table(summary: dict[str, Any]) -> str:
    frame = pd.DataFrame(summary["by_n_topics"]).astype({"trials": int, "feasible": int})
    frame = frame.rename(
        columns={
            "n_topics": "topics",
            "feasible": "within constraints",
            "best": f"best {summary['measure']} (validation)",
            "diversity": "mean diversity",
            "c_npmi": "mean c_npmi (validation)",
            "nmi_primary": "mean NMI category (validation)",
            "nmi_archive": "mean NMI archive (validation)",
            "outlier_share": "mean outlier share (train)",
            "validation_outlier_share": "mean outlier share (validation)",
        }
    )
    # Missing values (trials recorded before a metric was) show as a dash, not "nan".
    frame = frame.astype(object).where(frame.notna(), None)
    return frame.to_markdown(
        index=False,
        floatfmt=("g", "g", "g", ".4f", ".3f", ".4f", ".3f", ".3f", ".1%", ".1%"),
        missingval="-",
    )


def _candidates(summary: dict[str, Any]) -> list[str]:
    """The leading trials refitted at the final size: forecast against outcome, and stability."""
    candidates = summary["candidates"]
    if not candidates:
        return []
    measure = summary["measure"]
    frame = pd.DataFrame(
        {
            "trial": [c["trial"] for c in candidates],
            f"{measure} on the trials' subset": [c["trial_value"] for c in candidates],
            f"{measure} at the final size": [c["final_value"] for c in candidates],
            "final / trial": [c["carry_over"] for c in candidates],
            "topics": [c["n_topics"] for c in candidates],
            "c_npmi": [c["c_npmi"] for c in candidates],
            "NMI category": [c["nmi_primary"] for c in candidates],
            "NMI archive": [c["nmi_archive"] for c in candidates],
            "stability (ARI between seeds)": [c["stability_ari"] for c in candidates],
            f"{measure} std over seeds": [c.get("seed_std") for c in candidates],
        }
    )
    frame = frame.astype(object).where(frame.notna(), None)
    trial = summary["recommended"]["trial"]
    if any(c["stability_ari"] is None for c in candidates):
        rule = f"Stability was not measured (`stability_seeds` below 2): the best score ships (trial {trial})."
    else:
        rule = (
            "Stability is the mean adjusted Rand index between the validation papers' topics of "
            "fits under different seeds on the tuning subset (1: identical), beside the standard "
            "deviation of their scores. The best candidate's lead over another counts only beyond "
            "that deviation: of the candidates within one standard deviation of the best score, "
            f"the most stable ships (trial {trial})."
        )
    return [
        "## The choice at the final size",
        "",
        "A trial's score on the tuning subset forecasts its score when refitted on the final "
        f"model's papers. The {len(candidates)} leading trials were refitted at the final size "
        f"and scored on validation (one fit each). {rule}",
        "",
        frame.to_markdown(index=False, floatfmt=".4f", missingval="-"),
        "",
    ]


def _words(summary: dict[str, Any]) -> list[str]:
    """Every topic-word candidate of the final model, its validation scores, and which shipped."""
    words = summary.get("words", [])
    if not words:
        return []
    frame = pd.DataFrame(
        {
            "words": [entry["representation"] for entry in words],
            "settings": [
                ", ".join(f"{name} {value}" for name, value in entry["settings"].items()) for entry in words
            ],
            "c_npmi": [entry.get("c_npmi") for entry in words],
            "diversity": [entry.get("diversity") for entry in words],
            "shipped": ["yes" if entry["chosen"] else "" for entry in words],
        }
    )
    frame = frame.astype(object).where(frame.notna(), None)
    return [
        "## Topic words",
        "",
        "The chosen topics' words: c-TF-IDF under each vectorizer setting, the best of them by "
        "validation c_npmi being plain c-TF-IDF; then representation models re-ranking its "
        "words with word embeddings (mmr, keybert). The words of the highest validation c_npmi "
        "among plain c-TF-IDF and the representations at least as diverse ship (diversity: "
        f"the share of distinct words among all topics' top {DIVERSITY_TOPK}).",
        "",
        frame.to_markdown(index=False, floatfmt=".4f", missingval="-"),
        "",
    ]


def _coarse(summary: dict[str, Any]) -> list[str]:
    """How many coarse topics, and the held-out evidence for it."""
    coarse = summary["coarse"]
    if not coarse:
        return []
    scores = {int(n): value for n, value in coarse["nmi_archive_by_n_topics"].items()}
    shown = ", ".join(f"{n}: {value:.3f}" for n, value in sorted(scores.items()))
    return [
        "## Two levels",
        "",
        f"The fine topics merge into **{coarse['n_topics']} coarse topics**: of the cuts of their "
        "tree (Ward's linkage of the topic centroids), the one whose topics agree best with the "
        f"validation papers' archives (NMI). NMI archive by number of coarse topics: {shown}.",
        "",
    ]


def _share(value: float) -> str:
    """A share as a percentage; "not recorded" for a trial recorded before it was measured."""
    return "not recorded" if value != value else f"{value:.1%}"


def _advice(summary: dict[str, Any]) -> str:
    limits = summary["constraints"]
    advice = (
        "HDBSCAN's cluster size (`hdbscan.min_cluster_fraction` or `min_cluster_size`, and "
        "`min_samples`), or k-means' `kmeans.n_clusters`, decides the number of topics; "
        "BERTopic's `nr_topics` only merges them down. "
    )
    if "min_topics" not in limits:
        return advice + (
            "To ask for finer or coarser topics than the objective chooses, set "
            "`topic_tuning.constraints.min_topics` or `max_topics` and run "
            "`kedro run --pipelines topic_tuning`."
        )
    advice += (
        f"For finer topics raise `topic_tuning.constraints.min_topics` (now {limits['min_topics']:g}); "
        "null lets coherence alone decide. The constraints are applied to every recorded trial, "
        "so `kedro run --pipelines topic_tuning` rebuilds the final model from the new choice."
    )
    if summary["infeasible"]["trials"] * 2 > summary["complete_trials"]:
        advice += (
            " Most trials fall outside the constraints: run more trials, or narrow the search "
            "space to the cluster sizes of the trials within them."
        )
    return advice


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
