"""The coarse level: fine topics merged by their centroids, the cut chosen on held-out papers."""

import numpy as np
import pytest
from scipy import sparse

from arxiv_pipeline.topics.levels import (
    choose_coarse_count,
    class_tfidf_words,
    cut_tree,
    representative_rows,
    to_coarse,
    topic_centroids,
    topic_tree,
)

# Six fine topics in two far-apart groups of three: (0, 1, 2) near x, (3, 4, 5) near y.
DIRECTIONS = np.array(
    [[1.0, 0.1, 0], [1.0, 0.0, 0.1], [1.0, -0.1, 0], [0.1, 1.0, 0], [0.0, 1.0, 0.1], [-0.1, 1.0, 0]]
)


def papers_of(topics: np.ndarray, seed: int = 0) -> np.ndarray:
    noise = np.random.default_rng(seed).normal(scale=0.01, size=(len(topics), 3))
    return DIRECTIONS[topics] * 3.0 + noise


def test_centroids_are_unit_mean_directions_and_skip_outliers():
    topics = np.array([0, 0, 1, -1])
    vectors = np.array([[2.0, 0, 0], [0, 2.0, 0], [0, 0, 5.0], [9.0, 9.0, 9.0]])
    centroids = topic_centroids(vectors, topics, 2)
    np.testing.assert_allclose(centroids, [[2**-0.5, 2**-0.5, 0], [0, 0, 1]], atol=1e-12)


def test_the_tree_cut_in_two_finds_the_two_groups_and_keeps_outliers_out():
    topics = np.repeat(np.arange(6), 10)
    tree = topic_tree(topic_centroids(papers_of(topics), topics, 6))
    coarse_of = cut_tree(tree, 2)
    assert coarse_of.tolist() == [0, 0, 0, 1, 1, 1]  # numbered by their first fine topic
    assert cut_tree(tree, 6).tolist() == list(range(6))
    assert to_coarse(np.array([5, -1, 1]), coarse_of).tolist() == [1, -1, 0]
    # A model that found no topic: every paper is an outlier at both levels.
    assert to_coarse(np.array([-1, -1]), np.array([], dtype=np.int64)).tolist() == [-1, -1]


def test_the_cut_is_the_one_that_agrees_best_with_the_archives():
    topics = np.repeat(np.arange(6), 10)
    tree = topic_tree(topic_centroids(papers_of(topics), topics, 6))
    archives = np.where(topics < 3, "math", "physics")
    choice = choose_coarse_count(tree, topics, archives, min_topics=2, max_topics=5)
    assert choice.n_topics == 2 and choice.scores[2] == pytest.approx(1.0)
    assert sorted(choice.scores) == [2, 3, 4, 5] and choice.scores[5] < 1.0
    # Never more cuts than there are fine topics, nor fewer than asked where they allow it.
    assert sorted(choose_coarse_count(tree, topics, archives, 2, 40).scores) == [2, 3, 4, 5, 6]
    assert sorted(choose_coarse_count(tree, topics, archives, 4, 40).scores) == [4, 5, 6]
    assert sorted(choose_coarse_count(tree, topics, archives, 9, 40).scores) == [6]


def test_class_tfidf_words_rank_each_topics_distinctive_words_first():
    vocabulary = ["common", "graph", "galaxy", "rare"]
    counts = sparse.csr_matrix(
        [[3, 2, 0, 0], [3, 2, 0, 1], [3, 0, 2, 0], [3, 0, 3, 0], [9, 9, 9, 9]]
    )
    words = class_tfidf_words(counts, np.array([0, 0, 1, 1, -1]), 2, 2, vocabulary)
    assert words == {0: ["graph", "common"], 1: ["galaxy", "common"]}
    assert class_tfidf_words(counts, np.full(5, -1), 0, 2, vocabulary) == {}


def test_representatives_are_the_papers_closest_to_their_topics_centroid():
    vectors = np.array([[1.0, 0.0], [1.0, 0.5], [0.0, 1.0], [0.2, 1.0], [1.0, 1.0]])
    topics = np.array([0, 0, 1, 1, -1])
    centroids = np.array([[1.0, 0.0], [0.0, 1.0]])
    assert representative_rows(vectors, topics, centroids, 1) == {0: [0], 1: [2]}
    assert representative_rows(vectors, topics, centroids, 5) == {0: [0, 1], 1: [2, 3]}
