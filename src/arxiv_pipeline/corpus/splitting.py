"""Disjoint, stratified, nested train/validation/test splits for multi-label papers.

Each paper is put in one *stratum*: its full label set when at least
``min_stratum_size`` papers share that set, otherwise its rarest label (so rare label
combinations still spread over the splits by their rarest, most fragile label), and
``"<rare>"`` when even that is too rare. Inside each stratum papers are shuffled with
the seed and dealt out by systematic sampling, so every stratum, and hence every label
set that matters, is split in the requested proportions up to one paper.

Nested sizes work the same way inside each (split, stratum) group: each paper gets a
position in ``[0, 1)`` and belongs to every size fraction above it. A paper therefore
keeps its split at every size, and the smaller subsets are stratified too.

The whole computation is vectorised (one lexsort per stage), which keeps it at seconds
for the 2.3M-paper snapshot, where per-sample iterative stratification takes hours.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

#: The splits of `paper_splits`, in the order the pipelines report them.
SPLITS = ("train", "validation", "test")
RARE_STRATUM = "<rare>"


def assign_strata(
    label_sets: Sequence[Sequence[str]], min_stratum_size: int
) -> np.ndarray:
    """Stratum name of each paper (see the module docstring)."""
    keys = pd.Series([" ".join(sorted(labels)) for labels in label_sets], dtype=object)
    set_sizes = keys.map(keys.value_counts())
    label_frequency = pd.Series(
        [label for labels in label_sets for label in labels], dtype=object
    ).value_counts()
    strata = keys.to_numpy(dtype=object, copy=True)
    for index in np.flatnonzero(set_sizes.to_numpy() < min_stratum_size):
        strata[index] = _rarest_label(label_sets[index], label_frequency, min_stratum_size)
    return strata


def _rarest_label(labels: Sequence[str], frequency: pd.Series, min_stratum_size: int) -> str:
    if not labels:
        return RARE_STRATUM
    # Ties broken by name so the result does not depend on the order of labels.
    rarest = min(labels, key=lambda label: (frequency[label], label))
    return rarest if frequency[rarest] >= min_stratum_size else RARE_STRATUM


def _systematic_positions(group_of: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A position in [0, 1) for each item, evenly spread within its group in random order.

    ``group_of`` holds integer group codes; groups are visited in code order.
    """
    n_groups = int(group_of.max()) + 1 if len(group_of) else 0
    order = np.lexsort((rng.random(len(group_of)), group_of))
    sorted_groups = group_of[order]
    group_start = np.searchsorted(sorted_groups, np.arange(n_groups))
    group_size = np.bincount(group_of, minlength=n_groups)
    rank = np.empty(len(group_of), dtype=np.int64)
    rank[order] = np.arange(len(group_of)) - group_start[sorted_groups]
    offset = rng.random(n_groups)
    return (rank + offset[group_of]) / group_size[group_of]


def split_papers(
    ids: Sequence[str],
    label_sets: Sequence[Sequence[str]],
    fractions: Mapping[str, float],
    size_fractions: Sequence[float],
    seed: int,
    min_stratum_size: int = 20,
) -> pd.DataFrame:
    """Assign every paper to one split and to the smallest nested size that holds it.

    Parameters
    ----------
    ids
        Paper ids, unique.
    label_sets
        Each paper's labels, aligned with ``ids``.
    fractions
        Split name to share of papers, e.g. ``{"train": 0.8, "validation": 0.1, "test": 0.1}``;
        shares must sum to 1.
    size_fractions
        Increasing fractions ending in 1.0, e.g. ``[0.05, 0.1, 0.4, 1.0]``. The subset of
        size ``f`` of a split holds the papers whose ``size_fraction <= f``.
    seed
        Seed of the shuffles; the result depends only on the seed and the ``(id, labels)``
        pairs, not on their order.
    min_stratum_size
        Smallest label set that forms its own stratum.

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``split``, ``size_fraction``, sorted by ``id``.
    """
    check_fractions(fractions, size_fractions)
    order = np.argsort(np.asarray(ids, dtype=object), kind="stable")
    sorted_ids = np.asarray(ids, dtype=object)[order]
    if len(set(sorted_ids)) != len(sorted_ids):
        raise ValueError("split_papers: paper ids must be unique.")
    sorted_labels = [label_sets[index] for index in order]
    rng = np.random.default_rng(seed)

    stratum_of, strata = pd.factorize(assign_strata(sorted_labels, min_stratum_size), sort=True)
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


def check_fractions(fractions: Mapping[str, float], size_fractions: Sequence[float]) -> None:
    """Raise ValueError unless the split shares are positive and sum to 1, and the size
    fractions increase, are positive and end in 1.0."""
    if not fractions or any(share <= 0 for share in fractions.values()):
        raise ValueError(f"split fractions must be positive, got {dict(fractions)}.")
    if not np.isclose(sum(fractions.values()), 1.0):
        raise ValueError(f"split fractions must sum to 1, got {dict(fractions)}.")
    sizes = list(size_fractions)
    if not sizes or sizes != sorted(set(sizes)) or sizes[0] <= 0 or sizes[-1] != 1.0:
        raise ValueError(
            f"size_fractions must be increasing, positive and end in 1.0, got {sizes}."
        )


def nested_subset(paper_splits: pd.DataFrame, split: str, size_fraction: float) -> np.ndarray:
    """Which of ``split``'s rows of ``paper_splits`` (in order) are in its nested subset.

    The subset of size ``size_fraction`` holds the papers whose ``size_fraction`` is at
    most that, so a paper keeps its split at every size.
    """
    rows = paper_splits[paper_splits["split"] == split]
    return (rows["size_fraction"] <= size_fraction).to_numpy()


def smallest_subset_holding(paper_splits: pd.DataFrame, split: str, papers: int) -> float:
    """The smallest nested-subset size of ``split`` that holds at least ``papers`` papers.

    Sizes are those ingestion assigned (``ingestion.split.size_fractions``); 1.0, the whole
    split, where no smaller subset holds enough.
    """
    sizes = paper_splits.loc[paper_splits["split"] == split, "size_fraction"]
    held = sizes.value_counts().sort_index().cumsum()
    enough = held[held >= papers]
    return float(enough.index[0]) if len(enough) else 1.0


def splits_fingerprint(paper_splits: pd.DataFrame) -> str:
    """A hash (blake2b) of every paper's id, split and size fraction, in order.

    Known as soon as ingestion ends: studies record it and refuse other splits before
    any embedding is computed; with the embeddings' text fingerprint it tells whether a
    model was built on the current papers.
    """
    columns = paper_splits[["id", "split", "size_fraction"]]
    hashes = pd.util.hash_pandas_object(columns, index=False).to_numpy()
    return hashlib.blake2b(hashes.tobytes(), digest_size=16).hexdigest()
