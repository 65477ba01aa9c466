"""Embeddings of one split by every model, cached as memory-mappable ``.npy`` files.

Encoding the full snapshot takes hours and its matrix (2.3M × 768 float32) is 7 GB, so
these files are also the cache. Loading ``<split>_embeddings`` gives a read-only mapping
``{model_key: Embeddings}`` over the models stored for that split; a model's files are
read (memory-mapped) only when its key is accessed.

Saving takes the stream of :data:`EmbeddingsWrite` items that the embeddings pipeline's
node yields while it encodes: an :class:`EmbeddingsStart`, the rows in order, an
:class:`EmbeddingsEnd`. Only the rows of one chunk are in memory at a time.

Files, for model ``minilm`` and split ``train`` under ``data/04_feature/embeddings``:

- ``minilm/train.npy``: float32 matrix, one row per id, loaded with ``mmap_mode="r"``;
- ``minilm/train.ids.parquet``: the ids, in row order;
- ``minilm/train.json``: the sidecar: cache key (model id and hash of its files, settings,
  text fingerprint), dimension and how the matrix was computed. It is removed before a
  matrix is replaced and written last, so a sidecar always describes a complete matrix.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from kedro.io import AbstractDataset, DatasetError

from arxiv_pipeline.embedding.vectors import (
    Embeddings,
    EmbeddingsEnd,
    EmbeddingsRows,
    EmbeddingsStart,
    EmbeddingsWrite,
)

from ._atomic import replace_file
from ._npy_writer import NpyRowWriter


@dataclass(frozen=True)
class _Files:
    npy: Path

    @property
    def ids(self) -> Path:
        return self.npy.with_suffix(".ids.parquet")

    @property
    def sidecar(self) -> Path:
        return self.npy.with_suffix(".json")

    def complete(self) -> bool:
        return all(path.is_file() for path in (self.npy, self.ids, self.sidecar))


class SplitEmbeddings(Mapping[str, Embeddings]):
    """``{model_key: Embeddings}`` of one split, over the models stored in a folder.

    Keys are the models with a complete matrix for the split (a sidecar). A model's ids
    and memory map are read on first access and kept; nothing can be written through it.
    """

    def __init__(self, folder: Path, split: str) -> None:
        self.folder, self.split = folder, split
        self._loaded: dict[str, Embeddings] = {}

    def files(self, model_key: str) -> _Files:
        return _Files(self.folder / model_key / f"{self.split}.npy")

    def _keys(self) -> list[str]:
        if not self.folder.is_dir():
            return []
        models = (path.name for path in self.folder.iterdir() if path.is_dir())
        return sorted(key for key in models if self.files(key).complete())

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys())

    def __len__(self) -> int:
        return len(self._keys())

    def __contains__(self, model_key: object) -> bool:
        return isinstance(model_key, str) and self.files(model_key).complete()

    def __getitem__(self, model_key: str) -> Embeddings:
        if model_key not in self._loaded:
            if model_key not in self:
                raise KeyError(
                    f"No '{model_key}' embeddings of split '{self.split}' in '{self.folder}' "
                    f"(stored: {self._keys()}): list it in embeddings.models and run "
                    "`kedro run --pipelines embeddings`."
                )
            files = self.files(model_key)
            ids = pq.read_table(files.ids, columns=["id"])["id"]
            self._loaded[model_key] = Embeddings(
                ids=ids.to_numpy(zero_copy_only=False),
                vectors=np.load(files.npy, mmap_mode="r"),
                metadata=self.sidecar(model_key),
            )
        return self._loaded[model_key]

    def sidecar(self, model_key: str) -> dict[str, Any] | None:
        """The stored sidecar of a model (without reading its matrix), None if incomplete."""
        files = self.files(model_key)
        return json.loads(files.sidecar.read_text()) if files.complete() else None


class EmbeddingsDataset(AbstractDataset[EmbeddingsWrite, "SplitEmbeddings | Embeddings"]):
    """The embeddings of one split, every stored model; or of one model when ``model`` is set.

    Parameters
    ----------
    path
        The folder holding one folder per model (``<path>/<model>/<split>.npy`` and beside
        it the ids and the sidecar). Named ``path`` so that Kedro makes a relative one
        absolute under the project, as it does a ``filepath``: a notebook in
        ``notebooks/`` reads the same files as ``kedro run``.
    split
        ``train``, ``validation`` or ``test``.
    model
        Load only this model's :class:`Embeddings` (read-only; for notebooks).

    Examples
    --------
    >>> train = catalog.load("train_embeddings")           # doctest: +SKIP
    >>> list(train), train["minilm"].vectors.shape         # doctest: +SKIP
    >>> catalog.load("minilm.train_embeddings").metadata   # doctest: +SKIP
    """

    def __init__(self, path: str, split: str, model: str | None = None) -> None:
        self._folder, self._split, self._model = Path(path), split, model
        self._writer: NpyRowWriter | None = None
        self._started: EmbeddingsStart | None = None

    def _stored(self) -> SplitEmbeddings:
        return SplitEmbeddings(self._folder, self._split)

    def load(self) -> SplitEmbeddings | Embeddings:
        stored = self._stored()
        if self._model is None:
            return stored
        try:
            return stored[self._model]
        except KeyError as error:
            raise DatasetError(error.args[0]) from None

    def save(self, data: EmbeddingsWrite) -> None:
        if self._model is not None:
            raise DatasetError(f"'{self._model}.{self._split}_embeddings' is read-only.")
        if isinstance(data, EmbeddingsStart):
            self._start(data)
        elif isinstance(data, EmbeddingsRows):
            self._expect(data.model_key).write(data.start, data.vectors)
        elif isinstance(data, EmbeddingsEnd):
            self._end(data)
        else:
            raise DatasetError(
                f"{self._split}_embeddings saves EmbeddingsStart, EmbeddingsRows and "
                f"EmbeddingsEnd items, got {type(data).__name__}."
            )

    def _start(self, start: EmbeddingsStart) -> None:
        if self._writer is not None:
            self._writer.abort()
        files = self._stored().files(start.model_key)
        files.npy.parent.mkdir(parents=True, exist_ok=True)
        # From here on the stored files are being replaced: without a sidecar they are
        # never taken for a complete result, whatever happens before the end.
        files.sidecar.unlink(missing_ok=True)
        self._writer = NpyRowWriter(files.npy, len(start.ids), start.dim)
        self._started = start

    def _expect(self, model_key: str) -> NpyRowWriter:
        if self._writer is None or self._started is None or self._started.model_key != model_key:
            raise DatasetError(
                f"{self._split}_embeddings: rows of '{model_key}' arrived before its "
                "EmbeddingsStart."
            )
        return self._writer

    def _end(self, end: EmbeddingsEnd) -> None:
        writer, start = self._expect(end.model_key), self._started
        writer.finish()
        self._writer = self._started = None
        files = self._stored().files(end.model_key)
        replace_file(files.ids, lambda path: pq.write_table(pa.table({"id": start.ids}), path))
        metadata = {
            "model_key": end.model_key,
            "split": self._split,
            "cache_key": start.cache_key,
            "dim": start.dim,
            "dtype": "float32",
            "run": end.run,
            "created": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        }
        replace_file(files.sidecar, lambda path: path.write_text(json.dumps(metadata, indent=2)))

    def _exists(self) -> bool:
        return self._model is None or self._model in self._stored()

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._folder), "split": self._split, "model": self._model}
