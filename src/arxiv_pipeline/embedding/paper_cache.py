"""The per-paper embeddings cache as values: each text's vector by one encoder, found by its hash.

A vector depends on the encoder (its :attr:`~arxiv_pipeline.embedding.encoders.Encoder.identity`:
model files and settings, for TF-IDF + SVD the fit) and on the text alone, so the cache
is keyed by these two: per model, one folder per identity (:func:`identity_digest`)
holding numbered shards, each a float32 matrix and the
:func:`~arxiv_pipeline.text.templates.text_hashes` of its rows. A new snapshot encodes
only the texts whose hash the cache lacks. ``embedding_cache``
(:class:`~arxiv_pipeline.datasets.EmbeddingCacheDataset`) loads a :class:`StoredCaches`
and saves the :data:`CacheWrite` items that
:func:`~arxiv_pipeline.embedding.encoding.encode_new_texts` yields.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any, Protocol

import numpy as np
import pandas as pd


def identity_digest(identity: dict[str, Any]) -> str:
    """The name of an encoder identity's cache folder: BLAKE2b of its sorted JSON."""
    text = json.dumps(identity, sort_keys=True)
    return hashlib.blake2b(text.encode(), digest_size=16).hexdigest()


@dataclass(frozen=True)
class CacheShard:
    """One stored block of the cache.

    Attributes
    ----------
    name
        Its number, as the file names write it (``000003``).
    hashes
        ``uint64`` text hash of each row.
    vectors
        ``(len(hashes), dim)`` float32, memory-mapped read-only.
    run
        How the vectors were computed (runtime, device, precision, versions).
    """

    name: str
    hashes: np.ndarray
    vectors: np.ndarray
    run: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ModelCache:
    """The cached vectors of one encoder identity: its shards, oldest first.

    A hash stored twice (a compaction interrupted before it removed the old shards) is
    read from its first shard; both hold the same vector.
    """

    shards: tuple[CacheShard, ...] = ()

    @property
    def rows(self) -> int:
        """Rows stored, duplicates included."""
        return sum(len(shard.hashes) for shard in self.shards)

    @property
    def dim(self) -> int | None:
        """Width of the vectors; None for an empty cache."""
        return self.shards[0].vectors.shape[1] if self.shards else None

    @property
    def run(self) -> dict[str, Any]:
        """How the latest shard's vectors were computed (empty for an empty cache)."""
        return self.shards[-1].run if self.shards else {}

    @cached_property
    def _index(self) -> tuple[pd.Index, np.ndarray, np.ndarray]:
        """Every stored hash once (a hash table), with the shard and row that hold it."""
        if not self.shards:
            empty = np.empty(0, dtype=np.int64)
            return pd.Index(np.empty(0, dtype=np.uint64)), empty, empty
        hashes = np.concatenate([shard.hashes for shard in self.shards])
        shard_of = np.repeat(np.arange(len(self.shards)), [len(s.hashes) for s in self.shards])
        row_of = np.concatenate([np.arange(len(shard.hashes)) for shard in self.shards])
        # A hash stored twice is read from its first, oldest shard. pandas' hash tables:
        # numpy's sort-based unique and searchsorted take ten times longer at millions.
        first = ~pd.Index(hashes).duplicated(keep="first")
        return pd.Index(hashes[first]), shard_of[first], row_of[first]

    def locate(self, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The shard and row of each hash: ``-1`` for both where the cache lacks it."""
        index, shard_of, row_of = self._index
        position = index.get_indexer(hashes)
        found = position >= 0
        shards, rows = np.full(len(hashes), -1), np.full(len(hashes), -1)
        shards[found], rows[found] = shard_of[position[found]], row_of[position[found]]
        return shards, rows

    def holds(self, hashes: np.ndarray) -> np.ndarray:
        """Whether the cache holds a vector for each hash (bool, one per hash)."""
        return self.locate(hashes)[0] >= 0

    def live_share(self, live: np.ndarray) -> float:
        """The share of the stored rows whose hash is in ``live`` (1.0 for an empty cache)."""
        if not self.shards:
            return 1.0
        stored = np.concatenate([shard.hashes for shard in self.shards])
        return float(pd.Index(stored).isin(live).mean())

    def gather(self, shard_of: np.ndarray, row_of: np.ndarray) -> np.ndarray:
        """The vectors at these shards and rows, as one float32 array (a copy, in order)."""
        vectors = np.empty((len(shard_of), self.dim or 0), dtype=np.float32)
        for shard in np.unique(shard_of):
            wanted = shard_of == shard
            vectors[wanted] = self.shards[shard].vectors[row_of[wanted]]
        return vectors


class StoredCaches(Protocol):
    """What encoding reads of the stored cache (``embedding_cache``)."""

    def model_cache(self, model_key: str, identity: dict[str, Any]) -> ModelCache:
        """The cache of this model key and encoder identity (empty where none is stored)."""

    def identity_digests(self, model_key: str) -> list[str]:
        """The identities (:func:`identity_digest`) with a cache folder under this model key."""


@dataclass(frozen=True)
class CacheAppend:
    """A new shard of the cache of ``model_key`` and ``identity``."""

    model_key: str
    identity: dict[str, Any]
    hashes: np.ndarray
    vectors: np.ndarray
    run: dict[str, Any]


@dataclass(frozen=True)
class CacheDrop:
    """Remove shards of one identity's cache, or (``shards=None``) the whole identity."""

    model_key: str
    digest: str
    shards: tuple[str, ...] | None = None


CacheWrite = CacheAppend | CacheDrop
