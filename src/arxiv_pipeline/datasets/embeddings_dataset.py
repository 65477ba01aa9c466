"""Embeddings of one split by one model, cached as a memory-mappable ``.npy`` file.

Encoding the full snapshot takes hours and its matrix (2.3M × 768 float32) is 7 GB, so
this dataset is also the cache. A node returns an :class:`EmbeddingJob`: the ids and
texts, their fingerprint, and an encoder that has not run yet. ``save`` compares the
job's cache key with the sidecar of the stored matrix; when they are equal the stored
matrix is kept and nothing is encoded. Otherwise the encoder's chunks are written one
at a time into a memory-mapped ``.npy`` under a temporary name, so the matrix is never
held in memory, let alone twice.

Files, for ``filepath=data/04_feature/embeddings/minilm/train.npy``:

- ``train.npy``: float32 matrix, one row per id, loaded with ``mmap_mode="r"``;
- ``train.ids.parquet``: the ids, in row order;
- ``train.json``: the sidecar: cache key (model id and hash of its files, settings,
  text fingerprint), dimension and how the matrix was computed. It is written last and
  removed first, so a sidecar always describes a complete matrix.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
from kedro.io import AbstractDataset, DatasetError
from numpy.lib.format import open_memmap
from tqdm.auto import tqdm

logger = logging.getLogger(__name__)


class ChunkEncoder(Protocol):
    """What :class:`EmbeddingJob` needs from a model."""

    @property
    def identity(self) -> dict[str, Any]:
        """JSON scalars that, with the texts, determine the vectors (model id, file hash, ...)."""

    @property
    def dim(self) -> int:
        """Width of the vectors."""

    def encode(self, texts: list[str]) -> np.ndarray:
        """One row per text, in order."""

    def run_info(self) -> dict[str, Any]:
        """How the vectors were computed (device, precision, versions), for the sidecar."""


@dataclass(frozen=True)
class EmbeddingJob:
    """Texts to embed with a model, not embedded yet.

    Attributes
    ----------
    model_key, split
        Where the result belongs (``embeddings.models.<model_key>``, a split of ``paper_splits``).
    ids, texts
        One text per paper id, in the order of the split's rows in ``paper_splits``.
    text_fingerprint
        Hash of the ids, texts and text template (see ``pipelines.embeddings.texts``).
    encoder
        Computes the vectors; nothing is loaded or fitted before the first ``encode``.
    chunk_size
        Texts encoded and written at a time; bounds the memory used by encoding.
    """

    model_key: str
    split: str
    ids: pa.Array
    texts: pa.Array
    text_fingerprint: str
    encoder: ChunkEncoder
    chunk_size: int

    @property
    def name(self) -> str:
        return f"{self.model_key}/{self.split}"

    @property
    def cache_key(self) -> dict[str, Any]:
        """Everything the vectors depend on; a stored matrix with an equal key is reused."""
        return {
            **self.encoder.identity,
            "text_fingerprint": self.text_fingerprint,
            "rows": len(self.ids),
        }

    def chunks(self) -> Iterator[np.ndarray]:
        """The vectors, ``chunk_size`` rows at a time, in row order."""
        for start in range(0, len(self.texts), self.chunk_size):
            yield self.encoder.encode(self.texts.slice(start, self.chunk_size).to_pylist())


class StaleEmbeddingsError(ValueError):
    """Stored embeddings belong to other papers than the current ``paper_splits``."""


@dataclass(frozen=True)
class Embeddings:
    """Stored embeddings of one split.

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
        rows = paper_splits[paper_splits["split"] == split]
        if not np.array_equal(rows["id"].to_numpy(dtype=object), self.ids):
            raise StaleEmbeddingsError(
                f"The stored '{self.metadata['model_key']}' embeddings of split '{split}' "
                f"({len(self.ids)} papers) do not match paper_splits ({len(rows)} papers): "
                "run `kedro run --pipelines embeddings` to bring them up to date."
            )
        if max_size_fraction is None:
            return self
        keep = (rows["size_fraction"] <= max_size_fraction).to_numpy()
        return Embeddings(self.ids[keep], self.vectors[keep], self.metadata)


class EmbeddingsDataset(AbstractDataset[EmbeddingJob, Embeddings]):
    """Cache of one (model, split) embedding matrix; saving a job encodes only on a cache miss.

    Parameters
    ----------
    filepath
        The ``.npy`` file; the ids and the sidecar are written beside it.

    Examples
    --------
    >>> train = catalog.load("minilm.train_embeddings")       # doctest: +SKIP
    >>> train.aligned_to(paper_splits, max_size_fraction=0.1).vectors.shape  # doctest: +SKIP
    """

    def __init__(self, filepath: str) -> None:
        self._filepath = Path(filepath)
        self._ids_path = self._filepath.with_suffix(".ids.parquet")
        self._sidecar = self._filepath.with_suffix(".json")

    def load(self) -> Embeddings:
        if not self._exists():
            raise DatasetError(
                f"No embeddings at '{self._filepath}' (or no sidecar '{self._sidecar.name}'): "
                "run `kedro run --pipelines embeddings`."
            )
        ids = pq.read_table(self._ids_path, columns=["id"])["id"]
        return Embeddings(
            ids=ids.to_numpy(zero_copy_only=False),
            vectors=np.load(self._filepath, mmap_mode="r"),
            metadata=json.loads(self._sidecar.read_text()),
        )

    def save(self, data: EmbeddingJob) -> None:
        if self._stored_key() == data.cache_key:
            logger.info(
                "%s: cache hit (same model and texts), %d vectors kept.", data.name, len(data.ids)
            )
            return
        self._filepath.parent.mkdir(parents=True, exist_ok=True)
        # From here on the stored files are being replaced: without a sidecar they are
        # never taken for a complete result, whatever happens before the end.
        self._sidecar.unlink(missing_ok=True)
        started = time.perf_counter()
        self._write_vectors(data)
        seconds = time.perf_counter() - started
        _replace_atomically(
            self._ids_path, lambda path: pq.write_table(pa.table({"id": data.ids}), path)
        )
        metadata = {
            "model_key": data.model_key,
            "split": data.split,
            "cache_key": data.cache_key,
            "dim": data.encoder.dim,
            "dtype": "float32",
            "run": {**data.encoder.run_info(), "seconds": round(seconds, 3)},
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        _replace_atomically(
            self._sidecar, lambda path: path.write_text(json.dumps(metadata, indent=2))
        )
        logger.info("%s: encoded %d texts in %.1f s.", data.name, len(data.ids), seconds)

    def _write_vectors(self, job: EmbeddingJob) -> None:
        def write(path: Path) -> None:
            # The .npy header is written up front; the rows go straight to the file.
            shape = (len(job.ids), job.encoder.dim)
            out = open_memmap(path, mode="w+", dtype=np.float32, shape=shape)
            start = 0
            with tqdm(total=len(job.ids), unit="texts", desc=f"Embedding {job.name}") as progress:
                for chunk in job.chunks():
                    out[start : start + len(chunk)] = chunk
                    start += len(chunk)
                    progress.update(len(chunk))
            out.flush()
            del out  # closes the memory map before the file is renamed

        _replace_atomically(self._filepath, write)

    def _stored_key(self) -> dict[str, Any] | None:
        if not self._exists():
            return None
        return json.loads(self._sidecar.read_text()).get("cache_key")

    def _exists(self) -> bool:
        return all(path.is_file() for path in (self._filepath, self._ids_path, self._sidecar))

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}


def _replace_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write`` on a temporary name beside ``path``, then rename it to ``path``."""
    partial = path.with_name(path.name + ".partial")
    write(partial)
    os.replace(partial, path)
