"""Nodes of the embeddings pipeline: the splits' texts -> each model's per-paper cache -> the
split matrices.

Before anything is encoded, one node chooses what runs each sentence-transformers model
whose ``runtime`` is ``auto`` on this CPU, and another fits each TF-IDF + SVD model on the
training texts; both keep what they made, for the next run. ``encode_new_texts`` then
encodes, for every model, the texts its cache lacks, in chunks that Kedro saves to
``embedding_cache`` as they come: the node's time in the run log (and in ``kedro viz``)
is the encoding's. Each split's node copies its vectors out of the cache into
``<split>_embeddings``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from arxiv_pipeline.datasets.embedding_cache_dataset import StoredEmbeddingCaches
from arxiv_pipeline.datasets.embeddings_dataset import SplitEmbeddings
from arxiv_pipeline.embedding.cpu_runtime import current_cpu
from arxiv_pipeline.embedding.encoders import Encoder, make_encoder
from arxiv_pipeline.embedding.encoding import assemble_split, encode_new_texts
from arxiv_pipeline.embedding.paper_cache import CacheWrite
from arxiv_pipeline.embedding.runtime_choice import choose_cpu_runtimes
from arxiv_pipeline.embedding.specs import EmbeddingsParams
from arxiv_pipeline.embedding.tfidf_svd import TfidfSvdFit, fit_stale_tfidf_svd
from arxiv_pipeline.embedding.vectors import EmbeddingsWrite
from arxiv_pipeline.text.templates import SplitTexts


def choose_embedding_runtimes(
    train_texts: SplitTexts, stored: dict[str, dict[str, Any]], embeddings: EmbeddingsParams
) -> dict[str, dict[str, Any]]:
    """The stored ``runtime: auto`` choices, with this CPU's measured where none is stored.

    The first ``embeddings.encoding.runtime_measurement_texts`` training texts are timed.
    """
    sample = train_texts.texts.slice(0, embeddings.encoding.runtime_measurement_texts)
    return choose_cpu_runtimes(embeddings, sample.to_pylist(), stored, current_cpu())


def fit_tfidf_svd_models(
    train_texts: SplitTexts, stored: Mapping[str, TfidfSvdFit], embeddings: EmbeddingsParams
) -> dict[str, TfidfSvdFit]:
    """Each TF-IDF + SVD model of ``embeddings.models`` that has no stored fit of its
    settings on these training texts (or, with ``embeddings.tfidf_svd_refit: false``, of
    its settings), fitted on them (a seeded sample); only these are saved."""
    return fit_stale_tfidf_svd(
        embeddings.models, train_texts, stored, refit=embeddings.tfidf_svd_refit
    )


def _encoders(
    embeddings: EmbeddingsParams,
    cpu_runtimes: Mapping[str, dict[str, Any]],
    tfidf_svd_fits: Mapping[str, TfidfSvdFit],
) -> dict[str, Encoder]:
    """An encoder per model of ``embeddings.models``: each found (and its files hashed)
    before anything is encoded, so a missing one fails first; none is loaded yet."""
    return {
        key: make_encoder(key, spec, embeddings.encoding, tfidf_svd_fits.get(key), cpu_runtimes)
        for key, spec in embeddings.models.items()
    }


def encode_new_texts_of_splits(
    train_texts: SplitTexts,
    validation_texts: SplitTexts,
    test_texts: SplitTexts,
    cache: StoredEmbeddingCaches,
    stored_train: SplitEmbeddings,
    stored_validation: SplitEmbeddings,
    stored_test: SplitEmbeddings,
    embeddings: EmbeddingsParams,
    cpu_runtimes: Mapping[str, dict[str, Any]],
    tfidf_svd_fits: Mapping[str, TfidfSvdFit],
) -> Iterator[CacheWrite]:
    """Each model's vectors of the texts its per-paper cache lacks, as cache shards.

    TF-IDF + SVD models transform with their fit in ``tfidf_svd_fits``; ``runtime:
    auto`` runs what ``cpu_runtimes`` holds for this CPU. The stored split matrices
    (``<split>_embeddings_store``) are read only in a work folder made before the
    per-paper cache (their vectors move into it).
    """
    splits = (train_texts, validation_texts, test_texts)
    stored = {
        texts.split: matrices
        for texts, matrices in zip(splits, (stored_train, stored_validation, stored_test))
    }
    encoders = _encoders(embeddings, cpu_runtimes, tfidf_svd_fits)
    yield from encode_new_texts(splits, encoders, cache, stored, embeddings.encoding.chunk_size)


def assemble_embeddings(
    texts: SplitTexts,
    cache: StoredEmbeddingCaches,
    stored: SplitEmbeddings,
    embeddings: EmbeddingsParams,
    cpu_runtimes: Mapping[str, dict[str, Any]],
    tfidf_svd_fits: Mapping[str, TfidfSvdFit],
) -> Iterator[EmbeddingsWrite]:
    """The split's matrix by each model of ``embeddings.models`` whose stored matrix holds
    other texts, copied from the per-paper cache in chunks."""
    encoders = _encoders(embeddings, cpu_runtimes, tfidf_svd_fits)
    yield from assemble_split(texts, encoders, cache, stored, embeddings.encoding.chunk_size)
