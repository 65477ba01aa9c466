"""Nodes of the topic_tuning pipeline: the Optuna study of BERTopic and the final topic model."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import numpy as np
import optuna
import pandas as pd
import pyarrow.parquet as pq

from arxiv_pipeline.datasets.embeddings_dataset import Embeddings
from arxiv_pipeline.datasets.optuna_study_dataset import StudyStore
from arxiv_pipeline.topics.coherence import CoherenceScorer
from arxiv_pipeline.topics.corpus import MEASURES, TopicCorpus
from arxiv_pipeline.topics.model import (
    TOPIC_PARAMETER_RULES,
    analyzer,
    fit_topic_model,
    score_topics,
    topic_words,
)
from arxiv_pipeline.topics.objective import (
    TRIAL_ERRORS,
    TopicObjective,
    TopicObjectiveConfig,
)
from arxiv_pipeline.topics.reduction import ReductionCache
from arxiv_pipeline.topics.selection import chosen_trial
from arxiv_pipeline.tuning.provenance import provenance
from arxiv_pipeline.tuning.search_space import parse_search_space
from arxiv_pipeline.tuning.study import run_study

if TYPE_CHECKING:
    from bertopic import BERTopic

logger = logging.getLogger(__name__)

def _objective_config(topic_tuning: dict[str, Any]) -> TopicObjectiveConfig:
    measure = topic_tuning["measure"]
    if measure not in MEASURES:
        raise ValueError(f"topic_tuning.measure must be one of {MEASURES}, got {measure!r}.")
    fixed = topic_tuning.get("fixed") or {}
    unknown = sorted(set(fixed) - set(TOPIC_PARAMETER_RULES))
    if unknown:
        raise ValueError(
            f"topic_tuning.fixed: unknown parameters {unknown}; known: {sorted(TOPIC_PARAMETER_RULES)}"
        )
    seed = topic_tuning["seed"]
    return TopicObjectiveConfig(
        measure=measure,
        topn=topic_tuning["topn"],
        seeds=tuple(range(seed, seed + topic_tuning["n_seeds"])),
        multi_objective=topic_tuning["multi_objective"],
        fixed=fixed,
        constraints=topic_tuning.get("constraints") or {},
    )


def _validated_space(topic_tuning: dict[str, Any], model_keys: list[str]) -> dict:
    space = parse_search_space(
        topic_tuning["search_space"], TOPIC_PARAMETER_RULES, "topic_tuning.search_space"
    )
    choices = getattr(space.get("embedding_model"), "choices", ())
    unknown = [choice for choice in choices if choice not in model_keys]
    if unknown:
        raise ValueError(
            f"topic_tuning.search_space.embedding_model: {unknown} are not among the "
            f"embedding models {model_keys} (embeddings.models)."
        )
    return space


def _scorer(documents: list[str], config: TopicObjectiveConfig) -> CoherenceScorer:
    tokenize = analyzer()
    return CoherenceScorer([tokenize(text) for text in documents]).prepare([config.measure])


def tune_topic_model(
    topic_study: StudyStore,
    papers: pq.ParquetFile,
    paper_splits: pd.DataFrame,
    text_template: str,
    topic_tuning: dict[str, Any],
    **embeddings: Embeddings,
) -> optuna.Study:
    """Run the topic study to ``topic_tuning.n_trials`` complete trials.

    Topics are fit on the training split (its ``size_fraction`` subset) and scored on
    the validation split: held-out coherence, so a model cannot score by memorising.
    The study lives in the storage ``topic_tuning.storage`` names, and
    ``topic_tuning.n_workers`` processes run its trials.
    """
    store = topic_study.using(topic_tuning["storage"])
    corpus = TopicCorpus(papers, paper_splits, text_template, embeddings, topic_tuning["size_fraction"])
    train_vectors = corpus.vectors("train")
    space = _validated_space(topic_tuning, list(train_vectors))
    config = _objective_config(topic_tuning)
    objective = TopicObjective(
        documents=corpus.documents("train"),
        embeddings=train_vectors,
        scorer=_scorer(corpus.documents("validation"), config),
        space=space,
        config=config,
        cache=ReductionCache(topic_tuning["reduction_cache_size"]),
    )
    sampler = optuna.samplers.TPESampler(
        seed=topic_tuning["seed"],
        multivariate=True,
        constraints_func=objective.constraints_func if objective.has_constraints else None,
    )
    directions = ["maximize", "maximize"] if config.multi_objective else ["maximize"]
    study = run_study(
        store,
        objective,
        directions=directions,
        sampler=sampler,
        pruner=optuna.pruners.MedianPruner(n_startup_trials=5),
        n_trials=topic_tuning["n_trials"],
        provenance=provenance(
            corpus.fingerprint(),
            measure=config.measure,
            topn=config.topn,
            seeds=list(config.seeds),
            search_space=topic_tuning["search_space"],
            embedding_models={key: value.metadata["cache_key"] for key, value in embeddings.items()},
        ),
        catch=TRIAL_ERRORS,
        n_workers=topic_tuning["n_workers"],
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
    papers: pq.ParquetFile,
    paper_splits: pd.DataFrame,
    text_template: str,
    topic_tuning: dict[str, Any],
    **embeddings: Embeddings,
) -> tuple[BERTopic, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """Refit BERTopic with the chosen trial's parameters, and assign every split's papers.

    The refit uses the study's first seed, so with ``n_seeds: 1`` its validation scores
    equal the chosen trial's.

    Returns
    -------
    tuple
        The model, the topic table (topic, size, words, label), the assignments
        (id, split, topic) and the final metrics (with the parameters, among them the
        ``embedding_model`` that new documents must be embedded with).
    """
    study = topic_study.using(topic_tuning["storage"]).load()
    trial = chosen_trial(study, topic_tuning["final_trial"], topic_tuning["constraints"])
    corpus = TopicCorpus(papers, paper_splits, text_template, embeddings, topic_tuning["size_fraction"])
    config = _objective_config(topic_tuning)
    objective = TopicObjective(
        documents=corpus.documents("train"),
        embeddings=corpus.vectors("train"),
        scorer=_scorer(corpus.documents("validation"), config),
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
        topics, _ = model.transform(corpus.documents(split), embeddings=corpus.vectors(split)[key])
        assignments.append(pd.DataFrame({"id": corpus.ids(split), "split": split, "topic": topics}))
        metrics[f"{split}_outlier_share"] = float(np.mean(np.asarray(topics) == -1))
    return model, topic_table(model), pd.concat(assignments, ignore_index=True), metrics


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
