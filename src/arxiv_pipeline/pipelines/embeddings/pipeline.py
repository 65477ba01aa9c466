"""The embeddings pipeline: the texts of each split, the runtimes and fits every split shares,
the texts no model has cached encoded once, then one node per split that writes its matrix
from the cache.

The models are a parameter (``embeddings.models``), read when the nodes run: the
pipeline's structure does not depend on configuration.
"""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from arxiv_pipeline.corpus.splitting import SPLITS
from arxiv_pipeline.text.templates import build_embedding_texts

from .nodes import (
    assemble_embeddings,
    choose_embedding_runtimes,
    encode_new_texts_of_splits,
    fit_tfidf_svd_models,
)

#: What every node that builds the encoders reads.
_ENCODER_INPUTS = {
    "embeddings": "params:embeddings",
    "cpu_runtimes": "cpu_runtimes",
    "tfidf_svd_fits": "tfidf_svd_fits",
}


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
    encode = Node(
        encode_new_texts_of_splits,
        inputs={
            **{f"{split}_texts": f"{split}_texts" for split in SPLITS},
            "cache": "embedding_cache_store",
            **{f"stored_{split}": f"{split}_embeddings_store" for split in SPLITS},
            **_ENCODER_INPUTS,
        },
        outputs="embedding_cache",
        name="encode_new_texts",
    )
    return Pipeline([texts, runtimes, fits, encode, *(_assemble(split) for split in SPLITS)])


def _assemble(split: str) -> Node:
    inputs = {
        "texts": f"{split}_texts",
        # The cache as encode_new_texts left it: this node runs after it.
        "cache": "embedding_cache",
        "stored": f"{split}_embeddings_store",
        **_ENCODER_INPUTS,
    }
    return Node(
        assemble_embeddings,
        inputs=inputs,
        outputs=f"{split}_embeddings",
        name=f"assemble_{split}_embeddings",
    )
