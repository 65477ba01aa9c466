"""Nodes of the topic_tuning pipeline: the Optuna study of BERTopic and the final topic model."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import optuna
import pandas as pd
import pyarrow.parquet as pq

from arxiv_pipeline.corpus.splitting import SPLITS
from arxiv_pipeline.datasets.embeddings_dataset import SplitEmbeddings
from arxiv_pipeline.embedding.lineage import lineage
from arxiv_pipeline.embedding.selection import used_models
from arxiv_pipeline.embedding.specs import EmbeddingsParams
from arxiv_pipeline.text.templates import SplitTexts
from arxiv_pipeline.topics.agreement import taxonomy_labels
from arxiv_pipeline.topics.assignment import (
    HeldOutPapers,
    assignment_metrics,
)
from arxiv_pipeline.topics.bundle import TopicModelBundle
from arxiv_pipeline.topics.corpus import TopicCorpus
from arxiv_pipeline.topics.model import (
    coherence_reference,
    hdbscan_sizes,
    score_topics,
    topic_words,
)
from arxiv_pipeline.topics.objective import TopicObjective, fit_params
from arxiv_pipeline.topics.reduction import ReductionCache
from arxiv_pipeline.topics.refit import refit
from arxiv_pipeline.topics.settings import TopicTuning
from arxiv_pipeline.tuning.components import check_embedding_models
from arxiv_pipeline.tuning.flow import check_study_splits, final_trial, tune
from arxiv_pipeline.tuning.store import StudyStore

if TYPE_CHECKING:
    from bertopic import BERTopic

logger = logging.getLogger(__name__)


def _used_models(topic_tuning: TopicTuning) -> list[str]:
    """The embedding models the trials can use: the fixed one, or those the space draws.

    Raises
    ------
    ValueError
        If neither ``search_space.embedding_model`` nor ``fixed.embedding_model`` names one.
    """
    keys = used_models(topic_tuning.space, topic_tuning.fixed.get("embedding_model"))
    if not keys:
        raise ValueError(
            "topic_tuning: name the embedding models in search_space.embedding_model "
            "(choices) or fixed.embedding_model."
        )
    return keys


def check_topic_study_data(
    topic_study: StudyStore, paper_splits: pd.DataFrame, topic_tuning: TopicTuning
) -> StudyStore:
    """The study's store, once checked right after ingestion: its trials were run on these splits.

    Raises
    ------
    ProvenanceMismatchError
        If the stored study was run on other papers or splits, saying how to name a new
        study (``topic_tuning.study_name``); before any embedding is computed.
    """
    return check_study_splits(topic_tuning, topic_study, paper_splits)


def tune_topic_model(
    topic_study: StudyStore,
    papers: pq.ParquetFile,
    paper_splits: pd.DataFrame,
    train_texts: SplitTexts,
    validation_texts: SplitTexts,
    train_embeddings: SplitEmbeddings,
    validation_embeddings: SplitEmbeddings,
    topic_tuning: TopicTuning,
) -> optuna.Study:
    """Run the topic study to ``topic_tuning.n_trials`` complete trials.

    Topics are fit on the training split (its ``size_fraction`` subset) and scored on
    the whole validation split, whatever the subset: held-out coherence, and the
    validation papers' topics (``transform``) against the arXiv taxonomy and as an
    outlier share. The study lives in the storage ``topic_tuning.storage`` names, and
    ``topic_tuning.n_workers`` processes run its trials.
    """
    keys = _used_models(topic_tuning)
    check_embedding_models(
        topic_tuning.space, list(train_embeddings), "topic_tuning.search_space.embedding_model", *keys
    )
    fraction = topic_tuning.trial_fraction(paper_splits)
    embeddings = {"train": train_embeddings, "validation": validation_embeddings}
    cache = ReductionCache(topic_tuning.reduction_cache_size)

    def build_objective() -> TopicObjective:
        texts = {"train": train_texts, "validation": validation_texts}
        corpus = TopicCorpus(paper_splits, texts, embeddings, {"train": fraction})
        logger.info(
            "Topic trials fit on %d training papers (size_fraction %s: %g) and are scored on %d validation papers.",
            len(corpus.ids("train")),
            topic_tuning.size_fraction,
            fraction,
            len(corpus.ids("validation")),
        )
        validation = corpus.documents("validation")
        return TopicObjective(
            documents=corpus.documents("train"),
            embeddings=corpus.vectors_by_model("train", keys),
            scorer=coherence_reference(validation, "validation"),
            held_out=HeldOutPapers(
                validation,
                corpus.vectors_by_model("validation", keys),
                taxonomy_labels(papers, {"validation": corpus.ids("validation")})["validation"],
            ),
            space=topic_tuning.space,
            config=topic_tuning.objective_config(),
            cache=cache,
        )

    study = tune(
        topic_tuning,
        topic_study,
        paper_splits,
        embeddings,
        keys,
        fraction,
        build_objective,
        embedding_models={key: train_embeddings[key].metadata["cache_key"] for key in keys},
    )
    logger.info(
        "Topic study '%s': %d trials; reductions in this process computed %d times, reused %d times.",
        study.study_name,
        len(study.trials),
        cache.misses,
        cache.hits,
    )
    return study


def fit_final_topic_model(
    topic_study: StudyStore,
    papers: pq.ParquetFile,
    paper_splits: pd.DataFrame,
    train_texts: SplitTexts,
    validation_texts: SplitTexts,
    test_texts: SplitTexts,
    train_embeddings: SplitEmbeddings,
    validation_embeddings: SplitEmbeddings,
    test_embeddings: SplitEmbeddings,
    embeddings: EmbeddingsParams,
    topic_tuning: TopicTuning,
) -> tuple[TopicModelBundle, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Refit BERTopic with the chosen trial's parameters, and give every paper of every split a topic.

    The model is fitted on the ``topic_tuning.final_size_fraction`` subset of train
    (size-free parameters such as ``hdbscan.min_cluster_fraction`` converted with its
    document count) under the study's first seed; the other papers, of every split, are
    assigned by ``transform``; then the trial's outlier reduction applies to all. With
    ``n_seeds: 1`` and ``final_size_fraction == size_fraction`` its validation scores
    equal the chosen trial's.

    Returns
    -------
    tuple
        The model with its config (the embedding model new documents must be embedded
        with, its settings and identity, the data it was built on, the text template,
        ``topn``), the topic table (topic, size, words, label), the assignments
        (id, split, topic) of every paper, and the final metrics (with the parameters).
    """
    topic_tuning.trial_fraction(paper_splits)  # refuses a final fit smaller than the trials'
    trial = final_trial(topic_tuning, topic_study)
    corpus = TopicCorpus(
        paper_splits,
        {"train": train_texts, "validation": validation_texts, "test": test_texts},
        {"train": train_embeddings, "validation": validation_embeddings, "test": test_embeddings},
        1.0,
    )
    config = topic_tuning.objective_config()
    params = fit_params(trial.params, _used_models(topic_tuning)[0])
    key, seed = params["embedding_model"], config.seeds[0]
    documents = {split: corpus.documents(split) for split in SPLITS}
    vectors = {split: corpus.vectors(split, key) for split in SPLITS}
    fitted = corpus.nested("train", topic_tuning.final_size_fraction)
    fit = refit(documents, vectors, params, seed, fitted)
    model = fit.model
    fit_documents = int(fitted.sum())
    size, samples = hdbscan_sizes(params, fit_documents)
    metrics: dict[str, Any] = {
        "trial": trial.number,
        "params": params,
        "seed": seed,
        "final_size_fraction": topic_tuning.final_size_fraction,
        "fit_documents": fit_documents,
        "hdbscan": {"min_cluster_size": size, "min_samples": samples},
    }
    # Coherence, diversity and n_topics of the fitted topics, on the validation texts.
    reference = coherence_reference(documents["validation"], "validation")
    coherence = score_topics(model, reference, config.topn, 0.0)
    labels = taxonomy_labels(papers, {split: corpus.ids(split) for split in SPLITS})
    assignments = []
    for split in SPLITS:
        metrics[split] = assignment_metrics(fit.before[split], fit.after[split], labels[split], "")
        metrics[f"{split}_outlier_share"] = metrics[split]["outlier_share"]
        assignments.append(pd.DataFrame({"id": corpus.ids(split), "split": split, "topic": fit.after[split]}))
    # The fit's outlier share is the train entry's; validation's is its own.
    metrics["validation"] = coherence.as_dict() | metrics["validation"]
    # New documents go through the reducer fitted on train, then HDBSCAN's prediction.
    model.umap_model = fit.reducer
    bundle = TopicModelBundle(
        model,
        {
            **lineage(paper_splits, key, embeddings.models[key], train_embeddings[key]),
            "text_template": embeddings.text_template,
            "topn": config.topn,
            "top_n_words": params["top_n_words"],
            "trial": trial.number,
            "params": params,
        },
    )
    return bundle, topic_table(model), pd.concat(assignments, ignore_index=True), metrics



def topic_table(model: BERTopic) -> pd.DataFrame:
    """One row per topic (the outlier topic -1 included): id, size, top words, label."""
    info = model.get_topic_info()
    words = topic_words(model)
    return pd.DataFrame(
        {
            "topic": info["Topic"].astype(int),
            "size": info["Count"].astype(int),
            "words": [words.get(topic, []) for topic in info["Topic"]],
            "label": info["Name"],
        }
    )
