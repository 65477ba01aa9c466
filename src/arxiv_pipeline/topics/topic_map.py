"""The topic map users get: fine topics, the coarse topics they merge into, named, with papers.

Built from a refitted model (:mod:`.refit`): the fine level is the model's own topics,
the coarse level a cut of their tree (:mod:`.levels`) chosen on held-out papers. Both
tables carry each topic's words in c-TF-IDF order, a short name (its first words), its
size and its representative papers (those closest to the topic's centroid).
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
    """A topic's short name: its first :data:`NAME_WORDS` words."""
    return ", ".join(words[:NAME_WORDS])


@dataclass(frozen=True)
class TopicMap:
    """The two levels of a fitted model.

    Attributes
    ----------
    fine, coarse
        One row per topic: ``topic``, ``size`` (papers the model was fitted on, after
        outlier reduction), ``words``, ``name``, ``representative_ids``; ``fine`` also
        ``coarse_topic`` and BERTopic's ``label``, with the outlier topic -1 as a row
        where the fit has outliers.
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
    max_coarse_topics: int,
) -> TopicMap:
    """Both levels of ``model``, fitted on ``documents`` (rows of ``vectors`` and ``ids``).

    Parameters
    ----------
    topics
        The fitted papers' final (fine) topics, after outlier reduction.
    held_out_topics, held_out_archives
        The held-out (validation) papers' fine topics and archives: they choose the cut
        (:func:`.levels.choose_coarse_count`).
    max_coarse_topics
        The most coarse topics a cut may have.
    """
    words = topic_words(model)
    n_fine = len(words)
    centroids = topic_centroids(vectors, topics, n_fine)
    if n_fine >= 2:
        tree = topic_tree(centroids)
        choice = choose_coarse_count(tree, held_out_topics, held_out_archives, max_coarse_topics)
        coarse_of = cut_tree(tree, choice.n_topics)
    else:  # one topic (or none): the coarse level is the fine one
        choice, coarse_of = CoarseChoice(n_fine, {}), np.zeros(n_fine, dtype=np.int64)
    coarse_topics = to_coarse(topics, coarse_of)
    n_coarse = int(coarse_of.max()) + 1 if n_fine else 0
    counts = model.vectorizer_model.transform(documents)
    coarse_words = class_tfidf_words(
        counts,
        coarse_topics,
        n_coarse,
        max(len(topic) for topic in words.values()) if words else 0,
        model.vectorizer_model.get_feature_names_out(),
    )
    fine = _table(words, topics, ids, representative_rows(vectors, topics, centroids, REPRESENTATIVES))
    fine["coarse_topic"] = [int(coarse_of[topic]) if topic >= 0 else -1 for topic in fine["topic"]]
    labels = dict(zip(model.get_topic_info()["Topic"], model.get_topic_info()["Name"], strict=True))
    fine["label"] = [labels.get(topic, str(topic)) for topic in fine["topic"]]
    coarse_centroids = topic_centroids(vectors, coarse_topics, n_coarse)
    coarse = _table(
        coarse_words,
        coarse_topics,
        ids,
        representative_rows(vectors, coarse_topics, coarse_centroids, REPRESENTATIVES),
    )
    return TopicMap(fine, coarse[coarse["topic"] >= 0].reset_index(drop=True), coarse_of, choice)


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
