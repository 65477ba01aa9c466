"""Stored embeddings as values: one split by one model, and the items that write a matrix.

``<split>_embeddings`` (:class:`~arxiv_pipeline.datasets.EmbeddingsDataset`) loads
:class:`Embeddings` and saves the :data:`EmbeddingsWrite` items that
:func:`~arxiv_pipeline.embedding.encoding.encode_split` yields; the topic, classifier
and tuning code reads the vectors, ids and sidecar through :class:`Embeddings` alone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa

from arxiv_pipeline.corpus.splitting import nested_subset


class StaleEmbeddingsError(ValueError):
    """Stored embeddings belong to other papers than the current ``paper_splits``."""


def check_split_ids(ids: np.ndarray, paper_splits: pd.DataFrame, split: str, what: str) -> None:
    """Refuse stored rows whose ids are not the split's ids in ``paper_splits``, in order.

    Raises
    ------
    StaleEmbeddingsError
        Naming ``what`` (e.g. "The stored train_texts"): ingestion ran again since it was
        written, without the embeddings pipeline.
    """
    rows = paper_splits[paper_splits["split"] == split]
    if not np.array_equal(rows["id"].to_numpy(dtype=object), ids):
        raise StaleEmbeddingsError(
            f"{what} ({len(ids)} papers) do not match paper_splits ({len(rows)} papers): "
            "run `kedro run --pipelines embeddings` to bring them up to date."
        )


@dataclass(frozen=True)
class Embeddings:
    """Stored embeddings of one split by one model.

    Attributes
    ----------
    ids
        Paper ids (object array of ``str``), in the split's order in ``paper_splits``.
    vectors
        ``(len(ids), dim)`` float32, memory-mapped read-only.
    metadata
        The sidecar: ``model_key``, ``split``, ``cache_key``, ``dim``, ``run``, ...
    """

    ids: np.ndarray
    vectors: np.ndarray
    metadata: dict[str, Any]

    def aligned_to(
        self, paper_splits: pd.DataFrame, max_size_fraction: float | None = None
    ) -> Embeddings:
        """These embeddings, checked against ``paper_splits``, for a nested subset if asked.

        Parameters
        ----------
        paper_splits
            The ``paper_splits`` dataset (id, split, size_fraction, sorted by id).
        max_size_fraction
            Keep the papers with ``size_fraction <= max_size_fraction`` (the nested
            subset of that size). ``None`` keeps all and copies nothing.

        Raises
        ------
        StaleEmbeddingsError
            If the ids differ from the split's ids in ``paper_splits``, which happens when
            ingestion ran again without the embeddings pipeline.
        """
        split = self.metadata["split"]
        what = f"The stored '{self.metadata['model_key']}' embeddings of split '{split}'"
        check_split_ids(self.ids, paper_splits, split, what)
        if max_size_fraction is None:
            return self
        keep = nested_subset(paper_splits, split, max_size_fraction)
        return Embeddings(self.ids[keep], self.vectors[keep], self.metadata)


@dataclass(frozen=True)
class EmbeddingsStart:
    """A model's matrix for the split begins: ``len(ids)`` rows of width ``dim`` follow."""

    model_key: str
    ids: pa.Array
    dim: int
    cache_key: dict[str, Any]


@dataclass(frozen=True)
class EmbeddingsRows:
    """Rows ``start:start + len(vectors)`` of the matrix begun last."""

    model_key: str
    start: int
    vectors: np.ndarray


@dataclass(frozen=True)
class EmbeddingsEnd:
    """The matrix begun last is complete; ``run`` says how it was computed (for the sidecar)."""

    model_key: str
    run: dict[str, Any]


EmbeddingsWrite = EmbeddingsStart | EmbeddingsRows | EmbeddingsEnd
