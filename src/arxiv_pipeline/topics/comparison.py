"""The final comparison of topic models: each fitted once per seed, scored, and summarised.

The tuned configuration, BERTopic's defaults, gensim LDA and k-means with k = the number
of primary categories / archives (:mod:`.baselines`) are fitted under every seed of
``evaluation.seeds`` on the same papers; what no seed enters (the documents, embeddings,
LDA's bags of words, each split's coherence reference) is built once. Metrics are reported
per seed and as mean and population standard deviation.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .agreement import taxonomy_agreement
from .baselines import FittedTopics, default_bertopic, kmeans, lda, lda_corpus, tuned_bertopic
from .model import Tokenised, coherence_reference
from .words import WordEmbedder

if TYPE_CHECKING:
    from arxiv_pipeline.reporting.settings import EvaluationParams

logger = logging.getLogger(__name__)

#: The k-means yardsticks (MTEB's clustering protocol): each one's taxonomy level, whose
#: number of labels is its k.
KMEANS_LEVELS = {"kmeans_categories": "primary", "kmeans_archives": "archive"}


def check_seeds(seeds: Any) -> tuple[int, ...]:
    """``evaluation.seeds`` as a tuple: a non-empty list of distinct integers.

    Raises
    ------
    ValueError
        Naming ``evaluation.seeds`` and what is wrong with it.
    """
    if (
        not isinstance(seeds, Sequence)
        or isinstance(seeds, str)
        or not seeds
        or not all(isinstance(seed, int) and not isinstance(seed, bool) for seed in seeds)
    ):
        raise ValueError(f"evaluation.seeds must be a non-empty list of integers, got {seeds!r}.")
    if len(set(seeds)) < len(seeds):
        raise ValueError(f"evaluation.seeds holds a seed twice: {list(seeds)}.")
    return tuple(seeds)


def kmeans_sizes(train_labels: Mapping[str, np.ndarray]) -> dict[str, int]:
    """Each k-means yardstick's k: the distinct labels of its level among the training papers.

    Parameters
    ----------
    train_labels
        Taxonomy level (``primary``, ``archive``) -> each training paper's label.
    """
    return {name: len(set(train_labels[level])) for name, level in KMEANS_LEVELS.items()}


def fit_over_seeds(
    final: tuple[FittedTopics, FittedTopics],
    final_topic_metrics: Mapping[str, Any],
    documents: Mapping[str, Sequence[str]],
    vectors: Mapping[str, np.ndarray],
    train_labels: Mapping[str, np.ndarray],
    seeds: Sequence[int],
    settings: EvaluationParams,
    chunk_size: int,
    embedder: WordEmbedder | None = None,
    n_jobs: int = 1,
) -> dict[str, list[FittedTopics]]:
    """The tuned configuration, BERTopic defaults, LDA and the k-means yardsticks, each
    fitted once per seed.

    Parameters
    ----------
    final
        The final topic model's topics and assignments at the fine and the coarse level,
        used as the tuned model's run under its own seed (``final_topic_metrics["seed"]``)
        instead of a refit.
    final_topic_metrics
        Its ``params`` (refitted under the other seeds), ``seed`` and coarse ``n_topics``.
    documents, vectors
        Per split, the texts and embeddings: every model is fitted on ``train`` (the final
        model's papers, a list) and assigns the other splits ``chunk_size`` papers at a
        time, so theirs may be read a chunk at a time (a
        :class:`~arxiv_pipeline.text.templates.TextChunks`). LDA reads the texts tokenised
        as for coherence, a chunk at a time, as compact bags of words built once for every
        seed.
    train_labels
        Taxonomy level -> each training paper's label: the k of k-means (:func:`kmeans_sizes`).
    settings
        The ``evaluation`` parameters: ``lda`` and ``kmeans`` are read.
    chunk_size
        Papers assigned at a time (``topic_tuning.assign_chunk_size``).
    embedder
        The tuned model's word embedder (:func:`.words.embedder_of`), for its refits' words.
    n_jobs
        Processes assigning the BERTopic models' chunks at once (``topic_tuning.assign_jobs``).

    Returns
    -------
    dict
        ``tuned_bertopic``, ``tuned_bertopic_coarse``, ``default_bertopic``, ``lda`` and the names of
        :data:`KMEANS_LEVELS`: one :class:`FittedTopics` per seed, in the order of
        ``seeds``. LDA fits as many topics as ``final`` has (at least 2, LDA's least
        useful number).
    """
    lda_settings, n_init = settings.lda, settings.kmeans["n_init"]
    bags = lda_corpus({split: Tokenised(texts) for split, texts in documents.items()}, lda_settings)
    params, n_topics = final_topic_metrics["params"], max(len(final[0].words), 2)
    n_coarse = final_topic_metrics["coarse"]["n_topics"]
    sizes = kmeans_sizes(train_labels)
    levels = ("tuned_bertopic", "tuned_bertopic_coarse")
    fitted: dict[str, list[FittedTopics]] = {
        name: [] for name in (*levels, "default_bertopic", "lda", *sizes)
    }
    for number, seed in enumerate(seeds, start=1):
        logger.info("Topic models under seed %d (%d of %d).", seed, number, len(seeds))
        both = (
            final
            if seed == final_topic_metrics["seed"]
            else _logged_levels(lambda: tuned_bertopic(documents, vectors, params, seed, n_coarse, chunk_size, embedder, n_jobs))
        )
        for name, level in zip(levels, both, strict=True):
            fitted[name].append(level)
        fitted["default_bertopic"].append(
            _logged("BERTopic defaults", lambda: default_bertopic(documents, vectors, seed, chunk_size, n_jobs))
        )
        fitted["lda"].append(_logged("LDA", lambda: lda(bags, n_topics, seed, lda_settings, chunk_size)))
        for name, k in sizes.items():
            fitted[name].append(
                _logged(f"k-means (k={k})", lambda: kmeans(documents, vectors, k, seed, n_init, chunk_size))
            )
    return fitted


def _logged_levels(
    fit: Callable[[], tuple[FittedTopics, FittedTopics]],
) -> tuple[FittedTopics, FittedTopics]:
    start = time.perf_counter()
    fine, coarse = fit()
    logger.info(
        "  tuned BERTopic: %d topics, %d coarse, in %.0f s.",
        len(fine.words),
        len(coarse.words),
        time.perf_counter() - start,
    )
    return fine, coarse


def _logged(name: str, fit: Callable[[], FittedTopics]) -> FittedTopics:
    # Each fit takes minutes at 100,000 papers: say which one ended, and when.
    start = time.perf_counter()
    fitted = fit()
    logger.info("  %s: %d topics in %.0f s.", name, len(fitted.words), time.perf_counter() - start)
    return fitted


def seed_statistics(
    per_seed: Mapping[str, Mapping[str, Sequence[Mapping[str, float]]]],
) -> dict[str, dict[str, dict[str, Any]]]:
    """Each model's metrics over the seeds: the first seed's, the mean and the (population) std.

    Parameters
    ----------
    per_seed
        Model -> split -> one metrics dict per seed.

    Returns
    -------
    dict
        ``models`` (the first seed's metrics), ``mean`` and ``std``: model -> split -> metric.
    """
    result: dict[str, dict[str, dict[str, Any]]] = {"models": {}, "mean": {}, "std": {}}
    for name, by_split in per_seed.items():
        for key in result:
            result[key][name] = {}
        for split, runs in by_split.items():
            table = {metric: np.array([run[metric] for run in runs], dtype=float) for metric in runs[0]}
            result["models"][name][split] = dict(runs[0])
            result["mean"][name][split] = {m: float(v.mean()) for m, v in table.items()}
            result["std"][name][split] = {m: float(v.std()) for m, v in table.items()}
    return result


def score_over_seeds(
    models: Mapping[str, Sequence[FittedTopics]],
    documents: Mapping[str, Sequence[str]],
    labels: Mapping[str, Mapping[str, np.ndarray]],
    topn: int,
) -> dict[str, dict[str, list[dict[str, float]]]]:
    """Every run's metrics on every split: coherence on that split's ``documents`` (its
    coherence reference: all of the split's papers or a nested subset of them, read a
    chunk at a time), diversity, n_topics, outlier share, and agreement with the split's
    taxonomy ``labels`` (see :mod:`.agreement`) over all of the split's papers.

    Each split's coherence reference is built once for every model and seed.

    Returns
    -------
    dict
        Model -> split -> one metrics dict per run (seed), in the runs' order.
    """
    scores: dict[str, dict[str, list[dict[str, float]]]] = {name: {} for name in models}
    for split, texts in documents.items():
        scorer = coherence_reference(texts, split)
        for name, runs in models.items():
            scores[name][split] = []
            for fitted in runs:
                metrics = fitted.score(split, scorer, topn).as_dict()
                metrics.pop("fit_seconds")
                agreement = taxonomy_agreement(fitted.assignments[split], labels[split])
                scores[name][split].append(metrics | agreement)
    return scores
