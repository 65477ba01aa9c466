"""The coarse level of a topic map: fine topics merged by their place in embedding space.

The fine topics of a fitted model are the leaves of a tree: Ward's agglomerative
clustering of their centroids (the mean direction of their papers' embeddings, as
BERTopic's own topic embeddings are). A coarse level is a cut of that tree: every fine
topic belongs to exactly one coarse topic, so every paper has a topic at both levels.
How many coarse topics is chosen on held-out papers (:func:`choose_coarse_count`): the
cut whose topics agree best with arXiv's archives (NMI), among cuts of ``min_topics`` to
``max_topics`` topics. Coarse topic words are c-TF-IDF words of the merged topics, computed by
BERTopic's own :class:`~bertopic.vectorizers.ClassTfidfTransformer` on the fine model's
vocabulary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import normalized_mutual_info_score


def unit_rows(vectors: np.ndarray) -> np.ndarray:
    """Each row scaled to length 1 (a zero row stays zero)."""
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return vectors / np.where(norms == 0, 1.0, norms)


def topic_centroids(vectors: np.ndarray, topics: np.ndarray, n_topics: int) -> np.ndarray:
    """Each topic's mean direction: the normalised mean of its papers' normalised embeddings.

    Parameters
    ----------
    vectors
        The papers' embeddings (rows).
    topics
        Each paper's topic, ``0 .. n_topics - 1``; -1 (outliers) is left out.
    n_topics
        Topics; one without papers gets a zero row.
    """
    topics = np.asarray(topics)
    kept = topics >= 0
    sums = np.zeros((n_topics, vectors.shape[1]), dtype=np.float64)
    np.add.at(sums, topics[kept], unit_rows(np.asarray(vectors[kept], dtype=np.float64)))
    return unit_rows(sums)


def topic_tree(centroids: np.ndarray) -> np.ndarray:
    """Ward's linkage of the topic centroids (SciPy's linkage matrix)."""
    from scipy.cluster.hierarchy import linkage

    return linkage(centroids, method="ward")


def cut_tree(tree: np.ndarray, n_coarse: int) -> np.ndarray:
    """Each fine topic's coarse topic when the tree is cut into ``n_coarse`` groups.

    Coarse topics are numbered ``0 .. n_coarse - 1`` in order of their first fine topic,
    so the numbering is the same for the same tree.
    """
    from scipy.cluster.hierarchy import fcluster

    groups = fcluster(tree, t=n_coarse, criterion="maxclust")
    _, first = np.unique(groups, return_index=True)
    order = {group: rank for rank, group in enumerate(groups[np.sort(first)])}
    return np.array([order[group] for group in groups], dtype=np.int64)


def to_coarse(topics: np.ndarray, coarse_of: np.ndarray) -> np.ndarray:
    """Papers' fine topics mapped to their coarse topics; outliers (-1) stay -1."""
    topics = np.asarray(topics, dtype=np.int64)
    coarse = np.full(len(topics), -1, dtype=np.int64)
    assigned = topics >= 0  # a model without topics has an empty coarse_of
    coarse[assigned] = coarse_of[topics[assigned]]
    return coarse


@dataclass(frozen=True)
class CoarseChoice:
    """The chosen cut and the evidence for it.

    Attributes
    ----------
    n_topics
        Coarse topics of the chosen cut.
    scores
        Held-out NMI with the archives of every cut tried, by its number of topics.
    """

    n_topics: int
    scores: dict[int, float]


def choose_coarse_count(
    tree: np.ndarray,
    held_out_topics: np.ndarray,
    archives: np.ndarray,
    min_topics: int,
    max_topics: int,
) -> CoarseChoice:
    """The cut of the tree whose topics agree best with the held-out papers' archives.

    Every cut from ``min_topics`` (at least 2) to ``max_topics`` coarse topics, none above
    the number of fine topics, is scored by NMI (arithmetic) between the held-out papers'
    coarse topics and their archives, outliers counting as one more cluster; ties go to
    fewer topics. With fewer fine topics than ``min_topics``, every cut they allow is tried.
    """
    n_fine = tree.shape[0] + 1
    high = max(2, min(max_topics, n_fine))
    scores = {}
    for n_coarse in range(min(max(2, min_topics), high), high + 1):
        coarse = to_coarse(held_out_topics, cut_tree(tree, n_coarse))
        scores[n_coarse] = float(normalized_mutual_info_score(archives, coarse))
    best = max(scores, key=lambda n: (scores[n], -n))
    return CoarseChoice(best, scores)


def class_tfidf_words(
    counts, topics: np.ndarray, n_topics: int, n_words: int, vocabulary: Sequence[str]
) -> dict[int, list[str]]:
    """Each topic's top words by c-TF-IDF, as BERTopic weighs them.

    Parameters
    ----------
    counts
        Document-term counts (sparse), rows aligned with ``topics``, columns with
        ``vocabulary``: the fine model's vectorizer applied to the papers it was fitted on.
    topics
        Each document's topic, ``0 .. n_topics - 1``; -1 is left out.
    """
    from bertopic.vectorizers import ClassTfidfTransformer
    from scipy import sparse

    if n_topics == 0:
        return {}
    topics = np.asarray(topics)
    kept = np.flatnonzero(topics >= 0)
    membership = sparse.csr_matrix(
        (np.ones(len(kept)), (topics[kept], kept)), shape=(n_topics, counts.shape[0])
    )
    weights = ClassTfidfTransformer().fit_transform(membership @ counts).toarray()
    vocabulary = np.asarray(vocabulary)
    return {
        topic: [str(word) for word in vocabulary[np.argsort(-row, kind="stable")[:n_words]] if row.any()]
        for topic, row in enumerate(weights)
    }


def representative_rows(
    vectors: np.ndarray, topics: np.ndarray, centroids: np.ndarray, per_topic: int
) -> dict[int, list[int]]:
    """Each topic's papers closest to its centroid (cosine), closest first, as row numbers."""
    topics = np.asarray(topics)
    rows = np.flatnonzero(topics >= 0)
    similarity = np.einsum(
        "ij,ij->i", unit_rows(np.asarray(vectors[rows], dtype=np.float64)), centroids[topics[rows]]
    )
    table = pd.DataFrame({"row": rows, "topic": topics[rows], "similarity": similarity})
    best = table.sort_values(["topic", "similarity"], ascending=[True, False], kind="stable")
    return {
        int(topic): group["row"].head(per_topic).tolist() for topic, group in best.groupby("topic")
    }
