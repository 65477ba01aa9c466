"""Disjoint, nested train/validation/test splits that never move a paper.

A paper's split and nested size depend on its id and the seed alone: a keyed hash
(BLAKE2b, keyed with the seed) of the id gives two independent positions in
``[0, 1)``. The first picks the split, by the cumulative shares of the splits in name
order; the second the nested size: the paper belongs to every size fraction above it.
So adding, revising or removing papers never moves another paper, a paper keeps its
split at every size, and a new snapshot keeps every old paper where it was.

Each paper is placed independently, so a label's share in a split differs from its
overall share by binomial noise only: its standard deviation is about
``sqrt(s * (1 - s) * (1 - f) / (f * N))`` for a label on a share ``s`` of ``N`` papers
and a split of share ``f`` (about 0.4 percentage points for a label on 30% of 118,000
papers in a 10% split, and less for rarer labels). ``benchmarks/split_stability.py``
measures it against the stratified shuffle this replaced.

Hashing is one pass of C-level BLAKE2b per id and the rest is vectorised: seconds for
millions of papers.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

logger = logging.getLogger(__name__)

#: The splits of `paper_splits`, in the order the pipelines report them.
SPLITS = ("train", "validation", "test")


def hash_positions(ids: Sequence[str], seed: int) -> np.ndarray:
    """Two independent positions in ``[0, 1)`` per id, from a keyed hash of the id alone.

    Parameters
    ----------
    ids
        Paper ids.
    seed
        The hash's key (as its decimal digits): another seed, other positions.

    Returns
    -------
    numpy.ndarray
        Shape ``(len(ids), 2)``: the two 64-bit halves of each id's 128-bit BLAKE2b
        digest, each mapped to a double in ``[0, 1)`` (its top 53 bits).
    """
    # Keying costs a compression of its own: key once, copy the state per id.
    keyed = hashlib.blake2b(key=str(seed).encode(), digest_size=16)

    def digest(paper_id: str) -> bytes:
        state = keyed.copy()
        state.update(paper_id.encode())
        return state.digest()

    words = np.frombuffer(b"".join(map(digest, ids)), dtype="<u8").reshape(-1, 2)
    return (words >> np.uint64(11)) * 2.0**-53


def _sorted_unique(ids: Sequence[str]) -> list[str]:
    """The ids in sorted order; ValueError if one appears twice."""
    # Arrow's string sort is C++; numpy sorts an object array by Python comparisons,
    # several times slower on millions of ids.
    array = pa.array(ids, type=pa.string())
    ordered = pc.take(array, pc.sort_indices(array))
    if len(ordered) > 1 and pc.any(pc.equal(ordered[1:], ordered[:-1])).as_py():
        raise ValueError("split_papers: paper ids must be unique.")
    return ordered.to_pylist()


def split_papers(
    ids: Sequence[str],
    fractions: Mapping[str, float],
    size_fractions: Sequence[float],
    seed: int,
) -> pd.DataFrame:
    """Assign every paper to one split and to the smallest nested size that holds it.

    Parameters
    ----------
    ids
        Paper ids, unique.
    fractions
        Split name to share of papers, e.g. ``{"train": 0.8, "validation": 0.1, "test": 0.1}``;
        shares must sum to 1. Each paper lands in a split with that probability.
    size_fractions
        Increasing fractions ending in 1.0, e.g. ``[0.05, 0.1, 0.4, 1.0]``. The subset of
        size ``f`` of a split holds the papers whose ``size_fraction <= f``.
    seed
        Key of the hash. A paper's row depends only on its id, the seed and the
        fractions: not on the other papers, nor on their order.

    Returns
    -------
    pandas.DataFrame
        Columns ``id``, ``split``, ``size_fraction``, sorted by ``id``.
    """
    check_fractions(fractions, size_fractions)
    sorted_ids = _sorted_unique(ids)
    positions = hash_positions(sorted_ids, seed)
    # Name order, so the YAML's order of the splits does not matter.
    split_names = sorted(fractions)
    boundaries = np.cumsum([fractions[name] for name in split_names])[:-1]
    split_index = np.searchsorted(boundaries, positions[:, 0], side="right")
    sizes = np.asarray(size_fractions, dtype=float)
    size_index = np.searchsorted(sizes, positions[:, 1], side="right")
    return pd.DataFrame(
        {
            "id": np.asarray(sorted_ids, dtype=object),
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


def largest_subset_within(paper_splits: pd.DataFrame, split: str, papers: int | None) -> float:
    """The largest nested-subset size of ``split`` that holds at most ``papers`` papers.

    Parameters
    ----------
    paper_splits
        Columns ``split`` and ``size_fraction``.
    split
        The split whose subsets are counted.
    papers
        The cap; None: no cap, the whole split (1.0).

    Returns
    -------
    float
        A size ingestion assigned (``ingestion.split.size_fractions``), or 1.0. Where even
        the smallest subset holds more than ``papers``, that smallest subset: the cap
        cannot be met without a smaller size fraction.
    """
    if papers is None:
        return 1.0
    sizes = np.sort(paper_splits.loc[paper_splits["split"] == split, "size_fraction"].to_numpy())
    levels = np.unique(sizes)
    if not len(levels):
        return 1.0
    # Papers in each subset: those whose size_fraction is at most its size.
    held = np.searchsorted(sizes, levels, side="right")
    within = levels[held <= papers]
    return float(within[-1] if len(within) else levels[0])



def warn_over_cap(papers: int, cap: int | None, parameter: str, fitted: str) -> None:
    """Log a warning where the subset :func:`largest_subset_within` chose exceeds its cap.

    That happens only where even the smallest nested subset holds more than ``cap``
    papers; ``parameter`` names the cap and ``fitted`` what is fitted on the subset.
    """
    if cap is not None and papers > cap:
        logger.warning(
            "Even the smallest nested subset of train holds %d papers, more than %s (%d): "
            "%s on that subset. Add a smaller size to ingestion.split.size_fractions to "
            "keep within the cap.",
            papers,
            parameter,
            cap,
            fitted,
        )

def splits_fingerprint(paper_splits: pd.DataFrame) -> str:
    """A hash (blake2b) of every paper's id, split and size fraction, in order.

    Known as soon as ingestion ends: studies record it and refuse other splits before
    any embedding is computed; with the embeddings' text fingerprint it tells whether a
    model was built on the current papers.
    """
    columns = paper_splits[["id", "split", "size_fraction"]]
    hashes = pd.util.hash_pandas_object(columns, index=False).to_numpy()
    return hashlib.blake2b(hashes.tobytes(), digest_size=16).hexdigest()
