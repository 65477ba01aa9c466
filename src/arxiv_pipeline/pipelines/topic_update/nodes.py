"""Nodes of the topic_update pipeline: the saved topic map kept, new and revised papers placed."""

from __future__ import annotations

import logging
from typing import Any

import pandas as pd

from arxiv_pipeline.corpus.splitting import SPLITS, splits_fingerprint
from arxiv_pipeline.datasets.embeddings_dataset import SplitEmbeddings
from arxiv_pipeline.embedding.lineage import check_embeds_like_model
from arxiv_pipeline.text.templates import SplitTexts
from arxiv_pipeline.topics.bundle import TopicModelBundle
from arxiv_pipeline.topics.settings import TopicUpdate
from arxiv_pipeline.topics.update import (
    check_previous_assignments,
    drift_report,
    place_changed_papers,
)

logger = logging.getLogger(__name__)


def _update_lineage(config: dict[str, Any], paper_splits: pd.DataFrame) -> dict[str, Any]:
    """Which model placed the papers, and on which snapshot (its splits' fingerprint)."""
    return {
        "model_data_fingerprint": config["data_fingerprint"],
        "model_trial": config.get("trial"),
        "embedding_model": config["embedding_model"],
        "snapshot_data_fingerprint": splits_fingerprint(paper_splits),
    }


def update_topic_assignments(
    topic_model: TopicModelBundle,
    previous_assignments: pd.DataFrame,
    paper_splits: pd.DataFrame,
    train_texts: SplitTexts,
    validation_texts: SplitTexts,
    test_texts: SplitTexts,
    train_embeddings: SplitEmbeddings,
    validation_embeddings: SplitEmbeddings,
    test_embeddings: SplitEmbeddings,
    text_template: str,
    assign_chunk_size: int,
    topic_update: TopicUpdate,
) -> tuple[pd.DataFrame, dict[str, Any]]:
    """The current snapshot's topic assignments on the saved map, and the drift report.

    Unlike evaluation, which refuses a model built on other splits, this node accepts a
    model built on an earlier snapshot, on purpose, and records which model and which
    snapshot in the report's ``lineage``. It still refuses embeddings another encoder made
    (:func:`~arxiv_pipeline.embedding.lineage.check_embeds_like_model`) and texts made
    with another ``embeddings.text_template``: their vectors would not be comparable.

    Returns
    -------
    tuple
        ``topic_assignments`` (id, split, topic, coarse_topic, text_hash) of every current
        paper (:func:`~arxiv_pipeline.topics.update.place_changed_papers`) and the drift
        report (:func:`~arxiv_pipeline.topics.update.drift_report`).

    Raises
    ------
    arxiv_pipeline.embedding.lineage.LineageMismatchError
        If the embeddings or the texts are not made as the model's were.
    ValueError
        If the previous assignments record no text hashes.
    """
    config = topic_model.config
    if text_template != config["text_template"]:
        raise ValueError(
            f"embeddings.text_template is {text_template!r}, but the topic model was built on "
            f"{config['text_template']!r}: restore it, or run the topic_tuning pipeline again."
        )
    check_previous_assignments(previous_assignments)
    key = config["embedding_model"]
    split_embeddings = {"train": train_embeddings, "validation": validation_embeddings, "test": test_embeddings}
    for split in SPLITS:
        check_embeds_like_model("topic model", config, split_embeddings[split].get(key))
    texts = {"train": train_texts, "validation": validation_texts, "test": test_texts}
    vectors = {split: split_embeddings[split][key].aligned_to(paper_splits).vectors for split in SPLITS}
    placement = place_changed_papers(topic_model, previous_assignments, texts, vectors, assign_chunk_size)
    lineage = _update_lineage(config, paper_splits)
    report = drift_report(topic_model, previous_assignments, placement, lineage, topic_update)
    counts = report["papers"]
    logger.info(
        "topic_update placed %d papers (%d new, %d revised), kept the topics of %d and dropped %d, "
        "with the topic model built on data %s (this snapshot: %s).",
        counts["placed"],
        counts["new"],
        counts["revised"],
        counts["kept"],
        counts["dropped"],
        lineage["model_data_fingerprint"],
        lineage["snapshot_data_fingerprint"],
    )
    return placement.assignments, report
