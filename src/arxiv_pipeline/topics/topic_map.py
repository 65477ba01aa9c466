"""The topic map users get: fine topics, the coarse topics they merge into, named, with papers.

Built from a refitted model (:mod:`.refit`): the fine level is the model's own topics,
the coarse level a cut of their tree (:mod:`.levels`) chosen on held-out papers. Both
tables carry each topic's words (the fine level's as :mod:`.words` chose them, the coarse
level's in c-TF-IDF order), a short name (its first distinct words), its size and its representative papers (those closest to the topic's centroid).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .levels import (
    CoarseChoice,
    choose_coarse_count,
    class_tfidf_words,
    cut_tree,
    representative_rows,
    to_coarse,
    topic_centroids,
    topic_tree,
)
from .model import topic_words

if TYPE_CHECKING:
    from bertopic import BERTopic

#: Words of a topic's short name.
NAME_WORDS = 3

#: Representative papers kept per topic.
REPRESENTATIVES = 5


def topic_name(words: Sequence[str]) -> str:
    """A topic's short name: its first :data:`NAME_WORDS` words that add a word to it.

    A word (or n-gram) whose words are all in the name already (``network`` after
    ``neural network``), give or take a plural s, is skipped, and an underscore (from
    LaTeX, ``x_i``) reads as a space.
    """
    kept, seen = [], set()
    for word in words:
        tokens = {token.removesuffix("s") for token in word.replace("_", " ").split()}
        if tokens and not tokens <= seen:
            kept.append(word.replace("_", " "))
            seen |= tokens
        if len(kept) == NAME_WORDS:
            break
    return ", ".join(kept)


def topic_label(topic: int, name: str) -> str:
    """How views list a topic: its number and name (``3: galaxies, stellar, cluster``)."""
    return f"{topic}: {name}"


@dataclass(frozen=True)
class TopicMap:
    """The two levels of a fitted model.

    Attributes
    ----------
    fine, coarse
        One row per topic: ``topic``, ``size`` (papers the model was fitted on, after
        outlier reduction), ``words``, ``name`` (:func:`topic_name`),
        ``representative_ids``; ``fine`` also ``coarse_topic`` and ``label``
        (:func:`topic_label`), with the outlier topic -1 as a row where the fit has outliers.
    coarse_of
        Each fine topic's coarse topic (index: fine topic).
    choice
        How many coarse topics, and the held-out evidence for it.
    """

    fine: pd.DataFrame
    coarse: pd.DataFrame
    coarse_of: np.ndarray
    choice: CoarseChoice

    def coarse_topics(self, topics: np.ndarray) -> np.ndarray:
        """Papers' coarse topics from their fine ones (-1 stays -1)."""
        return to_coarse(topics, self.coarse_of)


def build_topic_map(
    model: BERTopic,
    documents: list[str],
    vectors: np.ndarray,
    ids: np.ndarray,
    topics: np.ndarray,
    held_out_topics: np.ndarray,
    held_out_archives: np.ndarray,
    coarse_topics: tuple[int, int],
) -> TopicMap:
    """Both levels of ``model``, fitted on ``documents`` (rows of ``vectors`` and ``ids``).

    Parameters
    ----------
    topics
        The fitted papers' final (fine) topics, after outlier reduction.
    held_out_topics, held_out_archives
        The held-out (validation) papers' fine topics and archives: they choose the cut
        (:func:`.levels.choose_coarse_count`).
    coarse_topics
        The fewest and the most coarse topics a cut may have.
    """
    words = topic_words(model)
    centroids = topic_centroids(vectors, topics, len(words))
    if len(words) >= 2:
        choice = choose_coarse_count(
            topic_tree(centroids), held_out_topics, held_out_archives, *coarse_topics
        )
    else:  # one topic (or none): the coarse level is the fine one
        choice = CoarseChoice(len(words), {})
    coarse_of, coarse_words = coarse_level(model, documents, centroids, topics, choice.n_topics)
    coarse_topics = to_coarse(topics, coarse_of)
    fine = _table(words, topics, ids, representative_rows(vectors, topics, centroids, REPRESENTATIVES))
    fine["coarse_topic"] = [int(coarse_of[topic]) if topic >= 0 else -1 for topic in fine["topic"]]
    fine["label"] = [topic_label(topic, name) for topic, name in zip(fine["topic"], fine["name"], strict=True)]
    coarse_centroids = topic_centroids(vectors, coarse_topics, len(coarse_words))
    coarse = _table(
        coarse_words,
        coarse_topics,
        ids,
        representative_rows(vectors, coarse_topics, coarse_centroids, REPRESENTATIVES),
    )
    return TopicMap(fine, coarse[coarse["topic"] >= 0].reset_index(drop=True), coarse_of, choice)


def coarse_level(
    model: BERTopic,
    documents: list[str],
    centroids: np.ndarray,
    topics: np.ndarray,
    n_coarse: int,
) -> tuple[np.ndarray, dict[int, list[str]]]:
    """The fine topics cut into ``n_coarse`` coarse ones, and the coarse topics' words.

    Parameters
    ----------
    model
        The fitted model (its vectorizer gives the words, as it gave the fine topics').
    documents, topics
        The papers the model was fitted on and their fine topics.
    centroids
        The fine topics' centroids (:func:`.levels.topic_centroids`).

    Returns
    -------
    tuple
        Each fine topic's coarse topic, and each coarse topic's words in c-TF-IDF order
        (as many as the fine topics have).
    """
    n_fine = len(centroids)
    coarse_of = (
        cut_tree(topic_tree(centroids), min(n_coarse, n_fine))
        if n_fine >= 2
        else np.zeros(n_fine, dtype=np.int64)
    )
    n_words = max((len(words) for words in topic_words(model).values()), default=0)
    words = class_tfidf_words(
        model.vectorizer_model.transform(documents),
        to_coarse(topics, coarse_of),
        int(coarse_of.max()) + 1 if n_fine else 0,
        n_words,
        model.vectorizer_model.get_feature_names_out(),
    )
    return coarse_of, words


def _table(
    words: dict[int, list[str]],
    topics: np.ndarray,
    ids: np.ndarray,
    representatives: dict[int, list[int]],
) -> pd.DataFrame:
    """One row per topic (-1 first where there are outliers): size, words, name, representatives."""
    topics = np.asarray(topics)
    numbers = ([-1] if (topics == -1).any() else []) + sorted(words)
    sizes = np.bincount(topics + 1, minlength=len(words) + 1)
    return pd.DataFrame(
        {
            "topic": numbers,
            "size": [int(sizes[topic + 1]) for topic in numbers],
            "words": [words.get(topic, []) for topic in numbers],
            "name": ["outliers" if topic == -1 else topic_name(words[topic]) for topic in numbers],
            "representative_ids": [
                [str(ids[row]) for row in representatives.get(topic, [])] for topic in numbers
            ],
        }
    )
