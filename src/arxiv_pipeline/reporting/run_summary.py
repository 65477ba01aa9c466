"""The few lines a run ends with: what it read, found and measured, and where to look next."""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

from arxiv_pipeline.reporting.evaluation import CLASSIFIER_NAMES, TOPIC_NAMES

if TYPE_CHECKING:
    import pandas as pd

#: Topics listed with their words, largest first.
TOPICS_SHOWN = 5
#: Words shown per topic.
WORDS_SHOWN = 6
#: Files named per folder.
FILES_SHOWN = 6

CLASSIFIER_HEADLINE = ("micro_f1", "macro_f1", "lrap")
TOPIC_HEADLINE = ("c_npmi", "diversity", "n_topics", "outlier_share")

#: New studies and models on the snapshot read now; the earlier studies stay as they are.
REFIT_COMMAND = (
    "kedro run --params topic_tuning.study_name=<new>,classifier_tuning.study_name=<new>"
)

OPEN_COMMANDS = [
    ("kedro viz", "the pipelines, with every figure and report previewed"),
    ("kedro jupyter lab", "notebooks that load all of it from the catalog"),
]


def ingestion_lines(summary: dict[str, Any]) -> list[str]:
    """What was read and kept, from ``ingestion_summary``."""
    demo = " (the SYNTHETIC demo corpus, not arXiv data)" if summary["is_demo"] else ""
    return [
        f"Read {summary['source']}{demo}: {summary['lines_read']} lines, kept {summary['papers']} "
        f"papers ({summary['lines_rejected']} rejected, {summary['duplicates_removed']} duplicates "
        f"removed), {summary['labels']} labels."
    ]


def topic_lines(topic_table: pd.DataFrame) -> list[str]:
    """How many topics, and the best words of the largest, from ``topic_table``."""
    topics = topic_table[topic_table["topic"] != -1].sort_values("size", ascending=False)
    outliers = int(topic_table.loc[topic_table["topic"] == -1, "size"].sum())
    total = int(topic_table["size"].sum())
    lines = [
        f"Topic model: {len(topics)} topics; {outliers} of {total} training papers are "
        f"outliers (topic -1). Largest topics:"
    ]
    lines += [
        f"  {row.topic:>3} ({row.size} papers): {', '.join(list(row.words)[:WORDS_SHOWN])}"
        for row in topics.head(TOPICS_SHOWN).itertuples()
    ]
    return lines


def _values(metrics: dict[str, Any], names: tuple[str, ...]) -> str:
    return ", ".join(
        f"{name} {metrics[name]:.3f}"
        if isinstance(metrics[name], float)
        else f"{name} {metrics[name]}"
        for name in names
    )


def metric_lines(
    evaluation_metrics: dict[str, Any], splits_fingerprint: str | None = None
) -> list[str]:
    """The headline test metrics of each model beside its baselines, from ``metrics.json``.

    ``splits_fingerprint``: that of the papers read now (``ingestion_summary``). Metrics
    measured on other papers (before a ``topic_update`` placed a new snapshot) say so.
    """
    rows = [
        (CLASSIFIER_NAMES.get(name, name), _values(metrics, CLASSIFIER_HEADLINE))
        for name, metrics in evaluation_metrics["classifier"]["models"].items()
    ]
    rows += [
        (TOPIC_NAMES.get(name, name), _values(by_split["test"], TOPIC_HEADLINE))
        for name, by_split in evaluation_metrics["topics"]["models"].items()
        if "test" in by_split
    ]
    width = max(len(name) for name, _ in rows)
    data = evaluation_metrics["data"]
    measured_on = data.get("splits_fingerprint")
    if splits_fingerprint is None or measured_on in (None, splits_fingerprint):
        header = (
            "Test-split metrics, each model beside its baselines (all in evaluation_report.md):"
        )
    else:
        papers = sum(data["papers_per_split"].values())
        header = (
            f"Test-split metrics of an EARLIER snapshot ({papers} papers, splits {measured_on}), not of "
            "the papers read now: they describe the models as evaluated then. A refit on this "
            f"snapshot measures them again: `{REFIT_COMMAND}`. Each model beside its baselines:"
        )
    return [header] + [f"  {name:<{width}}  {values}" for name, values in rows]


def topic_update_lines(report: dict[str, Any]) -> list[str]:
    """What topic_update placed, and whether a refit is advised, from ``topic_update_report``."""
    papers, lineage = report["papers"], report["lineage"]
    threshold = report["max_outlier_share_before"]
    lines = [
        f"Topic update: placed {papers['placed']} papers ({papers['new']} new, {papers['revised']} "
        f"revised) on the topic model built on data {lineage['model_data_fingerprint']}, kept the "
        f"topics of {papers['kept']} and dropped {papers['dropped']}; "
        f"{report['outlier_share_before']:.1%} of the placed papers are outliers before outlier "
        f"reduction ({report['outlier_share']:.1%} after)."
    ]
    if report["refit_advised"]:
        lines.append(
            f"  That is above topic_update.max_outlier_share_before ({threshold:.1%}): a refit or "
            f"a new study is advised, `{REFIT_COMMAND}`."
        )
    else:
        lines.append(
            f"  Within topic_update.max_outlier_share_before ({threshold:.1%}): the map still "
            "covers the new papers, no refit is needed."
        )
    return lines


def folder_lines(folders: dict[str, list[str]]) -> list[str]:
    """Each results folder (relative path -> file names in it) with a few of its files."""
    return [
        f"{folder}: {', '.join(names[:FILES_SHOWN])}"
        + (f" and {len(names) - FILES_SHOWN} more" if len(names) > FILES_SHOWN else "")
        for folder, names in folders.items()
        if names
    ]


def atlas_lines(atlas: str) -> list[str]:
    """Where the topic atlas, the page to look at the topics with, was written."""
    return [f"Topic atlas (open it in a browser; no server, no internet needed): {atlas}"]


def command_lines(study_names: list[str]) -> list[str]:
    """The commands that open the results; one dashboard command per stored study."""
    commands = OPEN_COMMANDS[:1]
    commands += [
        (f"kedro studies dashboard {name}", f"the Optuna study '{name}'") for name in study_names
    ]
    commands += OPEN_COMMANDS[1:]
    width = max(len(command) for command, _ in commands)
    return ["Open them with:"] + [f"  {command:<{width}}  {what}" for command, what in commands]


def render_summary(
    ingestion: dict[str, Any] | None,
    topic_table: pd.DataFrame | None,
    evaluation_metrics: dict[str, Any] | None,
    atlas: str | None,
    folders: dict[str, list[str]],
    study_names: list[str],
    topic_update: dict[str, Any] | None = None,
) -> str:
    """The summary; a part whose data does not exist (yet) is named as missing instead.

    ``atlas`` is the topic atlas's path, where it was written; ``topic_update`` the
    ``topic_update_report`` of a run that placed a new snapshot on the saved topic map.
    """
    lines = ["Run finished. Results:"]
    current = ingestion.get("splits_fingerprint") if ingestion is not None else None
    parts = (
        (ingestion, ingestion_lines, "ingestion"),
        (topic_table, topic_lines, "topic_tuning"),
        (evaluation_metrics, partial(metric_lines, splits_fingerprint=current), "evaluation"),
    )
    for data, render, _ in parts:
        if data is not None:
            lines += render(data)
    missing = [pipeline for data, _, pipeline in parts if data is None]
    if missing:
        lines.append(f"Not produced yet (run these pipelines): {', '.join(missing)}.")
    if topic_update is not None:
        lines += topic_update_lines(topic_update)
    if atlas is not None:
        lines += atlas_lines(atlas)
    return "\n".join(lines + folder_lines(folders) + command_lines(study_names))
