"""Papers assigned a chunk at a time get the topics one batch of them all would."""

import numpy as np
import pytest

from arxiv_pipeline.corpus.splitting import SPLITS
from arxiv_pipeline.topics.assignment import assign_in_chunks, assign_topics, reduce_outliers
from arxiv_pipeline.topics.corpus import TopicCorpus
from arxiv_pipeline.topics.model import compact_prediction_data
from arxiv_pipeline.topics.objective import fit_params
from arxiv_pipeline.topics.reduction import (
    make_reducer,
    reduce_chunk,
    reduce_with,
    transform_epochs,
)
from arxiv_pipeline.topics.refit import assign_rest, refit
from tests.conftest import load_dataset
from tests.workflows import embedded_copy

#: UMAP as trials draw it, and BERTopic's c-TF-IDF outlier reduction, which reads each
#: paper's text.
PARAMS = fit_params({"reducer": "umap", "outliers.strategy": "c-tf-idf"}, "tfidf_svd")


def chunks_of(rows: np.ndarray, sizes: list[int]) -> list[np.ndarray]:
    """``rows`` cut into consecutive chunks of these sizes (the last takes the rest)."""
    return np.split(rows, np.cumsum(sizes))


@pytest.mark.parametrize(("papers", "sizes"), [(900, [400, 1, 333]), (10_050, [5000, 1, 333])])
def test_umap_reduces_chunks_as_one_batch_of_them_all(papers, sizes):
    # 10,050 papers: UMAP optimises one batch of them for fewer epochs than a chunk alone.
    # Fitted on 20 points: UMAP computes a new point's distance to each in Python.
    rng = np.random.default_rng(0)
    centres = rng.normal(size=(4, 8))
    points = centres[rng.integers(0, 4, 20 + papers)] + rng.normal(scale=0.3, size=(20 + papers, 8))
    points = points.astype(np.float32)
    reducer = make_reducer(PARAMS, seed=42).fit(points[:20])
    new = points[20:]
    whole = reduce_with(reducer, new)
    chunks = chunks_of(np.arange(papers), sizes)
    epochs = transform_epochs(reducer, papers)
    np.testing.assert_array_equal(np.vstack([reduce_chunk(reducer, new[rows], epochs) for rows in chunks]), whole)
    # UMAP's own transform of each chunk alone reduces them otherwise: it scales each
    # chunk by its own heaviest edge.
    alone = np.vstack([reducer.transform(new[rows]) for rows in chunks])
    assert np.abs(alone - whole).max() > 0.01
    # A paper's reduction does not depend on its batch's other papers.
    assert np.array_equal(reduce_with(reducer, new[:3]), whole[:3]) == (papers <= 10_000)
    # The reducer is left as it was fitted.
    assert reducer.n_epochs is None


def test_a_fitted_clusterer_keeps_its_core_distances_not_its_neighbour_matrix():
    from hdbscan import HDBSCAN, approximate_predict

    points = np.random.default_rng(0).normal(size=(600, 5))
    clusterer = HDBSCAN(min_samples=50, prediction_data=True).fit(points)
    distances = clusterer.prediction_data_.core_distances
    assert distances.base is not None and distances.base.size >= 600 * 50  # hdbscan's view
    before = approximate_predict(clusterer, points[:100])
    compact_prediction_data(clusterer)
    assert clusterer.prediction_data_.core_distances.base is None
    np.testing.assert_array_equal(clusterer.prediction_data_.core_distances, distances)
    for got, expected in zip(approximate_predict(clusterer, points[:100]), before, strict=True):
        np.testing.assert_array_equal(got, expected)


def test_every_paper_of_every_split_gets_its_one_batch_topic(project, arxiv_sample):
    """On the real sample, fitted on its 0.1 subset of train: 37 papers at a time."""
    embedded = embedded_copy(project, arxiv_sample)
    corpus = TopicCorpus(
        load_dataset(embedded, "paper_splits"),
        {split: load_dataset(embedded, f"{split}_texts") for split in SPLITS},
        {split: load_dataset(embedded, f"{split}_embeddings") for split in SPLITS},
        1.0,
    )
    texts = {split: corpus.texts(split) for split in SPLITS}  # read from Arrow a chunk at a time
    documents = {split: corpus.documents(split) for split in SPLITS}
    vectors = {split: corpus.vectors(split, "tfidf_svd") for split in SPLITS}
    fitted = corpus.nested("train", 0.1)
    assert 0 < fitted.sum() < len(fitted)
    batch = refit(documents, vectors, PARAMS, 42, fitted, chunk_size=10**6)
    chunked = refit(texts, vectors, PARAMS, 42, fitted, chunk_size=37)
    # A candidate assigns validation only; the rest, assigned once it ships, is the same.
    candidate = refit(texts, vectors, PARAMS, 42, fitted, chunk_size=37, splits=("validation",))
    assert set(candidate.after) == {"validation"}
    completed = assign_rest(candidate, texts, vectors, PARAMS, chunk_size=37)
    for split in SPLITS:
        for found in (chunked, completed):
            np.testing.assert_array_equal(found.before[split], batch.before[split])
            np.testing.assert_array_equal(found.after[split], batch.after[split])
    # HDBSCAN left outliers, and the outlier reduction placed some of them.
    outliers = [(batch.before[split] == -1).sum() - (batch.after[split] == -1).sum() for split in SPLITS]
    assert min(outliers) > 0

    # One batch of a split is what assigning it used to be: one transform of all its papers.
    model, reducer = batch.model, batch.reducer
    for split in ("validation", "test"):
        before = assign_topics(model, documents[split], vectors[split], reduce_with(reducer, vectors[split]))
        np.testing.assert_array_equal(batch.before[split], before)
        after = reduce_outliers(model, documents[split], before, vectors[split], PARAMS)
        np.testing.assert_array_equal(batch.after[split], after)
    # The other outlier reduction, by embeddings, chunk by chunk: the same topics.
    by_embeddings = PARAMS | {"outliers.strategy": "embeddings"}
    one = assign_in_chunks(model, reducer, documents["test"], vectors["test"], by_embeddings, 10**6)
    many = assign_in_chunks(model, reducer, texts["test"], vectors["test"], by_embeddings, 50)
    # In two processes, as the final model assigns its chunks: the same topics.
    parallel = assign_in_chunks(model, reducer, texts["test"], vectors["test"], by_embeddings, 50, n_jobs=2)
    for found in (many, parallel):
        for topics, expected in zip(found, one, strict=True):
            np.testing.assert_array_equal(topics, expected)
    np.testing.assert_array_equal(one[0], batch.before["test"])
