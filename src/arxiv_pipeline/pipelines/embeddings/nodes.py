"""Nodes of the embeddings pipeline: papers and splits -> one embedding job per (model, split).

The nodes only describe the work. Encoding happens when ``EmbeddingsDataset`` saves a
job, and only if its cache does not already hold vectors for the same model and texts.
"""

from __future__ import annotations

from typing import Any

from arxiv_pipeline.datasets.embeddings_dataset import EmbeddingJob
from arxiv_pipeline.embedding.encoders import make_encoder
from arxiv_pipeline.text.templates import SplitTexts


def prepare_embedding_jobs(
    embedding_texts: dict[str, SplitTexts],
    model: dict[str, Any],
    encoding: dict[str, Any],
    *,
    model_key: str,
) -> dict[str, EmbeddingJob]:
    """One embedding job per split for ``embeddings.models.<model_key>``.

    The model is found here, so a missing one fails before anything is encoded; it is
    loaded (or, for TF-IDF + SVD, fitted on the training split) only by a job that misses
    the cache.
    """
    encoder = make_encoder(model_key, model, encoding, embedding_texts["train"])
    return {
        split: EmbeddingJob(
            model_key=model_key,
            split=split,
            ids=texts.ids,
            texts=texts.texts,
            text_fingerprint=texts.fingerprint,
            encoder=encoder,
            chunk_size=encoding["chunk_size"],
        )
        for split, texts in embedding_texts.items()
    }
