"""Nodes of the evaluation pipeline: the classifier and the topic model beside their baselines."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from arxiv_pipeline.classifier.baselines import label_prior, tfidf_logistic_regression
from arxiv_pipeline.classifier.data import (
    ClassifierData,
    LabelledSplit,
    labelled_splits,
)
from arxiv_pipeline.classifier.metrics import (
    THRESHOLDS,
    classification_metrics,
    per_label_f1,
    predict_labels,
    tune_threshold,
)
from arxiv_pipeline.classifier.model import from_checkpoint, probabilities
from arxiv_pipeline.corpus.splitting import SPLITS
from arxiv_pipeline.datasets.classifier_dataset import ClassifierCheckpoint
from arxiv_pipeline.datasets.embeddings_dataset import Embeddings
from arxiv_pipeline.text.templates import build_embedding_texts
from arxiv_pipeline.topics.baselines import FittedTopics, default_bertopic, lda
from arxiv_pipeline.topics.coherence import CoherenceScorer
from arxiv_pipeline.topics.corpus import MEASURES, TopicCorpus
from arxiv_pipeline.topics.model import analyzer, topic_words

if TYPE_CHECKING:
    from bertopic import BERTopic

logger = logging.getLogger(__name__)

HELD_OUT = ("validation", "test")


def build_evaluation_targets(
    papers: pq.ParquetFile,
    paper_splits: pd.DataFrame,
    label_vocabulary: dict[str, Any],
    classifier_tuning: dict[str, Any],
) -> dict[str, LabelledSplit]:
    """The labelled papers of each split: train as the classifier saw it, validation and test whole.

    Baselines train on the classifier's training papers (its ``size_fraction`` subset);
    every predictor is tuned on all of validation and scored on all of test.
    """
    labels = label_vocabulary["labels"]
    train = labelled_splits(
        papers, paper_splits, labels, ("train",), classifier_tuning["size_fraction"]
    )
    return {**train, **labelled_splits(papers, paper_splits, labels, HELD_OUT, 1.0)}


def score_with_classifier(
    classifier: ClassifierCheckpoint,
    evaluation_targets: dict[str, LabelledSplit],
    paper_splits: pd.DataFrame,
    label_vocabulary: dict[str, Any],
    **embeddings: Embeddings,
) -> dict[str, np.ndarray]:
    """The tuned classifier's label probabilities for the validation and test papers.

    Raises
    ------
    ValueError
        If the classifier was trained on other labels or other embeddings than the
        current ones: its outputs would mean something else.
    """
    config = classifier.config
    if config["labels"] != label_vocabulary["labels"]:
        raise ValueError(
            "The classifier was trained on another label vocabulary than label_vocabulary "
            "(ingestion ran since): run `kedro run --pipelines classifier_tuning` again."
        )
    key = config["embedding_model"]
    data = ClassifierData(evaluation_targets, embeddings, paper_splits)
    if key not in data.model_keys or data.identity(key) != config["embedding_identity"]:
        raise ValueError(
            f"The classifier reads '{key}' embeddings as they were when it was trained; the "
            "current ones differ (or that model is no longer configured): run "
            "classifier_tuning again."
        )
    network = from_checkpoint(classifier)
    return {split: probabilities(network, data.vectors(key, split)) for split in HELD_OUT}


def score_with_tfidf_logreg(
    evaluation_targets: dict[str, LabelledSplit],
    papers: pq.ParquetFile,
    paper_splits: pd.DataFrame,
    text_template: str,
    evaluation: dict[str, Any],
) -> dict[str, Any]:
    """Baseline: TF-IDF + one-vs-rest logistic regression on the texts that were embedded.

    Returns
    -------
    dict
        Probabilities of the validation and test papers, and the chosen ``params``.
    """
    texts = build_embedding_texts(papers, paper_splits, text_template)

    def rows(split: str) -> list[str]:
        return texts[split].texts.take(pa.array(evaluation_targets[split].rows)).to_pylist()

    scores, regularisation = tfidf_logistic_regression(
        rows("train"),
        evaluation_targets["train"].targets,
        {split: rows(split) for split in HELD_OUT},
        evaluation_targets["validation"].targets,
        evaluation["tfidf_logreg"],
    )
    logger.info("TF-IDF + logistic regression: C=%g chosen on validation.", regularisation)
    return {**scores, "params": {"C": regularisation}}


def score_with_label_prior(evaluation_targets: dict[str, LabelledSplit]) -> dict[str, np.ndarray]:
    """Baseline: every paper gets the training label frequencies."""
    return label_prior(
        evaluation_targets["train"].targets,
        {split: len(evaluation_targets[split].ids) for split in HELD_OUT},
    )


def evaluate_classifiers(
    evaluation_targets: dict[str, LabelledSplit],
    label_vocabulary: dict[str, Any],
    **scores: dict[str, Any],
) -> dict[str, Any]:
    """Each predictor's threshold tuned on validation (micro-F1), then every metric on test.

    Parameters
    ----------
    scores
        Per predictor name, its probabilities for the validation and test papers, and
        optionally the ``params`` chosen for it.

    Returns
    -------
    dict
        ``models`` (threshold, validation micro-F1, test metrics and params per predictor),
        ``per_label_f1`` on test, and validation ``threshold_curves``.
    """
    validation = evaluation_targets["validation"].targets
    test = evaluation_targets["test"].targets
    result: dict[str, Any] = {"models": {}, "per_label_f1": {}, "threshold_curves": {}}
    for name, predicted in scores.items():
        threshold, curve = tune_threshold(validation, predicted["validation"])
        result["models"][name] = {
            "threshold": threshold,
            "validation_micro_f1": float(curve.max()),
            **classification_metrics(test, predicted["test"], threshold),
            "params": predicted.get("params", {}),
        }
        f1 = per_label_f1(test, predict_labels(predicted["test"], threshold))
        result["per_label_f1"][name] = dict(
            zip(label_vocabulary["labels"], map(float, f1), strict=True)
        )
        result["threshold_curves"][name] = {
            "thresholds": THRESHOLDS.tolist(),
            "micro_f1": curve.tolist(),
        }
    result["test_label_counts"] = dict(
        zip(label_vocabulary["labels"], map(int, test.sum(axis=0)), strict=True)
    )
    return result


def _topic_corpus(
    papers: pq.ParquetFile,
    paper_splits: pd.DataFrame,
    text_template: str,
    topic_tuning: dict[str, Any],
    embeddings: dict[str, Embeddings],
) -> TopicCorpus:
    return TopicCorpus(
        papers, paper_splits, text_template, embeddings, topic_tuning["size_fraction"]
    )


def fit_topic_baselines(
    topic_model: BERTopic,
    topic_assignments: pd.DataFrame,
    final_topic_metrics: dict[str, Any],
    papers: pq.ParquetFile,
    paper_splits: pd.DataFrame,
    text_template: str,
    topic_tuning: dict[str, Any],
    evaluation: dict[str, Any],
    **embeddings: Embeddings,
) -> dict[str, FittedTopics]:
    """The tuned model's topics and assignments, and both baselines fitted on the same train texts.

    BERTopic defaults read the tuned model's embeddings; LDA gets as many topics as the
    tuned model found (at least 2, LDA's least useful number).
    """
    corpus = _topic_corpus(papers, paper_splits, text_template, topic_tuning, embeddings)
    by_id = topic_assignments.set_index("id")["topic"]
    tuned = FittedTopics(
        topic_words(topic_model),
        {split: by_id.loc[corpus.ids(split)].to_numpy() for split in SPLITS},
    )
    key = final_topic_metrics["params"]["embedding_model"]
    documents = {split: corpus.documents(split) for split in SPLITS}
    vectors = {split: corpus.vectors(split)[key] for split in SPLITS}
    tokenize = analyzer()
    tokens = {split: [tokenize(document) for document in docs] for split, docs in documents.items()}
    seed = topic_tuning["seed"]
    return {
        "tuned_bertopic": tuned,
        "default_bertopic": default_bertopic(documents, vectors, seed),
        "lda": lda(tokens, max(len(tuned.words), 2), seed, evaluation["lda"]),
    }


def evaluate_topic_models(
    topic_baselines: dict[str, FittedTopics],
    final_topic_metrics: dict[str, Any],
    papers: pq.ParquetFile,
    paper_splits: pd.DataFrame,
    text_template: str,
    topic_tuning: dict[str, Any],
    **embeddings: Embeddings,
) -> dict[str, Any]:
    """c_npmi, c_v, diversity, n_topics and outlier share of every topic model on every split.

    Coherence on a split is measured on that split's texts (train: the texts the models
    were fitted on; validation and test: held out), with the topic study's ``topn``.
    """
    corpus = _topic_corpus(papers, paper_splits, text_template, topic_tuning, embeddings)
    tokenize = analyzer()
    models: dict[str, dict[str, Any]] = {name: {} for name in topic_baselines}
    for split in SPLITS:
        scorer = CoherenceScorer([tokenize(text) for text in corpus.documents(split)]).prepare(
            MEASURES
        )
        for name, fitted in topic_baselines.items():
            metrics = fitted.score(split, scorer, topic_tuning["topn"]).as_dict()
            metrics.pop("fit_seconds")
            models[name][split] = metrics
    return {
        "embedding_model": final_topic_metrics["params"]["embedding_model"],
        "topn": topic_tuning["topn"],
        "size_fraction": topic_tuning["size_fraction"],
        "documents": {split: len(corpus.ids(split)) for split in SPLITS},
        "models": models,
        "train_topic_sizes": {
            name: fitted.sizes("train") for name, fitted in topic_baselines.items()
        },
    }


def collect_metrics(
    classifier_evaluation: dict[str, Any],
    topic_evaluation: dict[str, Any],
    evaluation_targets: dict[str, LabelledSplit],
    paper_splits: pd.DataFrame,
    classifier: ClassifierCheckpoint,
) -> dict[str, Any]:
    """Everything the report shows, with the sizes of the splits it was measured on."""
    split_sizes = paper_splits["split"].value_counts()
    return {
        "data": {
            "papers_per_split": {split: int(split_sizes.get(split, 0)) for split in SPLITS},
            "labels": len(classifier.config["labels"]),
            "classifier_papers": {
                split: len(value.ids) for split, value in evaluation_targets.items()
            },
            "unlabelled_papers_left_out": {
                split: value.unlabelled for split, value in evaluation_targets.items()
            },
        },
        "classifier": {
            "embedding_model": classifier.config["embedding_model"],
            "trial": classifier.config["trial"],
            "params": classifier.config["params"],
            **classifier_evaluation,
        },
        "topics": topic_evaluation,
    }
