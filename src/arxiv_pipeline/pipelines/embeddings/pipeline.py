"""The embeddings pipeline: the texts of each split, the runtimes and fits every split shares,
then one encoding node per split.

The models are a parameter (``embeddings.models``), read when the nodes run: the
pipeline's structure does not depend on configuration.
"""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from arxiv_pipeline.corpus.splitting import SPLITS
from arxiv_pipeline.text.templates import build_embedding_texts

from .nodes import choose_embedding_runtimes, embed_texts, fit_tfidf_svd_models


def create_pipeline(**kwargs) -> Pipeline:
    texts = Node(
        build_embedding_texts,
        inputs=["papers", "paper_splits", "params:embeddings.text_template"],
        outputs={split: f"{split}_texts" for split in SPLITS},
        name="build_embedding_texts",
    )
    runtimes = Node(
        choose_embedding_runtimes,
        inputs=["train_texts", "cpu_runtimes_store", "params:embeddings"],
        outputs="cpu_runtimes",
        name="choose_embedding_runtimes",
    )
    # Fitted on the training texts only, once: validation and test are only transformed.
    fits = Node(
        fit_tfidf_svd_models,
        inputs=["train_texts", "tfidf_svd_fits_store", "params:embeddings"],
        outputs="tfidf_svd_fits",
        name="fit_tfidf_svd_models",
    )
    return Pipeline([texts, runtimes, fits, *(_embed(split) for split in SPLITS)])


def _embed(split: str) -> Node:
    inputs = {
        "texts": f"{split}_texts",
        "stored": f"{split}_embeddings_store",
        "embeddings": "params:embeddings",
        "cpu_runtimes": "cpu_runtimes",
        "tfidf_svd_fits": "tfidf_svd_fits",
    }
    return Node(
        embed_texts, inputs=inputs, outputs=f"{split}_embeddings", name=f"embed_{split}_texts"
    )
