"""Typed ``ingestion`` parameters, built by Kedro from ``parameters_ingestion.yml``.

Kedro instantiates :class:`IngestionParams` for a node input ``params:ingestion``
annotated with it (``IngestionParams(**raw)``), so a bad value stops the run before
any node starts, with an error naming the key (``ingestion.max_rejected_share``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .splitting import SPLITS, check_fractions


def _require(condition: bool, key: str, expected: str, value: Any) -> None:
    if not condition:
        raise ValueError(f"ingestion.{key} must be {expected}; got {value!r}.")


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


@dataclass(frozen=True)
class SplitParams:
    """``ingestion.split``: disjoint, nested splits, stable as papers come and go (see ``splitting.py``)."""

    seed: int
    fractions: dict[str, float]
    size_fractions: list[float]

    def __post_init__(self) -> None:
        _require(_is_int(self.seed), "split.seed", "an integer", self.seed)
        fractions = self.fractions
        _require(
            isinstance(fractions, dict) and sorted(fractions) == sorted(SPLITS),
            "split.fractions",
            f"a mapping of exactly {list(SPLITS)}",
            fractions,
        )
        try:
            check_fractions(fractions, self.size_fractions)
        except (TypeError, ValueError) as error:
            raise ValueError(f"ingestion.split: {error}") from error


@dataclass(frozen=True)
class IngestionParams:
    """``ingestion``: how the snapshot is read, how many bad lines a run accepts, labels, splits.

    Attributes
    ----------
    block_bytes
        Bytes of snapshot lines parsed at once; peak memory grows with this.
    parse_threads
        Threads parsing blocks in parallel; ``None`` uses every core.
    max_rejected_share
        The run fails when a larger share of lines is rejected (0 to 1). A run that
        keeps no paper fails whatever this is.
    min_label_count
        Labels on fewer papers are left out of ``label_vocabulary``.
    split
        The splits; a mapping in the YAML, a :class:`SplitParams` here.
    """

    block_bytes: int
    parse_threads: int | None
    max_rejected_share: float
    min_label_count: int
    split: SplitParams

    def __post_init__(self) -> None:
        _require(
            _is_int(self.block_bytes) and self.block_bytes > 0,
            "block_bytes",
            "a positive integer",
            self.block_bytes,
        )
        _require(
            self.parse_threads is None or (_is_int(self.parse_threads) and self.parse_threads > 0),
            "parse_threads",
            "null or a positive integer",
            self.parse_threads,
        )
        _require(
            _is_number(self.max_rejected_share) and 0 <= self.max_rejected_share <= 1,
            "max_rejected_share",
            "a number from 0 to 1",
            self.max_rejected_share,
        )
        _require(
            _is_int(self.min_label_count) and self.min_label_count >= 1,
            "min_label_count",
            "an integer >= 1",
            self.min_label_count,
        )
        split = self.split
        if isinstance(split, dict):
            known = {"seed", "fractions", "size_fractions"}
            _require(
                set(split) == known, "split", f"a mapping of exactly {sorted(known)}", split
            )
            object.__setattr__(self, "split", SplitParams(**split))
        _require(isinstance(self.split, SplitParams), "split", "a mapping", split)
