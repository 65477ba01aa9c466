"""Nodes of the topic_tuning pipeline: the Optuna study of BERTopic and the final topic model."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from typing import Any

import numpy as np
import optuna
import pandas as pd
import pyarrow.parquet as pq

from arxiv_pipeline.corpus.splitting import SPLITS, warn_over_cap
from arxiv_pipeline.datasets.embeddings_dataset import SplitEmbeddings
from arxiv_pipeline.embedding.lineage import lineage
from arxiv_pipeline.embedding.selection import used_models
from arxiv_pipeline.embedding.specs import EmbeddingsParams
from arxiv_pipeline.text.templates import SplitTexts, text_hashes
from arxiv_pipeline.topics.agreement import taxonomy_agreement, taxonomy_labels
from arxiv_pipeline.topics.assignment import HeldOutPapers, assignment_metrics
from arxiv_pipeline.topics.bundle import TopicModelBundle
from arxiv_pipeline.topics.candidates import (
    Candidate,
    HeldOutScoring,
    Stability,
    choose_candidate,
    refit_candidate,
    stability,
)
from arxiv_pipeline.topics.corpus import TopicCorpus, select
from arxiv_pipeline.topics.model import coherence_reference, hdbscan_sizes
from arxiv_pipeline.topics.objective import TopicObjective, fit_params
from arxiv_pipeline.topics.reduction import ReductionCache
from arxiv_pipeline.topics.refit import Refit, assign_rest
from arxiv_pipeline.topics.selection import leading_trials
from arxiv_pipeline.topics.settings import TopicTuning
from arxiv_pipeline.topics.topic_map import TopicMap, build_topic_map
from arxiv_pipeline.topics.words import choose_words, word_embedder, word_model_spec
from arxiv_pipeline.tuning.components import check_embedding_models
from arxiv_pipeline.tuning.flow import check_study_splits, tune
from arxiv_pipeline.tuning.store import StudyStore

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
    topic_study: StudyStore, paper_splits: pd.DataFrame, topic_tuning: TopicTuning, embeddings: EmbeddingsParams
) -> StudyStore:
    """The study's store, once checked right after ingestion: its trials were run on these splits.

    Raises
    ------
    ProvenanceMismatchError
        If the stored study was run on other papers or splits, saying how to name a new
        study (``topic_tuning.study_name``); before any embedding is computed.
    ValueError
        If ``topic_tuning.final_max_papers`` leaves no subset of train to fit the final
        model on (:meth:`~arxiv_pipeline.topics.settings.TopicTuning.final_fraction`), or
        ``topic_tuning.word_embedding_model`` names no sentence-transformers model
        (:func:`~arxiv_pipeline.topics.words.word_model_spec`).
    """
    topic_tuning.final_fraction(paper_splits)
    if topic_tuning.word_embedding_model is not None:
        word_model_spec(topic_tuning.word_embedding_model, embeddings)
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
    validation (its subset within ``validation_max_papers``): held-out coherence, and
    the validation papers' topics (``transform``) against the arXiv taxonomy and as an
    outlier share. The study lives in the storage ``topic_tuning.storage`` names, and
    ``topic_tuning.n_workers`` processes run its trials.
    """
    keys = _used_models(topic_tuning)
    check_embedding_models(
        topic_tuning.space, list(train_embeddings), "topic_tuning.search_space.embedding_model", *keys
    )
    fraction = topic_tuning.trial_fraction(paper_splits)
    validation_fraction = topic_tuning.validation_fraction(paper_splits)
    embeddings = {"train": train_embeddings, "validation": validation_embeddings}
    cache = ReductionCache(topic_tuning.reduction_cache_size)

    def build_objective() -> TopicObjective:
        texts = {"train": train_texts, "validation": validation_texts}
        fractions = {"train": fraction, "validation": validation_fraction}
        corpus = TopicCorpus(paper_splits, texts, embeddings, fractions)
        logger.info(
            "Topic trials fit on %d training papers (size_fraction %s: %g) and are scored on %d "
            "validation papers (the nested subset %g; validation_max_papers %s).",
            len(corpus.ids("train")),
            topic_tuning.size_fraction,
            fraction,
            len(corpus.ids("validation")),
            validation_fraction,
            topic_tuning.validation_max_papers,
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
        validation_fraction=validation_fraction,
    )
    logger.info(
        "Topic study '%s': %d trials; reductions in this process computed %d times, reused %d times.",
        study.study_name,
        len(study.trials),
        cache.misses,
        cache.hits,
    )
    return study


def _candidate_trials(study: optuna.Study, topic_tuning: TopicTuning) -> list[optuna.trial.FrozenTrial]:
    """The trials refitted at the final size: the leading ones, or the one the parameters name."""
    if topic_tuning.final_trial != "best" or topic_tuning.multi_objective:
        # A named trial, or a Pareto front (no single ranking): that one trial.
        return [topic_tuning.choose_final_trial(study)]
    leading = leading_trials(study, topic_tuning.constraints, topic_tuning.final_candidates)
    return leading or [topic_tuning.choose_final_trial(study)]  # raises, naming why


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
) -> tuple[TopicModelBundle, pd.DataFrame, pd.DataFrame, pd.DataFrame, dict[str, Any]]:
    """The final topic map: the study's leading trials refitted at the final size, the best
    and most stable kept, its coarse level chosen, and every paper of every split given both
    topics.

    The ``topic_tuning.final_candidates`` best feasible trials (distinct parameters) are
    each fitted on the nested subset of train that ``topic_tuning.final_size_fraction`` and
    ``topic_tuning.final_max_papers`` leave
    (:meth:`~arxiv_pipeline.topics.settings.TopicTuning.final_fraction`) under the
    study's first seed (size-free parameters converted with its document count), the
    validation papers assigned by ``transform`` and the trial's outlier reduction,
    ``topic_tuning.assign_chunk_size`` papers at a time (every other paper of every split
    only for the one that ships). Each is scored on the validation papers trials were
    scored on (``topic_tuning.validation_max_papers``) and fitted under
    ``topic_tuning.stability_seeds`` seeds on the trials' subset; of those within one
    standard deviation over seeds of the highest ``topic_tuning.measure``, the most stable
    ships (:func:`~arxiv_pipeline.topics.candidates.choose_candidate`). Its topic words are
    chosen by held-out coherence and diversity among the c-TF-IDF words of ``topic_tuning.word_settings`` and
    the ``topic_tuning.word_representations`` (:mod:`arxiv_pipeline.topics.words`), and its
    fine topics are merged into a coarse level (:mod:`arxiv_pipeline.topics.levels`).

    Returns
    -------
    tuple
        The model with its config (the embedding model new documents must be embedded
        with, its settings and identity, the data it was built on, the text template,
        ``topn``, each fine topic's coarse topic), the fine and the coarse topic tables
        (:class:`~arxiv_pipeline.topics.topic_map.TopicMap`), the assignments (id, split,
        topic, coarse_topic, text_hash: :func:`~arxiv_pipeline.text.templates.text_hashes`)
        of every paper, and the final metrics (the candidates beside
        their trials' scores, the chosen one's parameters and validation scores, the
        coarse level's evidence).
    """
    final_fraction = topic_tuning.final_fraction(paper_splits)  # refuses a fit smaller than the trials'
    trial_fraction = topic_tuning.trial_fraction(paper_splits)
    study = topic_tuning.store(topic_study).load()
    trials = _candidate_trials(study, topic_tuning)
    split_texts = {"train": train_texts, "validation": validation_texts, "test": test_texts}
    split_embeddings = {"train": train_embeddings, "validation": validation_embeddings, "test": test_embeddings}
    corpus = TopicCorpus(paper_splits, split_texts, split_embeddings, 1.0)
    # Candidates are scored on the validation papers trials were scored on.
    scored = TopicCorpus(
        paper_splits, split_texts, split_embeddings, {"validation": topic_tuning.validation_fraction(paper_splits)}
    )
    config = topic_tuning.objective_config()
    labels = taxonomy_labels(papers, {split: corpus.ids(split) for split in SPLITS})
    texts = {split: corpus.texts(split) for split in SPLITS}
    scored_texts = {split: scored.texts(split) for split in SPLITS}
    # The scored papers' labels, taken from the whole split's rather than read again.
    kept = corpus.nested("validation", scored.size_fraction("validation"))
    scoring = HeldOutScoring(
        "validation",
        coherence_reference(scored_texts["validation"], "validation"),
        {level: values[kept] for level, values in labels["validation"].items()},
        config.topn,
    )
    fitted = corpus.nested("train", final_fraction)
    logger.info(
        "The final topic model is fitted on %d of %d training papers: the nested subset %g "
        "(final_size_fraction %g, final_max_papers %s); every paper is assigned %d at a time, "
        "in %d processes.",
        fitted.sum(),
        len(fitted),
        final_fraction,
        topic_tuning.final_size_fraction,
        topic_tuning.final_max_papers,
        topic_tuning.assign_chunk_size,
        topic_tuning.assign_processes,
    )
    warn_over_cap(
        int(fitted.sum()), topic_tuning.final_max_papers, "topic_tuning.final_max_papers", "the topic models are fitted"
    )
    seed = config.seeds[0]
    candidates = [
        _refit_candidate(trial, scored, scored_texts, fitted, scoring, trial_fraction, topic_tuning)
        for trial in trials
    ]
    chosen = choose_candidate([candidate for candidate, _ in candidates], config.measure)
    params = next(params for candidate, params in candidates if candidate is chosen)
    # From here only the chosen candidate's fit is used: the others' (each a reducer and a
    # clustering of the final model's papers) are let go before every paper is assigned.
    candidate_summaries = [candidate.summary(config.measure) for candidate, _ in candidates]
    del candidates
    key = params["embedding_model"]
    split_vectors = {split: corpus.vectors(split, key) for split in SPLITS}
    whole = scored.size_fraction("validation") == 1.0
    # Where the candidate assigned a subset of validation, the whole split is assigned anew.
    fit = chosen.fit if whole else dataclasses.replace(chosen.fit, before={}, after={})
    fit = assign_rest(
        fit, texts, split_vectors, params, topic_tuning.assign_chunk_size, n_jobs=topic_tuning.assign_processes
    )
    fit_documents = select(texts["train"], fitted)
    params, words = choose_words(
        fit.model,
        fit_documents,
        params,
        topic_tuning.word_settings,
        topic_tuning.word_representations,
        word_embedder(topic_tuning.word_embedding_model, embeddings),
        seed,
        scoring.reference,
        config.topn,
    )
    topic_map = build_topic_map(
        fit.model,
        fit_documents,
        split_vectors["train"][fitted],
        corpus.ids("train")[fitted],
        fit.after["train"][fitted],
        fit.after["validation"],
        labels["validation"]["archive"],
        (topic_tuning.min_coarse_topics, topic_tuning.max_coarse_topics),
    )
    metrics = _final_metrics(chosen, params, seed, fitted, candidate_summaries, topic_map, topic_tuning, labels, fit)
    metrics["fit_size_fraction"] = final_fraction
    metrics["scored_validation_papers"] = len(scored.ids("validation"))
    metrics["words"] = words
    # Coherence, diversity and n_topics of the shipped topic words, on the scored validation papers.
    metrics["validation"] = scoring.topic_scores(fit.model) | metrics["validation"]
    # New documents go through the reducer fitted on train, then the clusterer's prediction.
    fit.model.umap_model = fit.reducer
    bundle = TopicModelBundle(
        fit.model,
        {
            **lineage(paper_splits, key, embeddings.models[key], train_embeddings[key]),
            "text_template": embeddings.text_template,
            "topn": config.topn,
            "top_n_words": params["top_n_words"],
            "trial": chosen.trial,
            "params": params,
            # Predict places new papers at both levels from the model alone.
            "coarse_of": topic_map.coarse_of.tolist(),
            "coarse_words": topic_map.coarse["words"].map(list).tolist(),
        },
    )
    assignments = pd.concat(
        [
            pd.DataFrame(
                {
                    "id": corpus.ids(split),
                    "split": split,
                    "topic": fit.after[split],
                    "coarse_topic": topic_map.coarse_topics(fit.after[split]),
                    # topic_update tells a later snapshot's revised papers by it.
                    "text_hash": text_hashes(split_texts[split].texts),
                }
            )
            for split in SPLITS
        ],
        ignore_index=True,
    )
    return bundle, topic_map.fine, topic_map.coarse, assignments, metrics


def _refit_candidate(
    trial: optuna.trial.FrozenTrial,
    corpus: TopicCorpus,
    documents: dict[str, Sequence[str]],
    fitted: np.ndarray,
    scoring: HeldOutScoring,
    trial_fraction: float,
    topic_tuning: TopicTuning,
) -> tuple[Candidate, dict[str, Any]]:
    """A trial refitted at the final size under the study's first seed, with its stability,
    and its parameters."""
    params = fit_params(trial.params, _used_models(topic_tuning)[0])
    vectors = {split: corpus.vectors(split, params["embedding_model"]) for split in SPLITS}
    seed = topic_tuning.objective_config().seeds[0]
    candidate = refit_candidate(trial, params, documents, vectors, seed, fitted, scoring, topic_tuning.assign_chunk_size)
    measured = _stability(corpus, documents, vectors, params, trial_fraction, scoring, topic_tuning)
    return dataclasses.replace(candidate, stability=measured), params


def _stability(
    corpus: TopicCorpus,
    documents: dict[str, Sequence[str]],
    vectors: dict[str, np.ndarray],
    params: dict[str, Any],
    trial_fraction: float,
    scoring: HeldOutScoring,
    topic_tuning: TopicTuning,
) -> Stability | None:
    """A candidate's stability on the trials' subset (:func:`.candidates.stability`), or None."""
    if topic_tuning.stability_seeds < 2:
        return None
    subset = corpus.nested("train", trial_fraction)
    return stability(
        {"train": select(documents["train"], subset), "validation": documents["validation"]},
        {"train": vectors["train"][subset], "validation": vectors["validation"]},
        params,
        range(topic_tuning.seed, topic_tuning.seed + topic_tuning.stability_seeds),
        scoring,
        topic_tuning.measure,
        topic_tuning.assign_chunk_size,
    )


def _final_metrics(
    chosen: Candidate,
    params: dict[str, Any],
    seed: int,
    fitted: np.ndarray,
    candidate_summaries: list[dict[str, Any]],
    topic_map: TopicMap,
    topic_tuning: TopicTuning,
    labels: dict[str, dict[str, np.ndarray]],
    fit: Refit,
) -> dict[str, Any]:
    """What ``final_topic_metrics`` records: the choice, its evidence and every split's scores."""
    fit_documents = int(fitted.sum())
    size, samples = hdbscan_sizes(params, fit_documents)
    metrics: dict[str, Any] = {
        "trial": chosen.trial,
        "params": params,
        "seed": seed,
        "measure": topic_tuning.measure,
        "final_size_fraction": topic_tuning.final_size_fraction,
        "final_max_papers": topic_tuning.final_max_papers,
        "fit_documents": fit_documents,
        "hdbscan": {"min_cluster_size": size, "min_samples": samples},
        "candidates": candidate_summaries,
        "coarse": {
            "n_topics": topic_map.choice.n_topics,
            "chosen_by": "validation nmi_archive",
            "nmi_archive_by_n_topics": topic_map.choice.scores,
        },
    }
    for split in SPLITS:
        coarse = topic_map.coarse_topics(fit.after[split])
        metrics[split] = assignment_metrics(fit.before[split], fit.after[split], labels[split], "")
        metrics[split]["coarse"] = taxonomy_agreement(coarse, labels[split])
        metrics[f"{split}_outlier_share"] = metrics[split]["outlier_share"]
    return metrics
