"""The per-paper embeddings cache: every model's vectors by text hash, in numbered shards.

Files, for model ``minilm`` under ``data/04_feature/embeddings``:

- ``minilm/cache/<identity>/``: one folder per encoder identity
  (:func:`~arxiv_pipeline.embedding.paper_cache.identity_digest`), with ``identity.json``
  (what the digest stands for);
- ``<identity>/000001.npy``: float32 rows, loaded with ``mmap_mode="r"``;
- ``<identity>/000001.hashes.parquet``: the text hash of each row (column ``text_hash``),
  and in its schema metadata how the rows were computed.

Each file is written under ``.partial`` and renamed into place, the hashes last: a shard
whose hashes file exists is complete, so an interrupted run leaves whole shards and, at
most, a ``.npy`` without hashes that no run reads (and the next shard of that number
replaces).
"""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from kedro.io import AbstractDataset, DatasetError

from arxiv_pipeline.embedding.paper_cache import (
    CacheAppend,
    CacheDrop,
    CacheShard,
    CacheWrite,
    ModelCache,
    identity_digest,
)

from ._atomic import replace_file

_HASHES = ".hashes.parquet"
_SHARD = re.compile(r"^(\d{6})\.hashes\.parquet$")
#: Schema metadata key of a shard's hashes file: how its vectors were computed.
_RUN_KEY = b"arxiv_pipeline.run"


class StoredEmbeddingCaches:
    """The per-paper caches of every model in a folder (read-only); see the module."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder

    def identity_folder(self, model_key: str, digest: str) -> Path:
        return self.folder / model_key / "cache" / digest

    def identity_digests(self, model_key: str) -> list[str]:
        """The identities with a cache folder under this model key."""
        caches = self.folder / model_key / "cache"
        return (
            sorted(path.name for path in caches.iterdir() if path.is_dir())
            if caches.is_dir()
            else []
        )

    def shard_names(self, model_key: str, digest: str) -> list[str]:
        """The complete shards of one identity, oldest first."""
        folder = self.identity_folder(model_key, digest)
        if not folder.is_dir():
            return []
        names = (_SHARD.match(path.name) for path in folder.iterdir())
        return sorted(match.group(1) for match in names if match)

    def model_cache(self, model_key: str, identity: dict[str, Any]) -> ModelCache:
        """The cache of this model key and encoder identity (empty where none is stored)."""
        digest = identity_digest(identity)
        folder = self.identity_folder(model_key, digest)
        shards = []
        for name in self.shard_names(model_key, digest):
            table = pq.read_table(folder / f"{name}{_HASHES}")
            run = (table.schema.metadata or {}).get(_RUN_KEY, b"{}")
            shards.append(
                CacheShard(
                    name=name,
                    hashes=table["text_hash"].to_numpy(),
                    vectors=np.load(folder / f"{name}.npy", mmap_mode="r"),
                    run=json.loads(run),
                )
            )
        return ModelCache(tuple(shards))


class EmbeddingCacheDataset(AbstractDataset[CacheWrite, StoredEmbeddingCaches]):
    """Every model's per-paper cache of vectors; loads as :class:`StoredEmbeddingCaches`.

    Saving takes :class:`~arxiv_pipeline.embedding.paper_cache.CacheAppend` (a new shard,
    numbered after the last) and :class:`~arxiv_pipeline.embedding.paper_cache.CacheDrop`
    (shards, or a whole identity, removed).

    Parameters
    ----------
    path
        The folder holding one folder per model (the one ``<split>_embeddings`` uses);
        the caches are in ``<model>/cache/``.
    """

    def __init__(self, path: str) -> None:
        self._folder = Path(path)

    def load(self) -> StoredEmbeddingCaches:
        return StoredEmbeddingCaches(self._folder)

    def save(self, data: CacheWrite) -> None:
        if isinstance(data, CacheAppend):
            self._append(data)
        elif isinstance(data, CacheDrop):
            self._drop(data)
        else:
            raise DatasetError(
                f"embedding_cache saves CacheAppend and CacheDrop items, got {type(data).__name__}."
            )

    def _append(self, shard: CacheAppend) -> None:
        if shard.vectors.ndim != 2 or len(shard.vectors) != len(shard.hashes):
            raise DatasetError(
                f"embedding_cache: {len(shard.hashes)} hashes for vectors of shape "
                f"{shard.vectors.shape} ('{shard.model_key}')."
            )
        stored = self.load()
        digest = identity_digest(shard.identity)
        folder = stored.identity_folder(shard.model_key, digest)
        folder.mkdir(parents=True, exist_ok=True)
        identity = folder / "identity.json"
        if not identity.is_file():
            text = json.dumps(shard.identity, indent=2, sort_keys=True)
            replace_file(identity, lambda path: path.write_text(text))
        names = stored.shard_names(shard.model_key, digest)
        name = f"{int(names[-1]) + 1 if names else 1:06d}"
        vectors = np.ascontiguousarray(shard.vectors, dtype="<f4")
        replace_file(folder / f"{name}.npy", lambda path: _save_npy(vectors, path))
        table = pa.table({"text_hash": pa.array(shard.hashes, pa.uint64())})
        table = table.replace_schema_metadata({_RUN_KEY: json.dumps(shard.run).encode()})
        # Last: from here on the shard is part of the cache.
        replace_file(folder / f"{name}{_HASHES}", lambda path: pq.write_table(table, path))

    def _drop(self, drop: CacheDrop) -> None:
        folder = self.load().identity_folder(drop.model_key, drop.digest)
        if drop.shards is None:
            shutil.rmtree(folder, ignore_errors=True)
            return
        for name in drop.shards:
            # The hashes first: without them the shard is no longer read.
            (folder / f"{name}{_HASHES}").unlink(missing_ok=True)
            (folder / f"{name}.npy").unlink(missing_ok=True)

    def _exists(self) -> bool:
        return self._folder.is_dir()

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._folder)}


def _save_npy(vectors: np.ndarray, path: Path) -> None:
    # Through a handle: np.save would append ".npy" to the ".partial" name.
    with path.open("wb") as stream:
        np.save(stream, vectors)
