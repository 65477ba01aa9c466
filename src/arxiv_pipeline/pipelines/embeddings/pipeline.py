"""The embeddings pipeline: the texts of each split, then one encoding node per split.

The models are a parameter (``embeddings.models``), read when the nodes run: the
pipeline's structure does not depend on configuration.
"""

from __future__ import annotations

from kedro.pipeline import Node, Pipeline

from arxiv_pipeline.corpus.splitting import SPLITS
from arxiv_pipeline.text.templates import build_embedding_texts

from .nodes import embed_texts


def create_pipeline(**kwargs) -> Pipeline:
    texts = Node(
        build_embedding_texts,
        inputs=["papers", "paper_splits", "params:embeddings.text_template"],
        outputs={split: f"{split}_texts" for split in SPLITS},
        name="build_embedding_texts",
    )
    return Pipeline([texts, *(_embed(split) for split in SPLITS)])


def _embed(split: str) -> Node:
    inputs = {
        "texts": f"{split}_texts",
        "stored": f"{split}_embeddings_store",
        "embeddings": "params:embeddings",
    }
    if split != "train":
        # TF-IDF + SVD is fitted on the training texts only.
        inputs["train_texts"] = "train_texts"
    return Node(embed_texts, inputs=inputs, outputs=f"{split}_embeddings", name=f"embed_{split}_texts")
