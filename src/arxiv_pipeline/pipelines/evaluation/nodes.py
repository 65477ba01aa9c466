"""Nodes of the evaluation pipeline: the classifier and the topic model beside their baselines."""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import pandas as pd
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
from arxiv_pipeline.classifier.model import ClassifierCheckpoint, from_checkpoint, probabilities
from arxiv_pipeline.corpus.splitting import (
    SPLITS,
    largest_subset_within,
    nested_subset,
    splits_fingerprint,
    warn_over_cap,
)
from arxiv_pipeline.datasets.embeddings_dataset import SplitEmbeddings
from arxiv_pipeline.embedding.lineage import check_model_matches_data
from arxiv_pipeline.embedding.specs import EmbeddingsParams
from arxiv_pipeline.reporting.settings import EvaluationParams
from arxiv_pipeline.text.templates import SplitTexts, TextChunks
from arxiv_pipeline.topics.agreement import taxonomy_labels
from arxiv_pipeline.topics.baselines import FittedTopics
from arxiv_pipeline.topics.bundle import TopicModelBundle
from arxiv_pipeline.topics.comparison import (
    fit_over_seeds,
    score_over_seeds,
    seed_statistics,
)
from arxiv_pipeline.topics.corpus import TopicCorpus
from arxiv_pipeline.topics.model import topic_words
from arxiv_pipeline.topics.settings import TopicTuning
from arxiv_pipeline.topics.words import embedder_of

logger = logging.getLogger(__name__)

HELD_OUT = ("validation", "test")


def build_evaluation_targets(
    papers: pq.ParquetFile,
    paper_splits: pd.DataFrame,
    label_vocabulary: dict[str, Any],
) -> dict[str, LabelledSplit]:
    """The labelled papers of each split, whole: the final classifier trained on all of train.

    Every predictor is tuned on all of validation and scored on all of test; the TF-IDF
    baseline trains on a nested subset of these training papers
    (:func:`score_with_tfidf_logreg`).
    """
    return labelled_splits(papers, paper_splits, label_vocabulary["labels"], SPLITS, 1.0)


def score_with_classifier(
    classifier: ClassifierCheckpoint,
    evaluation_targets: dict[str, LabelledSplit],
    paper_splits: pd.DataFrame,
    label_vocabulary: dict[str, Any],
    train_embeddings: SplitEmbeddings,
    validation_embeddings: SplitEmbeddings,
    test_embeddings: SplitEmbeddings,
) -> dict[str, np.ndarray]:
    """The tuned classifier's label probabilities for the validation and test papers.

    Each split's embeddings are read from the memory map in chunks; the probabilities
    (papers × labels, float32) are kept whole, as the metrics rank and threshold them.

    Raises
    ------
    ValueError
        If the classifier was trained on other labels, other papers or other embeddings
        than the current ones (``LineageMismatchError``): its outputs would mean
        something else.
    """
    config = classifier.config
    if config["labels"] != label_vocabulary["labels"]:
        raise ValueError(
            "The classifier was trained on another label vocabulary than label_vocabulary "
            "(ingestion ran since): run `kedro run --pipelines classifier_tuning` again."
        )
    key = config["embedding_model"]
    check_model_matches_data("classifier", config, paper_splits, train_embeddings.get(key))
    embeddings = {"train": train_embeddings, "validation": validation_embeddings, "test": test_embeddings}
    data = ClassifierData(evaluation_targets, embeddings, paper_splits)
    network = from_checkpoint(classifier)
    return {split: probabilities(network, data.vectors(key, split)) for split in HELD_OUT}


def score_with_tfidf_logreg(
    evaluation_targets: dict[str, LabelledSplit],
    paper_splits: pd.DataFrame,
    train_texts: SplitTexts,
    validation_texts: SplitTexts,
    test_texts: SplitTexts,
    evaluation: EvaluationParams,
) -> dict[str, Any]:
    """Baseline: TF-IDF + one-vs-rest logistic regression on the texts that were embedded.

    It trains on the labelled papers of the largest nested subset of train that holds at
    most ``evaluation.tfidf_logreg.max_train_papers`` papers, and scores validation and
    test ``chunk_size`` papers at a time.

    Returns
    -------
    dict
        Probabilities of the validation and test papers, the chosen ``params`` and the
        number of ``train_papers``.
    """
    settings = evaluation.tfidf_logreg
    fraction = largest_subset_within(paper_splits, "train", settings["max_train_papers"])
    in_subset = nested_subset(paper_splits, "train", fraction)
    warn_over_cap(
        int(in_subset.sum()),
        settings["max_train_papers"],
        "evaluation.tfidf_logreg.max_train_papers",
        "TF-IDF + logistic regression trains",
    )
    train = evaluation_targets["train"]
    kept = in_subset[train.rows]
    held_out = {"validation": validation_texts, "test": test_texts}
    scores, regularisation = tfidf_logistic_regression(
        TextChunks(train_texts.texts, train.rows[kept])[:],
        train.targets[kept],
        {
            split: TextChunks(texts.texts, evaluation_targets[split].rows)
            for split, texts in held_out.items()
        },
        evaluation_targets["validation"].targets.toarray(),
        settings,
    )
    train_papers = int(kept.sum())
    logger.info(
        "TF-IDF + logistic regression: trained on %d papers (nested subset %g of train), "
        "C=%g chosen on validation.",
        train_papers,
        fraction,
        regularisation,
    )
    return {**scores, "params": {"C": regularisation}, "train_papers": train_papers}


def score_with_label_prior(evaluation_targets: dict[str, LabelledSplit]) -> dict[str, np.ndarray]:
    """Baseline: every paper gets the label frequencies of all training papers."""
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
        optionally the ``params`` chosen for it and its ``train_papers`` (default: every
        labelled training paper).

    Returns
    -------
    dict
        ``models`` (threshold, validation micro-F1, test metrics, params and training
        papers per predictor), ``per_label_f1`` on test, and validation ``threshold_curves``.
    """
    validation = evaluation_targets["validation"].targets.toarray()
    test = evaluation_targets["test"].targets.toarray()
    all_train = len(evaluation_targets["train"].ids)
    result: dict[str, Any] = {"models": {}, "per_label_f1": {}, "threshold_curves": {}}
    for name, predicted in scores.items():
        threshold, curve = tune_threshold(validation, predicted["validation"])
        result["models"][name] = {
            "threshold": threshold,
            "validation_micro_f1": float(curve.max()),
            **classification_metrics(test, predicted["test"], threshold),
            "params": predicted.get("params", {}),
            "train_papers": predicted.get("train_papers", all_train),
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
    paper_splits: pd.DataFrame,
    final_topic_metrics: dict[str, Any],
    texts: tuple[SplitTexts, ...],
    embeddings: tuple[SplitEmbeddings, ...] = (),
) -> TopicCorpus:
    """The final topic model's training papers (the nested subset it records,
    ``fit_size_fraction``) and whole held-out splits."""
    return TopicCorpus(
        paper_splits,
        {split_texts.split: split_texts for split_texts in texts},
        {stored.split: stored for stored in embeddings},
        {"train": final_topic_metrics["fit_size_fraction"]},
    )


def fit_topic_baselines(
    topic_model: TopicModelBundle,
    topic_assignments: pd.DataFrame,
    coarse_topic_table: pd.DataFrame,
    final_topic_metrics: dict[str, Any],
    papers: pq.ParquetFile,
    paper_splits: pd.DataFrame,
    train_texts: SplitTexts,
    validation_texts: SplitTexts,
    test_texts: SplitTexts,
    train_embeddings: SplitEmbeddings,
    validation_embeddings: SplitEmbeddings,
    test_embeddings: SplitEmbeddings,
    topic_tuning: TopicTuning,
    evaluation: EvaluationParams,
    embeddings: EmbeddingsParams,
) -> dict[str, list[FittedTopics]]:
    """Per topic model, its topics and assignments under each of ``evaluation.seeds``
    (:func:`fit_over_seeds`: the tuned configuration refitted, except under the final
    model's own seed, where the saved model, ``topic_assignments`` and
    ``coarse_topic_table`` are used), the tuned model at its fine and coarse level. The
    k-means yardsticks take k from the training papers' categories and archives in ``papers``.

    Every model is fitted on the final model's training papers (``final_topic_metrics``'
    ``fit_size_fraction``: the nested subset of ``topic_tuning.final_size_fraction`` under
    ``topic_tuning.final_max_papers``) and assigns the held-out splits
    ``topic_tuning.assign_chunk_size`` papers at a time, in ``topic_tuning.assign_jobs``
    processes. The tuned model's refits get
    their words as the final model's did: its vectorizer and representation model, with
    the word embedding model it records, from ``embeddings.models``
    (:func:`~arxiv_pipeline.topics.words.embedder_of`).

    Raises ``LineageMismatchError`` if the topic model was built on other papers or
    embeddings than the current ones.
    """
    key = topic_model.config["embedding_model"]
    check_model_matches_data("topic model", topic_model.config, paper_splits, train_embeddings.get(key))
    corpus = _topic_corpus(
        paper_splits,
        final_topic_metrics,
        (train_texts, validation_texts, test_texts),
        (train_embeddings, validation_embeddings, test_embeddings),
    )
    by_id = topic_assignments.set_index("id")
    final = (
        FittedTopics(
            topic_words(topic_model.model),
            {split: by_id.loc[corpus.ids(split), "topic"].to_numpy() for split in SPLITS},
        ),
        FittedTopics(
            dict(zip(coarse_topic_table["topic"], coarse_topic_table["words"].map(list), strict=True)),
            {split: by_id.loc[corpus.ids(split), "coarse_topic"].to_numpy() for split in SPLITS},
        ),
    )
    # The training papers (under the cap) are fitted on whole; held-out papers are read a
    # chunk at a time as they are assigned.
    documents = {"train": corpus.documents("train"), **{split: corpus.texts(split) for split in HELD_OUT}}
    vectors = {split: corpus.vectors(split, key) for split in SPLITS}
    train_labels = taxonomy_labels(papers, {"train": corpus.ids("train")})["train"]
    return fit_over_seeds(
        final,
        final_topic_metrics,
        documents,
        vectors,
        train_labels,
        evaluation.seeds,
        evaluation,
        topic_tuning.assign_chunk_size,
        embedder_of(final_topic_metrics["params"], embeddings),
        topic_tuning.assign_processes,
    )


def _coherence_texts(corpus: TopicCorpus, paper_splits: pd.DataFrame, max_papers: int | None) -> dict[str, TextChunks]:
    """Each split's coherence reference: the corpus's papers in the largest nested subset of
    the split within ``max_papers`` (train: within the final model's papers too)."""
    texts = {}
    for split in SPLITS:
        held = corpus.texts(split)
        kept = corpus.nested(split, largest_subset_within(paper_splits, split, max_papers))
        texts[split] = TextChunks(held.texts, held.rows[kept])
        logger.info(
            "Coherence on %s: against %d of its %d papers (evaluation.coherence_max_papers %s).",
            split,
            len(texts[split]),
            len(kept),
            max_papers,
        )
    return texts


def evaluate_topic_models(
    topic_baselines: dict[str, list[FittedTopics]],
    final_topic_metrics: dict[str, Any],
    papers: pq.ParquetFile,
    paper_splits: pd.DataFrame,
    train_texts: SplitTexts,
    validation_texts: SplitTexts,
    test_texts: SplitTexts,
    topic_tuning: TopicTuning,
    evaluation: EvaluationParams,
) -> dict[str, Any]:
    """c_npmi, c_v, diversity, n_topics, outlier share and agreement with the arXiv taxonomy
    (NMI / ARI against primary category and archive, see ``topics.agreement``) of every
    topic model on every split, under every seed.

    Coherence on a split is measured on that split's texts (train: the texts the models
    were fitted on; validation and test: held out), with the topic study's ``topn``, on
    the largest nested subset of the split within ``evaluation.coherence_max_papers``
    (``coherence_documents`` says how many), tokenised a chunk at a time. Agreement and
    the outlier share count every paper.
    Returns ``per_seed`` (model -> split -> a metrics dict per seed), their ``mean`` and
    ``std``, and as ``models`` the first seed's (by default the final model's own seed).
    """
    corpus = _topic_corpus(paper_splits, final_topic_metrics, (train_texts, validation_texts, test_texts))
    labels = taxonomy_labels(papers, {split: corpus.ids(split) for split in SPLITS})
    coherence_texts = _coherence_texts(corpus, paper_splits, evaluation.coherence_max_papers)
    per_seed = score_over_seeds(topic_baselines, coherence_texts, labels, topic_tuning.topn)
    return {
        "embedding_model": final_topic_metrics["params"]["embedding_model"],
        "topn": topic_tuning.topn,
        "size_fraction": topic_tuning.trial_fraction(paper_splits),
        **{
            name: final_topic_metrics[name]
            for name in ("final_size_fraction", "final_max_papers", "fit_size_fraction")
        },
        "documents": {split: len(corpus.ids(split)) for split in SPLITS},
        "coherence_max_papers": evaluation.coherence_max_papers,
        "coherence_documents": {split: len(texts) for split, texts in coherence_texts.items()},
        "seeds": list(evaluation.seeds),
        "final_model_seed": final_topic_metrics["seed"],
        **seed_statistics(per_seed),
        "per_seed": per_seed,
        "train_topic_sizes": {name: runs[0].sizes("train") for name, runs in topic_baselines.items()},
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
            "splits_fingerprint": splits_fingerprint(paper_splits),
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
