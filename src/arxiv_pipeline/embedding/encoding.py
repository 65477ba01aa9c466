"""Encoding one split's texts with every model, a chunk at a time, skipping cached matrices."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Mapping
from typing import Any, Protocol

from tqdm.auto import tqdm

from arxiv_pipeline.text.templates import SplitTexts

from .encoders import Encoder
from .vectors import EmbeddingsEnd, EmbeddingsRows, EmbeddingsStart, EmbeddingsWrite

logger = logging.getLogger(__name__)


class StoredSidecars(Protocol):
    """What encoding reads of a split's stored embeddings (``<split>_embeddings_store``)."""

    def sidecar(self, model_key: str) -> dict[str, Any] | None:
        """The sidecar of the model's stored matrix, None when there is no complete one."""


def cache_key(encoder: Encoder, texts: SplitTexts) -> dict[str, Any]:
    """Everything a split's vectors depend on; a stored matrix with an equal key is reused."""
    return {**encoder.identity, "text_fingerprint": texts.fingerprint, "rows": len(texts.ids)}


def encode_split(
    texts: SplitTexts,
    encoders: Mapping[str, Encoder],
    stored: StoredSidecars,
    chunk_size: int,
) -> Iterator[EmbeddingsWrite]:
    """What ``<split>_embeddings`` must write: each model's matrix that the cache lacks.

    A model whose stored sidecar has the same :func:`cache_key` is skipped without
    loading it. Any other is encoded ``chunk_size`` texts at a time, each chunk yielded
    as soon as it is computed, so memory holds one chunk, never the matrix.
    """
    for model_key, encoder in encoders.items():
        name = f"{model_key}/{texts.split}"
        key = cache_key(encoder, texts)
        sidecar = stored.sidecar(model_key)
        if sidecar is not None and sidecar["cache_key"] == key:
            logger.info("%s: cache hit (same model and texts), %d vectors kept.", name, len(texts.ids))
            continue
        started = time.perf_counter()
        yield EmbeddingsStart(model_key, texts.ids, encoder.dim, key)
        with tqdm(total=len(texts.ids), unit="texts", desc=f"Embedding {name}") as progress:
            for start in range(0, len(texts.texts), chunk_size):
                chunk = texts.texts.slice(start, chunk_size).to_pylist()
                yield EmbeddingsRows(model_key, start, encoder.encode(chunk, progress.update))
        seconds = time.perf_counter() - started
        yield EmbeddingsEnd(model_key, {**encoder.run_info(), "seconds": round(seconds, 3)})
        logger.info("%s: encoded %d texts in %.1f s.", name, len(texts.ids), seconds)
