"""Nodes of the predict pipeline: new abstracts -> top categories and topic."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa

from arxiv_pipeline.classifier.metrics import predict_labels
from arxiv_pipeline.classifier.model import ClassifierCheckpoint, from_checkpoint, probabilities
from arxiv_pipeline.classifier.settings import PredictParams
from arxiv_pipeline.corpus.cleaning import normalise_whitespace
from arxiv_pipeline.embedding import (
    EmbeddingsParams,
    Encoder,
    EncodingSettings,
    SentenceTransformerSpec,
    TfidfSvdSpec,
    make_encoder,
    model_spec,
)
from arxiv_pipeline.embedding.lineage import check_models_agree
from arxiv_pipeline.embedding.tfidf_svd import TfidfSvdFit
from arxiv_pipeline.text.abstracts import parse_abstracts
from arxiv_pipeline.text.templates import render_texts
from arxiv_pipeline.topics.bundle import TopicModelBundle
from arxiv_pipeline.topics.levels import unit_rows
from arxiv_pipeline.topics.model import topic_words
from arxiv_pipeline.topics.topic_map import topic_name

if TYPE_CHECKING:
    from bertopic import BERTopic


OUTPUT_COLUMNS = [
    "row",
    "id",
    "title",
    "categories",
    "predicted_categories",
    "topic",
    "topic_name",
    "topic_words",
    "topic_similarity",
    "coarse_topic",
    "coarse_topic_name",
    "coarse_topic_words",
    "error",
]


def read_abstracts(predict_input: bytes) -> pd.DataFrame:
    """The rows of the input file (JSON lines, a JSON array or CSV), each usable or with its ``error``."""
    return parse_abstracts(predict_input)


def _saved_fit(key: str, config: dict[str, Any], fits: Mapping[str, TfidfSvdFit]) -> TfidfSvdFit:
    """The saved TF-IDF + SVD fit the models were trained with.

    Raises
    ------
    ValueError
        If none is saved under ``key``, or the saved one was fitted with other settings or
        on other training texts than the models' embeddings (the embeddings pipeline
        refitted it since).
    """
    if key not in fits:
        raise ValueError(
            f"The models were trained on '{key}' (TF-IDF + SVD) embeddings, but no fit of it "
            "is saved under data/06_models/embedding_fits/: run `kedro run --pipelines "
            "embeddings` (it fits and saves it), then topic_tuning and classifier_tuning "
            "if the fit differs from the one they were trained with."
        )
    fit = fits[key]
    # The identity hashes the settings and the training texts' fingerprint.
    if fit.identity != config["embedding_identity"]:
        raise ValueError(
            f"The saved '{key}' TF-IDF + SVD fit is not the one the models were trained with "
            f"(they record {config['embedding_identity']}, the saved fit is {fit.identity}): "
            "run `kedro run --pipelines embeddings,topic_tuning,classifier_tuning` again."
        )
    return fit


def _encoder(
    config: dict[str, Any], encoding: EncodingSettings, tfidf_svd_fits: Mapping[str, TfidfSvdFit]
) -> Encoder:
    """The encoder a model's config names, built from the settings the model recorded.

    A TF-IDF + SVD model is the saved fit (``tfidf_svd_fits``) it was trained with: it is
    never refitted here.

    Raises
    ------
    ValueError
        If it would embed differently than for training (other model files or, for
        TF-IDF + SVD, no saved fit or another one).
    """
    key = config["embedding_model"]
    spec = model_spec(key, config["embedding_settings"])
    fit = _saved_fit(key, config, tfidf_svd_fits) if isinstance(spec, TfidfSvdSpec) else None
    if isinstance(spec, SentenceTransformerSpec) and spec.runtime == "auto":
        # What auto chose where the models were trained: another choice would be other vectors.
        spec = dataclasses.replace(
            spec, runtime=config["embedding_identity"].get("runtime", "auto")
        )
    encoder = make_encoder(key, spec, encoding, fit)
    if encoder.identity != config["embedding_identity"]:
        raise ValueError(
            f"The '{key}' embedding model now embeds differently than when the models were "
            f"trained (was {config['embedding_identity']}, now {encoder.identity}): run the "
            "embeddings, topic_tuning and classifier_tuning pipelines again, or restore the "
            "model's files."
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
    topic_model: BERTopic, texts: list[str], vectors: np.ndarray, config: dict[str, Any]
) -> list[dict[str, Any]]:
    """Each text's fine topic (the model's ``transform``), its name and words, the cosine
    similarity of the text's and the topic's embeddings, and its coarse topic with that
    one's name and words (names as the topic tables have them)."""
    topics, _ = topic_model.transform(texts, embeddings=vectors)
    topics = np.asarray(topics, dtype=np.int64)
    # Rows of topic_embeddings_ are topics -1 (where the model has outliers), 0, 1, ...
    centroids = np.asarray(topic_model.topic_embeddings_)[topics + topic_model._outliers]
    similarity = np.einsum("ij,ij->i", unit_rows(vectors), unit_rows(centroids))
    # The model keeps 25 words per topic (for diversity); show as many as it was tuned with.
    top_n_words = config["top_n_words"]
    words = topic_words(topic_model)
    coarse_of, coarse_words = config["coarse_of"], config["coarse_words"]
    return [
        {
            "topic": int(topic),
            "topic_name": topic_name(words[topic]) if topic >= 0 else "outliers",
            "topic_words": words.get(int(topic), [])[:top_n_words],
            "topic_similarity": round(float(closeness), 4),
            "coarse_topic": coarse_of[topic] if topic >= 0 else -1,
            "coarse_topic_name": topic_name(coarse_words[coarse_of[topic]]) if topic >= 0 else "outliers",
            "coarse_topic_words": coarse_words[coarse_of[topic]][:top_n_words] if topic >= 0 else [],
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
    topic_model: TopicModelBundle,
    tfidf_svd_fits: Mapping[str, TfidfSvdFit],
    embeddings: EmbeddingsParams,
    predict: PredictParams,
) -> pd.DataFrame:
    """Top categories with probabilities, and the topic with its words, for each usable abstract.

    Texts are built with the models' text template and embedded by the embedding models
    their configs name, with the settings recorded there; a TF-IDF + SVD model is its
    saved fit in ``tfidf_svd_fits`` (read only for such a model). Rows with an ``error``
    keep it and get no prediction.

    Raises
    ------
    arxiv_pipeline.embedding.lineage.LineageMismatchError
        If the topic model and the classifier were not built on the same data and
        embeddings: their answers would not belong together.
    ValueError
        If an embedding model would embed differently than for training, or a TF-IDF +
        SVD model has no saved fit (naming the command that fits it).

    Returns
    -------
    pandas.DataFrame
        One row per input row: ``row``, ``id``, ``title``, ``categories`` (the
        ``predict.top_k`` most probable, each ``{"label", "probability"}``),
        ``predicted_categories`` (probability at least the classifier's threshold),
        ``topic`` (-1: outlier), ``topic_words``, ``coarse_topic``, ``coarse_topic_words``,
        ``topic_similarity`` (cosine of the
        abstract's and the topic's embeddings) and ``error``.
    """
    configs = {"topic model": topic_model.config, "classifier": classifier.config}
    check_models_agree(configs)
    usable = abstracts["error"].isna().to_numpy()
    if not usable.any():
        return _with_errors(abstracts, usable, [])
    texts = _texts(abstracts[usable], classifier.config["text_template"])
    # One encoder per embedding model: both models may read the same one.
    by_model = {config["embedding_model"]: config for config in configs.values()}
    vectors = {
        key: _encoder(config, embeddings.encoding, tfidf_svd_fits).encode(texts)
        for key, config in by_model.items()
    }
    categories = _categories(
        classifier, vectors[classifier.config["embedding_model"]], predict.top_k
    )
    topics = _topics(
        topic_model.model, texts, vectors[topic_model.config["embedding_model"]], topic_model.config
    )
    predictions = [{**first, **second} for first, second in zip(categories, topics, strict=True)]
    return _with_errors(abstracts, usable, predictions)
