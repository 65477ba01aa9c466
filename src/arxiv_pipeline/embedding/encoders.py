"""The encoder of an ``embeddings.models`` entry: what every backend offers, and the factory.

An encoder is cheap to build: it finds the model's files and hashes them (the cache key
needs that), but loads the network or fits the SVD only when it first encodes, which a
cache hit never does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import numpy as np

from arxiv_pipeline.text.templates import SplitTexts

from .sentence_transformer import SentenceTransformerEncoder
from .sources import resolve_model
from .specs import EmbeddingModelError, EncodingSettings, ModelSpec, SentenceTransformerSpec
from .tfidf_svd import TfidfSvdEncoder


class Encoder(Protocol):
    """What encoding a split needs from a model."""

    @property
    def identity(self) -> dict[str, Any]:
        """JSON scalars that, with the texts, determine the vectors (model id, file hash, ...)."""

    @property
    def dim(self) -> int:
        """Width of the vectors."""

    def encode(self, texts: list[str], progress: Callable[[int], object] | None = None) -> np.ndarray:
        """One float32 row per text, in order; ``progress(n)`` after every ``n`` texts encoded."""

    def run_info(self) -> dict[str, Any]:
        """How the vectors were computed (device, precision, versions), for the sidecar."""


def make_encoder(
    model_key: str, spec: ModelSpec, encoding: EncodingSettings, train: SplitTexts | None
) -> Encoder:
    """The encoder for ``embeddings.models.<model_key>``.

    Parameters
    ----------
    model_key
        The key under ``embeddings.models``, for messages.
    spec
        Its settings (:class:`~arxiv_pipeline.embedding.specs.EmbeddingsParams` types
        them; :func:`~arxiv_pipeline.embedding.specs.model_spec` types a recorded one).
    encoding
        ``embeddings.encoding``.
    train
        The training split's texts: TF-IDF + SVD is fitted on them only. Only that
        backend needs them.

    Raises
    ------
    EmbeddingModelError
        If the model cannot be found, or TF-IDF + SVD gets no training texts or fewer
        than its ``n_components``.
    """
    if isinstance(spec, SentenceTransformerSpec):
        source = resolve_model(model_key, spec.model)
        return SentenceTransformerEncoder(spec, source, encoding, model_key)
    if train is None:
        raise EmbeddingModelError(
            f"embeddings.models.{model_key} (tfidf_svd) is fitted on the training texts; "
            "none were given."
        )
    return TfidfSvdEncoder(spec, train, model_key)
