"""Nodes of the predict pipeline: new abstracts -> top categories and topic."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from arxiv_pipeline.classifier.data import embedding_identity
from arxiv_pipeline.classifier.metrics import predict_labels
from arxiv_pipeline.classifier.model import from_checkpoint, probabilities
from arxiv_pipeline.corpus.cleaning import normalise_whitespace
from arxiv_pipeline.datasets.classifier_dataset import ClassifierCheckpoint
from arxiv_pipeline.datasets.embeddings_dataset import ChunkEncoder, Embeddings
from arxiv_pipeline.embedding.encoders import make_encoder
from arxiv_pipeline.text.abstracts import parse_abstracts
from arxiv_pipeline.text.templates import build_embedding_texts, render_texts
from arxiv_pipeline.topics.model import topic_words

if TYPE_CHECKING:
    from bertopic import BERTopic

OUTPUT_COLUMNS = [
    "row",
    "id",
    "title",
    "categories",
    "predicted_categories",
    "topic",
    "topic_words",
    "topic_similarity",
    "error",
]


def read_abstracts(predict_input: str) -> pd.DataFrame:
    """The rows of the input file (JSON lines or CSV), each usable or with its ``error``."""
    return parse_abstracts(predict_input)


def _encoder(
    model_key: str,
    embeddings: dict[str, Any],
    expected: dict[str, Any],
    papers: pq.ParquetFile,
    paper_splits: pd.DataFrame,
    text_template: str,
) -> ChunkEncoder:
    """The encoder of ``embeddings.models.<model_key>``, checked to embed as it did for training.

    Raises
    ------
    ValueError
        If the model is no longer configured, or would embed differently (other model
        files, settings or, for TF-IDF + SVD, training texts) than for training.
    """
    spec = embeddings["models"].get(model_key)
    if spec is None:
        raise ValueError(
            f"The models were trained on '{model_key}' embeddings; embeddings.models has "
            f"no '{model_key}'."
        )
    # Only TF-IDF + SVD is fitted on the training texts; reading them for a neural model
    # would cost minutes on the full snapshot for nothing.
    train = (
        build_embedding_texts(papers, paper_splits, text_template)["train"]
        if spec.get("backend") == "tfidf_svd"
        else None
    )
    encoder = make_encoder(model_key, spec, embeddings["encoding"], train)
    if encoder.identity != expected:
        raise ValueError(
            f"embeddings.models.{model_key} now embeds differently than when the models "
            "were trained "
            f"(was {expected}, now {encoder.identity}): run the embeddings, topic_tuning and "
            "classifier_tuning pipelines again, or restore the model's settings."
        )
    return encoder


def _texts(rows: pd.DataFrame, text_template: str) -> list[str]:
    """The texts to embed, made as ingestion and the embeddings pipeline made the papers'."""
    table = pa.table(
        {
            "title": normalise_whitespace(pa.array(rows["title"], pa.string())),
            "abstract": normalise_whitespace(pa.array(rows["abstract"], pa.string())),
        }
    )
    return render_texts(table, text_template).to_pylist()


def _categories(
    classifier: ClassifierCheckpoint, vectors: np.ndarray, top_k: int
) -> list[dict[str, Any]]:
    """The ``top_k`` most probable labels of each text, and those at the threshold or above."""
    config = classifier.config
    scores = probabilities(from_checkpoint(classifier), vectors)
    labels = np.asarray(config["labels"])
    top = np.argsort(-scores, axis=1, kind="stable")[:, :top_k]
    chosen = predict_labels(scores, config["threshold"])
    return [
        {
            "categories": [
                {"label": str(labels[j]), "probability": round(float(score[j]), 4)} for j in best
            ],
            "predicted_categories": labels[mask].tolist(),
        }
        for score, best, mask in zip(scores, top, chosen, strict=True)
    ]


def _topics(
    topic_model: BERTopic, texts: list[str], vectors: np.ndarray, top_n_words: int
) -> list[dict[str, Any]]:
    """Each text's topic (the nearest topic embedding), its words and the cosine similarity."""
    topics, similarity = topic_model.transform(texts, embeddings=vectors)
    # The model keeps 25 words per topic (for diversity); show as many as it was tuned with.
    words = {topic: values[:top_n_words] for topic, values in topic_words(topic_model).items()}
    return [
        {
            "topic": int(topic),
            "topic_words": words.get(int(topic), []),
            "topic_similarity": round(float(closeness), 4),
        }
        for topic, closeness in zip(topics, similarity, strict=True)
    ]


def _with_errors(
    abstracts: pd.DataFrame, usable: np.ndarray, predictions: list[dict[str, Any]]
) -> pd.DataFrame:
    """One output row per input row: its predictions in order, or its error."""
    found = iter(predictions)
    records = abstracts[["row", "id", "title", "error"]].to_dict("records")
    rows = [
        {**dict.fromkeys(OUTPUT_COLUMNS), **record, **(next(found) if ok else {})}
        for record, ok in zip(records, usable, strict=True)
    ]
    # Object columns keep whole numbers whole and missing values None (null in JSON).
    return pd.DataFrame(rows, columns=OUTPUT_COLUMNS, dtype=object)


def predict_abstracts(
    abstracts: pd.DataFrame,
    classifier: ClassifierCheckpoint,
    topic_model: BERTopic,
    final_topic_metrics: dict[str, Any],
    papers: pq.ParquetFile,
    paper_splits: pd.DataFrame,
    embeddings: dict[str, Any],
    predict: dict[str, Any],
    **train_embeddings: Embeddings,
) -> pd.DataFrame:
    """Top categories with probabilities, and the topic with its words, for each usable abstract.

    Texts are built with the classifier's text template and embedded by the models the
    classifier and the topic model were trained on. Rows with an ``error`` keep it and
    get no prediction.

    Returns
    -------
    pandas.DataFrame
        One row per input row: ``row``, ``id``, ``title``, ``categories`` (the
        ``predict.top_k`` most probable, each ``{"label", "probability"}``),
        ``predicted_categories`` (probability at least the classifier's threshold),
        ``topic`` (-1: outlier), ``topic_words``, ``topic_similarity`` (cosine of the
        abstract's and the topic's embeddings) and ``error``.
    """
    usable = abstracts["error"].isna().to_numpy()
    if not usable.any():
        return _with_errors(abstracts, usable, [])
    config = classifier.config
    texts = _texts(abstracts[usable], config["text_template"])
    topic_key = final_topic_metrics["params"]["embedding_model"]
    expected = {
        config["embedding_model"]: config["embedding_identity"],
        topic_key: embedding_identity(train_embeddings[f"{topic_key}__train"]),
    }
    vectors = {
        key: _encoder(
            key, embeddings, identity, papers, paper_splits, config["text_template"]
        ).encode(texts)
        for key, identity in expected.items()
    }
    categories = _categories(classifier, vectors[config["embedding_model"]], predict["top_k"])
    topics = _topics(
        topic_model, texts, vectors[topic_key], final_topic_metrics["params"]["top_n_words"]
    )
    predictions = [{**first, **second} for first, second in zip(categories, topics, strict=True)]
    return _with_errors(abstracts, usable, predictions)
