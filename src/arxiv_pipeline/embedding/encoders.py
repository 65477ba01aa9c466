"""The encoder of an ``embeddings.models`` entry: what every backend offers, and the factory.

An encoder is cheap to build: it finds the model's files and hashes them (the cache key
needs that), but loads the network only when it first encodes, which a cache hit never
does. A TF-IDF + SVD model is fitted before, once for every split, by its own node.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import numpy as np

from .sentence_transformer import SentenceTransformerEncoder
from .sources import resolve_model
from .specs import EmbeddingModelError, EncodingSettings, ModelSpec, SentenceTransformerSpec
from .tfidf_svd import TfidfSvdEncoder, TfidfSvdFit


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

    @property
    def supersedes_other_caches(self) -> bool:
        """Whether this identity replaces the model's others for good, so that their cached
        vectors can be removed: a TF-IDF + SVD refitted on other training texts replaces the
        stored fit. A sentence-transformers model can return to another runtime, device or
        setting, and its other caches are kept."""


def make_encoder(
    model_key: str,
    spec: ModelSpec,
    encoding: EncodingSettings,
    tfidf_svd: TfidfSvdFit | None = None,
    cpu_runtimes: Mapping[str, dict[str, Any]] | None = None,
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
    tfidf_svd
        The model fitted with ``spec`` (:func:`~arxiv_pipeline.embedding.tfidf_svd.fit_tfidf_svd`),
        for a TF-IDF + SVD model only.
    cpu_runtimes
        For a sentence-transformers model: the measured choices of ``runtime: auto`` on
        CPUs (see :class:`~arxiv_pipeline.embedding.sentence_transformer.SentenceTransformerEncoder`).

    Raises
    ------
    EmbeddingModelError
        If the model cannot be found, or a TF-IDF + SVD model comes without its fit or
        with a fit of other settings.
    """
    if isinstance(spec, SentenceTransformerSpec):
        source = resolve_model(model_key, spec.model)
        return SentenceTransformerEncoder(spec, source, encoding, model_key, cpu_runtimes)
    if tfidf_svd is None or tfidf_svd.spec != spec:
        raise EmbeddingModelError(
            f"embeddings.models.{model_key} (tfidf_svd) is fitted on the training texts by the "
            "embeddings pipeline's node fit_tfidf_svd_models, which has not fitted these "
            "settings: run `kedro run --pipelines embeddings`."
        )
    return TfidfSvdEncoder(tfidf_svd)
