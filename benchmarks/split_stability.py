"""Benchmark: stable splits (a keyed hash of each id) against the stratified shuffle they replaced.

Ingests a snapshot with the project's ingestion pipeline (in a throwaway copy of the
project), then splits its papers with both methods and the project's split parameters:

- ``previous``: the stratified, seeded shuffle that ``corpus/splitting.py`` used before
  (kept in this file only, as :func:`previous_split_papers`, to measure against);
- ``keyed hash``: :func:`arxiv_pipeline.corpus.splitting.split_papers`.

Prints markdown tables and writes them to ``docs/figures/split_stability.md`` (``--figures``
names another file). A *gap* is a label's share of a split minus its share of all papers,
in percentage points, for labels on at least ``--min-papers`` papers:

(a) per method: the largest gap over labels and splits, and in train's smallest nested
    subset; whether every label is within 1 point; how many papers that the snapshot
    shares with the snapshot grown by 1% (its last 1% of ids held out, then added) change
    split or nested size;
(b) per method: seconds to split this corpus and 2,500,000 papers (these, then new ids
    carrying their label sets), and the largest gap at that size;
(c) the keyed hash's largest gap over ``--seeds`` seeds: how often every label is within
    1 point (it places papers independently, so its gaps are binomial noise);
(d) per label: its share of all papers and of each split under the keyed hash, the
    binomial standard deviation of its share of the smallest split, and its largest gap
    under each method.

Run: ``.venv/bin/python benchmarks/split_stability.py [--snapshot PATH] [--seeds 100]``
(a few minutes on 2 cores for the 118,180-paper default).
"""

from __future__ import annotations

import argparse
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import _figures
import numpy as np
import pandas as pd
from _project import REPO_ROOT, project_copy

from arxiv_pipeline.corpus.config import SplitParams
from arxiv_pipeline.corpus.splitting import split_papers

DEFAULT_SNAPSHOT = REPO_ROOT.parent / "shared" / "data" / "arxiv_2025_2026.jsonl.gz"
GROWTH = 0.01
TOLERANCE_PP = 1.0
LARGE_N = 2_500_000


# --- The previous method, as corpus/splitting.py had it, kept here only to measure against.


def previous_split_papers(
    ids: Sequence[str],
    label_sets: Sequence[Sequence[str]],
    fractions: Mapping[str, float],
    size_fractions: Sequence[float],
    seed: int,
    min_stratum_size: int = 20,
) -> pd.DataFrame:
    """PREVIOUS METHOD: each stratum (label set, else rarest label) shuffled with the seed
    and dealt out by systematic sampling, sizes likewise within (split, stratum)."""
    order = np.argsort(np.asarray(ids, dtype=object), kind="stable")
    sorted_ids = np.asarray(ids, dtype=object)[order]
    sorted_labels = [label_sets[index] for index in order]
    rng = np.random.default_rng(seed)
    stratum_of, strata = pd.factorize(_previous_strata(sorted_labels, min_stratum_size), sort=True)
    split_names = list(fractions)
    boundaries = np.cumsum([fractions[name] for name in split_names])[:-1]
    split_index = np.searchsorted(boundaries, _systematic_positions(stratum_of, rng), side="right")
    size_positions = _systematic_positions(split_index * len(strata) + stratum_of, rng)
    sizes = np.asarray(size_fractions, dtype=float)
    size_index = np.searchsorted(sizes, size_positions, side="right")
    return pd.DataFrame(
        {
            "id": sorted_ids,
            "split": np.asarray(split_names, dtype=object)[split_index],
            "size_fraction": sizes[size_index],
        }
    )


def _previous_strata(label_sets: Sequence[Sequence[str]], min_stratum_size: int) -> np.ndarray:
    keys = pd.Series([" ".join(sorted(labels)) for labels in label_sets], dtype=object)
    set_sizes = keys.map(keys.value_counts())
    frequency = pd.Series(
        [label for labels in label_sets for label in labels], dtype=object
    ).value_counts()
    strata = keys.to_numpy(dtype=object, copy=True)
    for index in np.flatnonzero(set_sizes.to_numpy() < min_stratum_size):
        labels = label_sets[index]
        rarest = min(labels, key=lambda label: (frequency[label], label)) if labels else None
        rare = rarest is None or frequency[rarest] < min_stratum_size
        strata[index] = "<rare>" if rare else rarest
    return strata


def _systematic_positions(group_of: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    n_groups = int(group_of.max()) + 1 if len(group_of) else 0
    order = np.lexsort((rng.random(len(group_of)), group_of))
    sorted_groups = group_of[order]
    group_start = np.searchsorted(sorted_groups, np.arange(n_groups))
    group_size = np.bincount(group_of, minlength=n_groups)
    rank = np.empty(len(group_of), dtype=np.int64)
    rank[order] = np.arange(len(group_of)) - group_start[sorted_groups]
    offset = rng.random(n_groups)
    return (rank + offset[group_of]) / group_size[group_of]


# --- The measurements.


def ingest(snapshot: Path) -> tuple[pd.DataFrame, SplitParams]:
    """``papers`` (id, label set within the label vocabulary), sorted by id as ``paper_splits``
    is, and the project's split parameters."""
    from kedro.framework.session import KedroSession

    project = project_copy("split-stability-")
    try:
        with KedroSession.create(project, runtime_params={"snapshot_path": str(snapshot)}) as session:
            session.run(pipeline_names=["ingestion"])
            context = session.load_context()
            table = context.catalog.load("papers").read(columns=["id", "categories"])
            vocabulary = set(context.catalog.load("label_vocabulary")["labels"])
            split = context.params["ingestion"].split
    finally:
        shutil.rmtree(project)
    papers = pd.DataFrame(
        {
            "id": table["id"].to_pylist(),
            # What the previous method stratified on: the labels the classifier predicts.
            "labels": [
                [label for label in labels if label in vocabulary]
                for labels in table["categories"].to_pylist()
            ],
        }
    )
    return papers.sort_values("id", ignore_index=True), split


def methods(split: SplitParams) -> dict[str, Callable[[pd.DataFrame], pd.DataFrame]]:
    """Each method as papers (id, labels) -> paper_splits, with the project's parameters."""
    fractions, sizes = split.fractions, split.size_fractions
    return {
        "previous (stratified shuffle)": lambda papers, seed=split.seed: previous_split_papers(
            papers["id"].tolist(), papers["labels"].tolist(), fractions, sizes, seed
        ),
        "keyed hash": lambda papers, seed=split.seed: split_papers(
            papers["id"].tolist(), fractions, sizes, seed
        ),
    }


@dataclass(frozen=True)
class LabelIndex:
    """Which papers (rows of the id-sorted papers) carry each label on at least ``min_papers``."""

    paper: np.ndarray
    label: np.ndarray
    names: pd.Index
    papers_per_label: np.ndarray
    n_papers: int

    @classmethod
    def of(cls, papers: pd.DataFrame, min_papers: int) -> LabelIndex:
        exploded = papers["labels"].reset_index(drop=True).explode().dropna()
        counts = exploded.value_counts()
        names = counts[counts >= min_papers].index
        kept = exploded[exploded.isin(names)]
        return cls(
            paper=kept.index.to_numpy(),
            label=names.get_indexer(kept.to_numpy()),
            names=names,
            papers_per_label=counts[names].to_numpy(),
            n_papers=len(papers),
        )

    def shares(self, group: np.ndarray, n_groups: int) -> np.ndarray:
        """Each label's share (%) of each group of papers (``group``: a code per paper, -1 for
        none), shape (labels, groups)."""
        in_group = group[self.paper]
        held = in_group >= 0
        counts = np.bincount(
            self.label[held] * n_groups + in_group[held], minlength=len(self.names) * n_groups
        ).reshape(len(self.names), n_groups)
        return 100 * counts / np.bincount(group[group >= 0], minlength=n_groups)

    def gaps(self, splits: pd.DataFrame, names: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """Per label: the gap (pp) between its share of each split and of all papers, shape
        (labels, splits); and between its share of train's smallest nested subset and of all."""
        overall = 100 * self.papers_per_label[:, None] / self.n_papers
        split_code = pd.Categorical(splits["split"], categories=names).codes.astype(np.int64)
        smallest = (split_code == names.index("train")) & (
            splits["size_fraction"].to_numpy() == splits["size_fraction"].min()
        )
        return (
            self.shares(split_code, len(names)) - overall,
            self.shares(np.where(smallest, 0, -1), 1)[:, 0] - overall[:, 0],
        )


def moved_by_growth(papers: pd.DataFrame, method: Callable) -> tuple[int, int, int]:
    """Papers of the snapshot without its last 1% of ids that change split, or nested size,
    when those are added; and how many papers both share."""
    before = method(papers.iloc[: len(papers) - round(GROWTH * len(papers))])
    after = method(papers).iloc[: len(before)]
    moved_split = int((before["split"] != after["split"]).sum())
    moved_size = int((before["size_fraction"] != after["size_fraction"]).sum())
    return moved_split, moved_size, len(before)


def timed(function: Callable, *args) -> tuple[float, float]:
    """Wall and CPU seconds of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    function(*args)
    return time.perf_counter() - wall, time.process_time() - cpu


def large_corpus(papers: pd.DataFrame) -> pd.DataFrame:
    """``LARGE_N`` papers: the real ones, then new ids carrying the real papers' label sets."""
    extra = LARGE_N - len(papers)
    ids = [f"99{i // 100_000:02d}.{i % 100_000:05d}" for i in range(extra)]
    labels = papers["labels"].tolist()
    return pd.concat(
        [papers, pd.DataFrame({"id": ids, "labels": [labels[i % len(labels)] for i in range(extra)]})],
        ignore_index=True,
    )


def method_table(papers: pd.DataFrame, split: SplitParams, index: LabelIndex) -> tuple[str, dict]:
    """Table (a), and each method's gaps per label and split."""
    names = list(split.fractions)
    rows, gaps = [], {}
    for name, method in methods(split).items():
        split_gaps, smallest_gaps = index.gaps(method(papers), names)
        gaps[name] = split_gaps
        largest = np.abs(split_gaps).max(axis=1)
        within = int((largest <= TOLERANCE_PP).sum())
        moved_split, moved_size, shared = moved_by_growth(papers, method)
        rows.append(
            f"| {name} | {largest.max():.3f} | {np.abs(smallest_gaps).max():.3f} | "
            f"{'yes' if within == len(largest) else 'no'} ({within} of {len(largest)}) | "
            f"{moved_split:,} of {shared:,} | {moved_size:,} of {shared:,} |"
        )
    table = "\n".join(
        [
            f"| method | largest gap, pp | largest gap in train's {min(split.size_fractions)} "
            f"subset, pp | every label within {TOLERANCE_PP:g} pp | moved split by "
            f"+{GROWTH:.0%} papers | moved nested size by +{GROWTH:.0%} |",
            "|---|---:|---:|---|---:|---:|",
            *rows,
        ]
    )
    return table, gaps


def scale_table(papers: pd.DataFrame, split: SplitParams, min_papers: int) -> str:
    """Table (b): each method's time on this corpus and on ``LARGE_N`` papers, and its largest
    gap there."""
    big = large_corpus(papers)
    index = LabelIndex.of(big, min_papers)
    rows = []
    for name, method in methods(split).items():
        wall, cpu = timed(method, papers)
        big_wall, big_cpu = timed(method, big)
        largest = np.abs(index.gaps(method(big), list(split.fractions))[0]).max()
        rows.append(
            f"| {name} | {wall:.1f} / {cpu:.1f} | {big_wall:.1f} / {big_cpu:.1f} | {largest:.3f} |"
        )
    return "\n".join(
        [
            f"| method | s to split {len(papers):,} (wall / CPU) | s to split {LARGE_N:,} "
            f"(wall / CPU) | largest gap at {LARGE_N:,}, pp |",
            "|---|---:|---:|---:|",
            *rows,
        ]
    )


def seed_table(papers: pd.DataFrame, split: SplitParams, index: LabelIndex, seeds: int) -> str:
    """Table (c): the keyed hash's largest gap over ``seeds`` seeds, 0 .. seeds - 1."""
    names = list(split.fractions)
    method = methods(split)["keyed hash"]
    largest = np.array(
        [np.abs(index.gaps(method(papers, seed), names)[0]).max() for seed in range(seeds)]
    )
    within = (largest <= TOLERANCE_PP).mean()
    return "\n".join(
        [
            "| seeds | median largest gap, pp | 95th percentile, pp | largest, pp | "
            f"seeds with every label within {TOLERANCE_PP:g} pp |",
            "|---:|---:|---:|---:|---:|",
            f"| {seeds} | {np.median(largest):.3f} | {np.percentile(largest, 95):.3f} | "
            f"{largest.max():.3f} | {within:.0%} |",
        ]
    )


def label_table(split: SplitParams, index: LabelIndex, gaps: dict[str, np.ndarray]) -> str:
    """Table (d): each label's shares under the keyed hash, and its largest gap per method."""
    names = list(split.fractions)
    overall = 100 * index.papers_per_label / index.n_papers
    smallest_split = min(split.fractions.values())
    n_small = smallest_split * index.n_papers
    binomial_sd = 100 * np.sqrt(overall / 100 * (1 - overall / 100) * (1 - smallest_split) / n_small)
    (previous, new) = gaps.values()
    lines = [
        "| label | papers | % of all | "
        + " | ".join(f"% of {name}" for name in names)
        + f" | binomial sd in a {smallest_split:g} split, pp | largest gap, previous, pp "
        "| largest gap, keyed hash, pp |",
        "|---|" + "---:|" * (len(names) + 5),
    ]
    for row, label in enumerate(index.names):
        shares = " | ".join(f"{overall[row] + new[row, column]:.2f}" for column in range(len(names)))
        lines.append(
            f"| {label} | {index.papers_per_label[row]:,} | {overall[row]:.2f} | {shares} | "
            f"{binomial_sd[row]:.3f} | {np.abs(previous[row]).max():.3f} | "
            f"{np.abs(new[row]).max():.3f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--snapshot", type=Path, default=DEFAULT_SNAPSHOT)
    parser.add_argument("--min-papers", type=int, default=200, help="labels on fewer papers are left out")
    parser.add_argument("--seeds", type=int, default=100, help="seeds of table (c)")
    parser.add_argument("--figures", type=Path, help="default: docs/figures/split_stability.md")
    args = parser.parse_args(argv)
    snapshot = args.snapshot.resolve()
    if not snapshot.is_file():
        raise SystemExit(f"split_stability: no snapshot at {snapshot}")
    papers, split = ingest(snapshot)
    index = LabelIndex.of(papers, args.min_papers)
    methods_summary, gaps = method_table(papers, split, index)
    scale = scale_table(papers, split, args.min_papers)
    seeds = seed_table(papers, split, index, args.seeds)
    per_label = label_table(split, index, gaps)
    body = (
        f"{len(papers):,} papers of `{snapshot.name}`, split {split.fractions} with seed "
        f"{split.seed}; labels on at least {args.min_papers} papers. A gap is a label's share "
        "of a split minus its share of all papers, in percentage points. Growth: the snapshot "
        f"without its last {GROWTH:.0%} of ids, then with them.\n\n"
        f"(a) The methods\n\n{methods_summary}\n\n(b) Time, and {LARGE_N:,} papers (these, "
        f"then new ids with their label sets)\n\n{scale}\n\n(c) The keyed hash under seeds "
        f"0 to {args.seeds - 1}\n\n{seeds}\n\n(d) Each label\n\n{per_label}\n"
    )
    print(body)
    _figures.write("split_stability", body, path=args.figures)


if __name__ == "__main__":
    main()
