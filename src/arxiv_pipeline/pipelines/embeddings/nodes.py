"""Nodes of the embeddings pipeline: a split's texts -> its vectors by every configured model.

Before any split is encoded, one node chooses what runs each sentence-transformers model
whose ``runtime`` is ``auto`` on this CPU, and another fits each TF-IDF + SVD model on the
training texts; both keep what they made, for the next run. Each split's node encodes in
chunks and yields them; Kedro saves every yielded item to ``<split>_embeddings``, which
writes it to the model's file. The node's time in the run log (and in ``kedro viz``) is
the encoding's.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from arxiv_pipeline.datasets.embeddings_dataset import SplitEmbeddings
from arxiv_pipeline.embedding.cpu_runtime import current_cpu
from arxiv_pipeline.embedding.encoders import make_encoder
from arxiv_pipeline.embedding.encoding import encode_split
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
    settings on these training texts, fitted on them (a seeded sample); only these are saved."""
    return fit_stale_tfidf_svd(embeddings.models, train_texts, stored)


def embed_texts(
    texts: SplitTexts,
    stored: SplitEmbeddings,
    embeddings: EmbeddingsParams,
    cpu_runtimes: Mapping[str, dict[str, Any]],
    tfidf_svd_fits: Mapping[str, TfidfSvdFit],
) -> Iterator[EmbeddingsWrite]:
    """The split's vectors by each model of ``embeddings.models`` whose cache is stale.

    Every model is found (and its files hashed) before anything is encoded, so a missing
    one fails first. TF-IDF + SVD models transform with their fit in ``tfidf_svd_fits``;
    ``runtime: auto`` runs what ``cpu_runtimes`` holds for this CPU.
    """
    encoders = {
        key: make_encoder(key, spec, embeddings.encoding, tfidf_svd_fits.get(key), cpu_runtimes)
        for key, spec in embeddings.models.items()
    }
    yield from encode_split(texts, encoders, stored, embeddings.encoding.chunk_size)
