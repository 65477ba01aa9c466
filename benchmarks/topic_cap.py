"""Benchmark: the final topic model fitted under a size cap against fitted on all of train.

``topic_tuning.final_max_papers`` fits the final model (and the evaluation's refits) on
the largest nested subset of train within the cap and assigns every other paper. This
measures what the cap costs. In a work folder where ``topic_tuning`` has run (the one
``benchmarks/real_corpus.py`` or ``benchmarks/full_snapshot.py`` leaves), the chosen
configuration (``final_topic_metrics``' ``params``) is refitted under each seed twice, with
the final model's own procedure (:func:`arxiv_pipeline.topics.refit.refit`): on the largest
nested subset of train within ``--cap`` papers, and on the final model's whole subset. Each
fit assigns the test split in chunks and is scored as the evaluation scores it: c_npmi, c_v
and diversity on the test texts, NMI against primary category and archive.

Prints mean ± standard deviation (population, as the evaluation report) over the seeds and the difference (capped minus all) per seed, and writes
the table to ``docs/figures/topic_cap.md`` (``--figures`` names another file).

Usage (from the repository root)::

    .venv/bin/python benchmarks/topic_cap.py --project data/benchmarks/real_corpus/118180 \\
        --env snapshot_cpu --cap 40000 --seeds 42 43 44
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import _figures
import numpy as np

from arxiv_pipeline.corpus.splitting import largest_subset_within
from arxiv_pipeline.topics.agreement import taxonomy_agreement, taxonomy_labels
from arxiv_pipeline.topics.baselines import FittedTopics
from arxiv_pipeline.topics.coherence import CoherenceScorer
from arxiv_pipeline.topics.corpus import TopicCorpus
from arxiv_pipeline.topics.model import coherence_reference, topic_words
from arxiv_pipeline.topics.refit import refit

SPLITS = ("train", "test")
REPORTED = ("n_topics", "c_npmi", "c_v", "diversity", "nmi_primary", "nmi_archive")


def load(project: Path, env: str | None) -> dict:
    """What the refits read, from the work folder's catalog and parameters."""
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(project)
    with KedroSession.create(project, env=env) as session:
        catalog = session.load_context().catalog
        names = ["paper_splits", "papers", "final_topic_metrics", "params:topic_tuning"]
        names += [f"{split}_{kind}" for split in SPLITS for kind in ("texts", "embeddings")]
        return {name: catalog.load(name) for name in names}


def fit_and_score(
    data: dict,
    documents: dict[str, list[str]],
    vectors: dict[str, np.ndarray],
    fitted: np.ndarray,
    seed: int,
    scorer: CoherenceScorer,
    labels: dict[str, np.ndarray],
) -> dict[str, float]:
    """The chosen configuration fitted on the ``fitted`` training papers; test metrics."""
    metrics, tuning = data["final_topic_metrics"], data["params:topic_tuning"]
    started = time.perf_counter()
    fit = refit(documents, vectors, metrics["params"], seed, fitted, tuning.assign_chunk_size)
    fine = FittedTopics(topic_words(fit.model), fit.after)
    scores = fine.score("test", scorer, tuning.topn).as_dict()
    scores |= taxonomy_agreement(fit.after["test"], labels)
    scores["fitted"] = int(fitted.sum())
    scores["seconds"] = time.perf_counter() - started
    return scores


def table(runs: dict[str, list[dict[str, float]]], seeds: list[int]) -> list[str]:
    lines = [
        "| fitted on | papers | " + " | ".join(REPORTED) + " |",
        "|---|---:|" + "---:|" * len(REPORTED),
    ]
    for name, scores in runs.items():
        cells = []
        for measure in REPORTED:
            values = [score[measure] for score in scores]
            digits = 1 if measure == "n_topics" else 3
            cells.append(f"{statistics.mean(values):.{digits}f} ± {statistics.pstdev(values):.{digits}f}")
        lines.append(f"| {name} | {scores[0]['fitted']:,} | " + " | ".join(cells) + " |")
    capped, whole = runs.values()
    for measure in ("c_npmi", "nmi_primary"):
        differences = [c[measure] - w[measure] for c, w in zip(capped, whole, strict=True)]
        lines.append("")
        lines.append(
            f"{measure}, capped minus all, per seed ({', '.join(map(str, seeds))}): "
            + ", ".join(f"{value:+.3f}" for value in differences)
            + f"; mean {statistics.mean(differences):+.3f}."
        )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", type=Path, required=True, help="a work folder after topic_tuning")
    parser.add_argument("--env", default=None, help="its Kedro environment, e.g. snapshot_cpu")
    parser.add_argument("--cap", type=int, required=True, help="training papers the capped fit may take")
    parser.add_argument("--seeds", type=int, nargs="+", default=[42, 43, 44])
    parser.add_argument("--figures", type=Path, help="default: docs/figures/topic_cap.md")
    args = parser.parse_args()

    data = load(args.project.resolve(), args.env)
    splits, metrics = data["paper_splits"], data["final_topic_metrics"]
    whole = metrics["final_size_fraction"]
    capped = min(largest_subset_within(splits, "train", args.cap), whole)
    # The final model's papers (its whole subset of train) and the whole test split, read once.
    corpus = TopicCorpus(
        splits,
        {split: data[f"{split}_texts"] for split in SPLITS},
        {split: data[f"{split}_embeddings"] for split in SPLITS},
        {"train": whole},
    )
    key = metrics["params"]["embedding_model"]
    documents = {split: corpus.documents(split) for split in SPLITS}
    vectors = {split: corpus.vectors(split, key) for split in SPLITS}
    ids = {"test": corpus.ids("test")}
    labels = taxonomy_labels(data["papers"], ids)["test"]
    scorer = coherence_reference(documents["test"], "test")
    runs: dict[str, list[dict[str, float]]] = {f"cap {args.cap:,}": [], "all of train": []}
    for seed in args.seeds:
        for name, fraction in zip(runs, (capped, whole), strict=True):
            fitted = corpus.nested("train", fraction)
            scores = fit_and_score(data, documents, vectors, fitted, seed, scorer, labels)
            print(f"seed {seed}, {name}: {scores}", flush=True)
            runs[name].append(scores)
    lines = [
        f"The chosen configuration ({key}) "
        f"of the work folder `{args.project.name}`, refitted under seeds "
        f"{', '.join(map(str, args.seeds))}; test split, {len(ids['test']):,} papers. Cells are "
        "mean ± standard deviation (population) over the seeds.",
        "",
        *table(runs, args.seeds),
    ]
    print("\n".join(lines))
    _figures.write("topic_cap", "\n".join(lines), path=args.figures)


if __name__ == "__main__":
    main()
