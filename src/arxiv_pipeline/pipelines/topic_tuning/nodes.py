"""Nodes of the topic_tuning pipeline: the Optuna study of BERTopic and the final topic model."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np
import optuna
import pandas as pd

from arxiv_pipeline.datasets.bertopic_dataset import TopicModelBundle
from arxiv_pipeline.datasets.embeddings_dataset import SplitEmbeddings
from arxiv_pipeline.datasets.optuna_study_dataset import StudyStore
from arxiv_pipeline.embedding.lineage import lineage
from arxiv_pipeline.embedding.selection import used_models
from arxiv_pipeline.text.templates import SplitTexts
from arxiv_pipeline.topics.coherence import CoherenceScorer
from arxiv_pipeline.topics.corpus import TopicCorpus
from arxiv_pipeline.topics.model import analyzer, fit_topic_model, score_topics, topic_words
from arxiv_pipeline.topics.objective import TopicObjective
from arxiv_pipeline.topics.reduction import ReductionCache
from arxiv_pipeline.topics.selection import chosen_trial
from arxiv_pipeline.topics.settings import TopicTuning
from arxiv_pipeline.tuning.components import check_embedding_models, sampler_factory
from arxiv_pipeline.tuning.provenance import data_fingerprint, provenance
from arxiv_pipeline.tuning.study import check_data, run_study

if TYPE_CHECKING:
    from bertopic import BERTopic

logger = logging.getLogger(__name__)

def _scorer(documents: list[str], measure: str) -> CoherenceScorer:
    tokenize = analyzer()
    return CoherenceScorer([tokenize(text) for text in documents]).prepare([measure])


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


def tune_topic_model(
    topic_study: StudyStore,
    paper_splits: pd.DataFrame,
    train_texts: SplitTexts,
    validation_texts: SplitTexts,
    train_embeddings: SplitEmbeddings,
    topic_tuning: TopicTuning,
) -> optuna.Study:
    """Run the topic study to ``topic_tuning.n_trials`` complete trials.

    Topics are fit on the training split (its ``size_fraction`` subset) and scored on
    the validation split: held-out coherence, so a model cannot score by memorising.
    The study lives in the storage ``topic_tuning.storage`` names, and
    ``topic_tuning.n_workers`` processes run its trials.
    """
    store = topic_tuning.store(topic_study)
    keys = _used_models(topic_tuning)
    check_embedding_models(
        topic_tuning.space, list(train_embeddings), "topic_tuning.search_space.embedding_model", *keys
    )
    used = {f"{key}__train": train_embeddings[key] for key in keys}
    fingerprint = data_fingerprint(used, topic_tuning.size_fraction)
    check_data(store, fingerprint, TopicTuning.KEY)  # before any text is read
    corpus = TopicCorpus(
        paper_splits,
        {"train": train_texts, "validation": validation_texts},
        {"train": train_embeddings},
        topic_tuning.size_fraction,
    )
    objective = TopicObjective(
        documents=corpus.documents("train"),
        embeddings=corpus.vectors_by_model("train", keys),
        scorer=_scorer(corpus.documents("validation"), topic_tuning.measure),
        space=topic_tuning.space,
        config=topic_tuning.objective_config(),
        cache=ReductionCache(topic_tuning.reduction_cache_size),
    )
    constraints = {"constraints_func": objective.constraints_func} if objective.has_constraints else {}
    study = run_study(
        store,
        objective,
        directions=topic_tuning.directions,
        sampler=sampler_factory(topic_tuning.sampler, "topic_tuning.sampler", topic_tuning.fixed, **constraints),
        seed=topic_tuning.seed,
        pruner=topic_tuning.build_pruner(),
        n_trials=topic_tuning.n_trials,
        provenance=provenance(
            fingerprint,
            **topic_tuning.provenance(),
            embedding_models={key: train_embeddings[key].metadata["cache_key"] for key in keys},
        ),
        n_workers=topic_tuning.n_workers,
    )
    logger.info(
        "Topic study '%s': %d trials; reductions in this process computed %d times, reused %d times.",
        study.study_name,
        len(study.trials),
        objective.cache.misses,
        objective.cache.hits,
    )
    return study


def fit_final_topic_model(
    topic_study: StudyStore,
    paper_splits: pd.DataFrame,
    train_texts: SplitTexts,
    validation_texts: SplitTexts,
    test_texts: SplitTexts,
    train_embeddings: SplitEmbeddings,
    validation_embeddings: SplitEmbeddings,
    test_embeddings: SplitEmbeddings,
    text_template: str,
    topic_tuning: TopicTuning,
    embedding_models: dict[str, Any],
) -> tuple[TopicModelBundle, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Refit BERTopic with the chosen trial's parameters, and assign every split's papers.

    The refit uses the study's first seed, so with ``n_seeds: 1`` its validation scores
    equal the chosen trial's.

    Returns
    -------
    tuple
        The model with its config (the embedding model new documents must be embedded
        with, its settings and identity, the data it was built on, the text template,
        ``topn``), the topic table (topic, size, words, label), the assignments
        (id, split, topic) and the final metrics (with the parameters).
    """
    study = topic_tuning.store(topic_study).load()
    trial = chosen_trial(study, topic_tuning.final_trial, topic_tuning.constraints)
    corpus = TopicCorpus(
        paper_splits,
        {"train": train_texts, "validation": validation_texts, "test": test_texts},
        {"train": train_embeddings, "validation": validation_embeddings, "test": test_embeddings},
        topic_tuning.size_fraction,
    )
    config = topic_tuning.objective_config()
    objective = TopicObjective(
        documents=corpus.documents("train"),
        embeddings=corpus.vectors_by_model("train", _used_models(topic_tuning)),
        scorer=_scorer(corpus.documents("validation"), config.measure),
        space={},
        config=config,
        cache=ReductionCache(1),
    )
    params = objective.trial_params(trial)
    key = params["embedding_model"]
    seed = config.seeds[0]
    reducer, reduced = objective.cache.get(key, objective.embeddings[key], params, seed)
    model = fit_topic_model(objective.documents, objective.embeddings[key], reduced, params, prediction_data=True)
    metrics = {"trial": trial.number, "params": params, "seed": seed}
    metrics["validation"] = score_topics(model, objective.scorer, config.topn, 0.0).as_dict()
    # New documents go through the reducer fitted on train, then HDBSCAN's prediction.
    model.umap_model = reducer
    assignments = [pd.DataFrame({"id": corpus.ids("train"), "split": "train", "topic": model.topics_})]
    for split in ("validation", "test"):
        topics, _ = model.transform(corpus.documents(split), embeddings=corpus.vectors(split, key))
        assignments.append(pd.DataFrame({"id": corpus.ids(split), "split": split, "topic": topics}))
        metrics[f"{split}_outlier_share"] = float(np.mean(np.asarray(topics) == -1))
    bundle = TopicModelBundle(
        model,
        {
            **lineage(paper_splits, key, embedding_models[key], train_embeddings[key]),
            "text_template": text_template,
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
