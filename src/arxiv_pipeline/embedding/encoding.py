"""Encoding the texts the per-paper cache lacks, and assembling each split's matrix from it.

:func:`encode_new_texts` decides, per model and split, which texts to encode (those whose
hash the model's cache lacks) and yields them as cache shards, a chunk at a time;
:func:`assemble_split` then copies each split's vectors out of the cache, in the
split's order, into the ``<split>_embeddings`` matrix that every later pipeline reads.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Protocol

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from arxiv_pipeline.text.templates import SplitTexts, TextChunks, text_hashes

from .encoders import Encoder
from .paper_cache import (
    CacheAppend,
    CacheDrop,
    CacheWrite,
    ModelCache,
    StoredCaches,
    identity_digest,
)
from .vectors import Embeddings, EmbeddingsEnd, EmbeddingsRows, EmbeddingsStart, EmbeddingsWrite

logger = logging.getLogger(__name__)

#: A model's cache is compacted (its live rows rewritten, the old shards removed) when more
#: than this share of its rows belong to texts no current split holds (withdrawn papers,
#: old versions of revised ones): the cache never holds more than 1 / (1 - 0.2) = 1.25
#: times the rows of the current texts, and is rewritten rarely (weekly updates touch ~1%).
MAX_STALE_SHARE = 0.2

#: Marks a split matrix's ``run`` as assembled from the per-paper cache; a sidecar without
#: it was written by a version that cached whole splits.
ASSEMBLED = "assembled_from_paper_cache"


class StoredSplit(Protocol):
    """What encoding reads of a split's stored embeddings (``<split>_embeddings_store``)."""

    def sidecar(self, model_key: str) -> dict[str, Any] | None:
        """The sidecar of the model's stored matrix, None when there is no complete one."""

    def __getitem__(self, model_key: str) -> Embeddings:
        """The model's stored matrix (memory-mapped)."""


def cache_key(encoder: Encoder, texts: SplitTexts) -> dict[str, Any]:
    """Everything a split's matrix depends on; a stored matrix with an equal key is kept."""
    return {**encoder.identity, "text_fingerprint": texts.fingerprint, "rows": len(texts.ids)}


def rows_to_encode(hashes: np.ndarray, held: np.ndarray) -> np.ndarray:
    """The rows whose text must be encoded: not ``held``, one row per distinct hash.

    Parameters
    ----------
    hashes
        The text hash of each row of a split.
    held
        Whether a vector of that hash is cached already (bool, one per row).

    Returns
    -------
    numpy.ndarray
        Row numbers, ascending: the first row of each hash that is not held.
    """
    missing = np.flatnonzero(~held)
    _, first = np.unique(hashes[missing], return_index=True)
    return missing[np.sort(first)]


def encode_new_texts(
    splits: Sequence[SplitTexts],
    encoders: Mapping[str, Encoder],
    caches: StoredCaches,
    stored: Mapping[str, StoredSplit],
    chunk_size: int,
) -> Iterator[CacheWrite]:
    """What ``embedding_cache`` must write: each model's vectors of the texts it lacks.

    Per model, split by split, the texts whose hash the model's cache (of its current
    :attr:`~arxiv_pipeline.embedding.encoders.Encoder.identity`) lacks are encoded
    ``chunk_size`` at a time, each chunk yielded as a shard as soon as it is computed:
    an interrupted run keeps every shard it yielded, and memory holds one chunk. Where
    the split's stored matrix has the same :func:`cache_key` (a work folder made before
    the per-paper cache), its rows are copied instead of encoded. Then a cache with more
    than :data:`MAX_STALE_SHARE` stale rows is compacted, and the caches of the model's
    other identities are removed where this one supersedes them (a TF-IDF + SVD refit).

    Parameters
    ----------
    splits
        Every split's texts: what is not in them is stale.
    encoders
        By model key.
    caches
        The stored cache (``embedding_cache_store``).
    stored
        Each split's stored matrices (``<split>_embeddings_store``), by split.
    chunk_size
        Texts encoded, and rows written, at a time.
    """
    hashes = {texts.split: text_hashes(texts.texts) for texts in splits}
    live = pd.unique(np.concatenate(list(hashes.values())))
    for model_key, encoder in encoders.items():
        cache = caches.model_cache(model_key, encoder.identity)
        added = [np.empty(0, dtype=np.uint64)]
        for texts in splits:
            split_hashes = hashes[texts.split]
            encoded_now = pd.Index(split_hashes).isin(np.concatenate(added))
            held = cache.holds(split_hashes) | encoded_now
            rows = rows_to_encode(split_hashes, held)
            added.append(split_hashes[rows])
            yield from _fill(
                model_key,
                encoder,
                texts,
                split_hashes,
                rows,
                cache,
                stored[texts.split],
                chunk_size,
            )
        yield from _compact(model_key, encoder.identity, cache, live, chunk_size)
        yield from _other_identities(model_key, encoder, caches)


def _other_identities(
    model_key: str, encoder: Encoder, caches: StoredCaches
) -> Iterator[CacheDrop]:
    """Removes the caches of the model's other identities where the encoder supersedes them
    (:attr:`~arxiv_pipeline.embedding.encoders.Encoder.supersedes_other_caches`); else says
    they are kept: hours of encoding, for a run that returns to those settings."""
    current = identity_digest(encoder.identity)
    others = [digest for digest in caches.identity_digests(model_key) if digest != current]
    if others and not encoder.supersedes_other_caches:
        logger.info(
            "%s: the cached vectors of %d other settings or runtimes are kept (%s) for a run "
            "that returns to them; delete their folders under %s/cache/ to free the disk.",
            model_key, len(others), ", ".join(others), model_key,
        )  # fmt: skip
        return
    for digest in others:
        logger.info(
            "%s: the cached vectors of an earlier fit (%s) are removed.", model_key, digest
        )
        yield CacheDrop(model_key, digest)


def _fill(
    model_key: str,
    encoder: Encoder,
    texts: SplitTexts,
    hashes: np.ndarray,
    rows: np.ndarray,
    cache: ModelCache,
    stored: StoredSplit,
    chunk_size: int,
) -> Iterator[CacheAppend]:
    """The cache shards of ``rows`` of one split: copied from its stored matrix where that
    holds exactly these texts by this encoder, else encoded; and the split's log line."""
    name, cached = f"{model_key}/{texts.split}", len(texts.ids) - len(rows)
    sidecar = stored.sidecar(model_key)
    if sidecar is not None and ASSEMBLED not in sidecar["run"] and len(rows):
        if sidecar["cache_key"] == cache_key(encoder, texts):
            matrix = stored[model_key].vectors
            for start in range(0, len(rows), chunk_size):
                chunk = rows[start : start + chunk_size]
                yield CacheAppend(
                    model_key, encoder.identity, hashes[chunk], matrix[chunk], sidecar["run"]
                )
            logger.info(
                "%s: 0 texts encoded, %d taken from the cache and %d from the matrix the "
                "split-wide cache of an earlier version stored (moved into the per-paper cache).",
                name, cached, len(rows),
            )  # fmt: skip
            return
        if not cache.shards:
            logger.info(
                "%s: the matrix stored by an earlier version (cached per split) holds other "
                "texts or model settings: not used, its texts are encoded again.",
                name,
            )
    started = time.perf_counter()
    run: dict[str, Any] | None = None
    with tqdm(
        total=len(rows), unit="texts", desc=f"Embedding {name}", disable=not len(rows)
    ) as progress:
        for start in range(0, len(rows), chunk_size):
            chunk = rows[start : start + chunk_size]
            vectors = encoder.encode(TextChunks(texts.texts, chunk)[:], progress.update)
            run = run or encoder.run_info()
            yield CacheAppend(model_key, encoder.identity, hashes[chunk], vectors, run)
    logger.info(
        "%s: %d texts encoded in %.1f s, %d taken from the cache.",
        name, len(rows), time.perf_counter() - started, cached,
    )  # fmt: skip


def _compact(
    model_key: str, identity: dict[str, Any], cache: ModelCache, live: np.ndarray, chunk_size: int
) -> Iterator[CacheWrite]:
    """Rewrite the live rows of ``cache`` into new shards and drop its old ones, when more
    than :data:`MAX_STALE_SHARE` of its rows are stale.

    The new shards are written before the old are removed: an interruption in between
    leaves some hashes twice, which :class:`~arxiv_pipeline.embedding.paper_cache.ModelCache`
    reads once, and the next run compacts again.
    """
    live_share = cache.live_share(live)
    if live_share >= 1 - MAX_STALE_SHARE:
        return
    shard_of, row_of = cache.locate(live)
    held = shard_of >= 0
    kept, shard_of, row_of = live[held], shard_of[held], row_of[held]
    # Shard by shard, row by row: the old files are read in order.
    order = np.lexsort((row_of, shard_of))
    for start in range(0, len(order), chunk_size):
        chunk = order[start : start + chunk_size]
        yield CacheAppend(
            model_key,
            identity,
            kept[chunk],
            cache.gather(shard_of[chunk], row_of[chunk]),
            cache.run,
        )
    yield CacheDrop(
        model_key, identity_digest(identity), tuple(shard.name for shard in cache.shards)
    )
    logger.info(
        "%s: cache compacted: %d of its %d vectors were of texts no split holds any more.",
        model_key, cache.rows - len(kept), cache.rows,
    )  # fmt: skip


def assemble_split(
    texts: SplitTexts,
    encoders: Mapping[str, Encoder],
    caches: StoredCaches,
    stored: StoredSplit,
    chunk_size: int,
) -> Iterator[EmbeddingsWrite]:
    """What ``<split>_embeddings`` must write: each model's matrix, copied from the cache.

    A model whose stored matrix has the same :func:`cache_key` (same texts, same encoder)
    is kept and not rewritten. Any other is copied out of the model's cache
    ``chunk_size`` rows at a time, in the split's order: memory holds one chunk, never
    the matrix.

    Raises
    ------
    ValueError
        If the cache lacks a text of the split (the node ``encode_new_texts`` has not run
        on these texts).
    """
    hashes = text_hashes(texts.texts)
    for model_key, encoder in encoders.items():
        name, key = f"{model_key}/{texts.split}", cache_key(encoder, texts)
        sidecar = stored.sidecar(model_key)
        if sidecar is not None and sidecar["cache_key"] == key:
            logger.info("%s: the stored matrix holds these texts already, kept.", name)
            continue
        cache = caches.model_cache(model_key, encoder.identity)
        shard_of, row_of = cache.locate(hashes)
        missing = int((shard_of < 0).sum())
        if missing:
            raise ValueError(
                f"{name}: {missing} of the {len(hashes)} texts have no cached vector: run "
                "`kedro run --pipelines embeddings`, which encodes them first."
            )
        started = time.perf_counter()
        yield EmbeddingsStart(model_key, texts.ids, cache.dim or encoder.dim, key)
        for start in range(0, len(hashes), chunk_size):
            rows = slice(start, start + chunk_size)
            yield EmbeddingsRows(model_key, start, cache.gather(shard_of[rows], row_of[rows]))
        yield EmbeddingsEnd(model_key, {**cache.run, ASSEMBLED: True})
        logger.info(
            "%s: %d vectors written from the cache in %.1f s.",
            name, len(hashes), time.perf_counter() - started,
        )  # fmt: skip
