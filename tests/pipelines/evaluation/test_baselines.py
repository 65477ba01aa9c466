"""The baselines on small hand-made corpora: they run and predict what they should."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
import scipy.sparse as sp

from arxiv_pipeline.classifier.baselines import label_prior, tfidf_logistic_regression
from arxiv_pipeline.classifier.data import LabelledSplit
from arxiv_pipeline.classifier.metrics import (
    label_ranking_average_precision,
    precision_at_k,
    tune_threshold,
)
from arxiv_pipeline.corpus.splitting import largest_subset_within
from arxiv_pipeline.pipelines.evaluation.nodes import _coherence_texts, score_with_tfidf_logreg
from arxiv_pipeline.reporting.settings import EvaluationParams
from arxiv_pipeline.text.templates import SplitTexts, TextChunks
from arxiv_pipeline.topics.baselines import FittedTopics, LdaCorpus, kmeans, lda, lda_corpus
from arxiv_pipeline.topics.coherence import CoherenceScorer
from arxiv_pipeline.topics.comparison import check_seeds, kmeans_sizes
from arxiv_pipeline.topics.corpus import TopicCorpus
from tests.parameters import paper_splits_by_size

SETTINGS = {
    "vectorizer": {"min_df": 1},
    "C": [0.01, 10.0],
    "max_iter": 1000,
    "n_jobs": None,
    "chunk_size": 1000,
    "max_train_papers": None,
}
TOPICS = {
    "physics": "quark gluon plasma collider hadron jet",
    "biology": "protein cell gene enzyme membrane folding",
    "finance": "market price volatility option portfolio risk",
}


def corpus(per_topic: int, seed: int) -> tuple[list[str], np.ndarray]:
    """Texts from three vocabularies; label j for topic j, and label 3 on every physics text."""
    rng = np.random.default_rng(seed)
    texts, targets = [], []
    for j, words in enumerate(TOPICS.values()):
        for _ in range(per_topic):
            texts.append(" ".join(rng.choice(words.split(), size=8)))
            targets.append([j == 0, j == 1, j == 2, j == 0])
    return texts, np.array(targets, dtype=np.float32)


def test_tfidf_logistic_regression_learns_the_vocabularies():
    train_texts, train_targets = corpus(20, seed=0)
    test_texts, test_targets = corpus(5, seed=1)
    validation_texts, validation_targets = corpus(5, seed=2)
    # Label 4 has no training paper: a constant predictor, probability 0.
    train_targets, validation_targets = (
        np.hstack([targets, np.zeros((len(targets), 1), np.float32)])
        for targets in (train_targets, validation_targets)
    )
    texts = {"validation": validation_texts, "test": test_texts}
    found, regularisation = tfidf_logistic_regression(
        train_texts, train_targets, texts, validation_targets, SETTINGS
    )
    # The C kept is the one whose model alone scores best on validation (the first on ties).
    alone = [
        tfidf_logistic_regression(
            train_texts, train_targets, texts, validation_targets, {**SETTINGS, "C": [value]}
        )[0]
        for value in SETTINGS["C"]
    ]
    validation_f1 = [tune_threshold(validation_targets, s["validation"])[1].max() for s in alone]
    assert regularisation == SETTINGS["C"][int(np.argmax(validation_f1))]
    scores = found["test"]
    assert scores.shape == (15, 5)
    # Each text's own vocabulary label ranks first among the three.
    assert np.array_equal(scores[:, :3].argmax(axis=1), test_targets[:, :3].argmax(axis=1))
    assert np.all(scores[:, 4] == 0)


def test_chunked_tfidf_scores_equal_scores_at_once():
    train_texts, train_targets = corpus(20, seed=0)
    validation_texts, validation_targets = corpus(5, seed=2)
    test_texts, _ = corpus(5, seed=1)
    texts = {"validation": validation_texts, "test": test_texts}
    at_once, chosen = tfidf_logistic_regression(
        train_texts, train_targets, texts, validation_targets, SETTINGS
    )
    # Chunks of 2 of the 15 papers, the texts read from Arrow a chunk at a time.
    chunks = {split: TextChunks(pa.array(values), np.arange(len(values))) for split, values in texts.items()}
    chunked, chosen_chunked = tfidf_logistic_regression(
        train_texts, sp.csr_array(train_targets), chunks, validation_targets, {**SETTINGS, "chunk_size": 2}
    )
    assert chosen_chunked == chosen
    for split in texts:
        np.testing.assert_array_equal(chunked[split], at_once[split])


def test_the_label_prior_gives_every_paper_the_training_frequencies():
    _, targets = corpus(10, seed=0)
    for stored in (targets, sp.csr_array(targets.astype(np.uint8))):
        scores = label_prior(stored, {"validation": 2, "test": 3})
        assert scores["test"].shape == (3, 4)
        np.testing.assert_allclose(scores["test"], [[1 / 3, 1 / 3, 1 / 3, 1 / 3]] * 3)


#: Training papers per nested subset of a corpus of 2.5M papers (train 2,000,000), / 100.
FULL_SNAPSHOT_TRAIN = {0.05: 1_000, 0.1: 1_000, 0.4: 6_000, 1.0: 12_000}


@pytest.mark.parametrize(
    ("train_per_size", "cap", "expected"),
    [
        (FULL_SNAPSHOT_TRAIN, 2_500, 0.1),  # the default cap / 100: the 0.1 subset
        (FULL_SNAPSHOT_TRAIN, 2_000, 0.1),  # a subset exactly at the cap is within it
        (FULL_SNAPSHOT_TRAIN, 1_999, 0.05),
        (FULL_SNAPSHOT_TRAIN, None, 1.0),  # no cap
        (FULL_SNAPSHOT_TRAIN, 500, 0.05),  # below every subset: the smallest
        # The 118,180-paper corpus's train split (94,549 papers) under the default cap: all of it.
        ({0.05: 4734, 0.1: 4722, 0.4: 28380, 1.0: 56713}, 250_000, 1.0),
    ],
)
def test_the_cap_picks_the_largest_nested_subset_within_it(train_per_size, cap, expected):
    assert largest_subset_within(paper_splits_by_size(train_per_size), "train", cap) == expected


def test_the_tfidf_baseline_trains_on_the_largest_nested_subset_within_its_cap():
    texts, targets = {}, {}
    for split, (per_topic, seed) in {"train": (20, 0), "validation": (5, 2), "test": (5, 1)}.items():
        texts[split], targets[split] = corpus(per_topic, seed)
    sizes = np.resize([0.1, 0.4, 1.0, 1.0], 60)  # 15, 30 and 60 training papers
    paper_splits = pd.DataFrame({
        "id": [f"{split}{row:02d}" for split in texts for row in range(len(texts[split]))],
        "split": [split for split in texts for _ in texts[split]],
        "size_fraction": [*sizes, *[1.0] * 30],
    })
    # Every 7th training paper has no vocabulary label: not a training paper of the baseline.
    labelled = {split: np.arange(len(texts[split])) for split in texts}
    labelled["train"] = np.setdiff1d(labelled["train"], np.arange(0, 60, 7))
    evaluation_targets = {
        split: LabelledSplit(
            split, rows.astype(str), rows, sp.csr_array(targets[split][rows].astype(np.uint8)), 0
        )
        for split, rows in labelled.items()
    }
    split_texts = {split: SplitTexts(split, pa.array(values), pa.array(values), "") for split, values in texts.items()}
    cap = 29  # the 0.4 subset holds 30 papers: the 0.1 subset, 15, is the largest within
    evaluation = EvaluationParams(
        tfidf_logreg={**SETTINGS, "max_train_papers": cap, "chunk_size": 4}, lda={}, kmeans={}, seeds=[42]
    )
    found = score_with_tfidf_logreg(
        evaluation_targets, paper_splits, *(split_texts[split] for split in texts), evaluation
    )
    kept = labelled["train"][sizes[labelled["train"]] <= 0.1]
    assert found["train_papers"] == len(kept) == 15 - 3
    expected, chosen = tfidf_logistic_regression(
        [texts["train"][row] for row in kept],
        targets["train"][kept],
        {"validation": texts["validation"], "test": texts["test"]},
        targets["validation"],
        SETTINGS,
    )
    assert found["params"] == {"C": chosen}
    for split in ("validation", "test"):
        np.testing.assert_array_equal(found[split], expected[split])


def test_coherence_is_measured_on_the_largest_nested_subset_within_its_cap():
    sizes = {"train": np.resize([0.1, 0.4, 1.0, 1.0], 40), "validation": np.resize([0.1, 0.4, 1.0, 1.0], 20)}
    sizes["test"] = sizes["validation"]
    paper_splits = pd.DataFrame({
        "id": [f"{split}{row:02d}" for split, values in sizes.items() for row in range(len(values))],
        "split": [split for split, values in sizes.items() for _ in values],
        "size_fraction": np.concatenate(list(sizes.values())),
    })
    texts = {
        split: SplitTexts(split, pa.array(frame["id"]), pa.array("text of " + frame["id"]), "")
        for split, frame in paper_splits.groupby("split")
    }
    # The final model fitted on train's 0.4 subset (20 papers).
    corpus = TopicCorpus(paper_splits, texts, {}, {"train": 0.4})
    found = _coherence_texts(corpus, paper_splits, max_papers=12)
    # Held out: 10 papers of 20 in the 0.4 subset; train: 10 of 40 in the 0.1 subset.
    expected = {split: paper_splits.loc[(paper_splits["split"] == split) & (paper_splits["size_fraction"] <= fraction), "id"]
                for split, fraction in {"train": 0.1, "validation": 0.4, "test": 0.4}.items()}
    for split, ids in expected.items():
        assert found[split][:] == ["text of " + paper for paper in ids]
    uncapped = _coherence_texts(corpus, paper_splits, max_papers=None)
    assert {split: len(chunk) for split, chunk in uncapped.items()} == {"train": 20, "validation": 20, "test": 20}


def test_lda_finds_the_vocabularies_and_is_scored_like_bertopic():
    texts, _ = corpus(30, seed=0)
    tokens = [text.split() for text in texts]
    settings = {"passes": 20, "chunksize": 30, "iterations": 100, "no_below": 1, "no_above": 1.0}
    shared = lda_corpus({"train": tokens, "test": tokens[::10]}, settings)
    fitted = lda(shared, n_topics=3, seed=0, settings=settings, chunk_size=1000)
    topics_found = {frozenset(words[:6]) for words in fitted.words.values()}
    assert topics_found == {frozenset(words.split()) for words in TOPICS.values()}
    # Texts of one vocabulary share a topic; LDA leaves no document out.
    assignments = fitted.assignments["train"]
    assert all(len(set(assignments[j * 30 : (j + 1) * 30])) == 1 for j in range(3))
    metrics = fitted.score("train", CoherenceScorer(tokens).prepare(["c_npmi", "c_v"]), topn=6)
    assert metrics.n_topics == 3 and metrics.outlier_share == 0.0 and metrics.c_npmi > 0.1
    assert fitted.sizes("train") == [30, 30, 30]
    # Inferred 7 documents at a time, every document gets the topic of one batch.
    chunked = lda(shared, n_topics=3, seed=0, settings=settings, chunk_size=7)
    assert chunked.words == fitted.words
    for split, topics in fitted.assignments.items():
        np.testing.assert_array_equal(chunked.assignments[split], topics)


def test_lda_bags_read_in_chunks_are_gensims_bags_of_all_the_documents():
    from gensim.corpora import Dictionary

    texts, _ = corpus(30, seed=0)
    tokens = {"train": [text.split() for text in texts], "test": [text.split() for text in texts[::4]]}
    settings = {"passes": 2, "chunksize": 30, "iterations": 20, "no_below": 2, "no_above": 0.5}
    chunked = lda_corpus(tokens, settings, chunk_size=7)
    dictionary = Dictionary(tokens["train"])
    dictionary.filter_extremes(no_below=2, no_above=0.5, keep_n=None)
    assert chunked.dictionary.token2id == dictionary.token2id
    assert chunked.dictionary.dfs == dictionary.dfs
    for split, documents in tokens.items():
        bags = [dictionary.doc2bow(document) for document in documents]
        assert list(chunked.corpora[split]) == bags and chunked.corpora[split][3:9] == bags[3:9]
    # An LDA fit reads them as it reads the lists.
    fitted = lda(chunked, n_topics=3, seed=0, settings=settings, chunk_size=1000)
    listed = LdaCorpus(dictionary, {split: [dictionary.doc2bow(d) for d in docs] for split, docs in tokens.items()})
    expected = lda(listed, n_topics=3, seed=0, settings=settings, chunk_size=1000)
    assert fitted.words == expected.words
    for split, topics in expected.assignments.items():
        np.testing.assert_array_equal(fitted.assignments[split], topics)


def test_lda_fits_of_other_seeds_share_one_corpus_and_differ_only_by_seed():
    texts, _ = corpus(30, seed=0)
    tokens = {"train": [text.split() for text in texts]}
    settings = {"passes": 2, "chunksize": 30, "iterations": 20, "no_below": 1, "no_above": 1.0}
    shared = lda_corpus(tokens, settings)
    again = lda(shared, n_topics=3, seed=0, settings=settings, chunk_size=1000)
    # The shared corpus gives the fit a fresh corpus would (same seed: same words).
    fresh = lda(lda_corpus(tokens, settings), n_topics=3, seed=0, settings=settings, chunk_size=1000)
    assert again.words == fresh.words
    other = lda(shared, n_topics=3, seed=1, settings=settings, chunk_size=1000)
    assert other.words != again.words


def test_kmeans_gives_k_topics_with_c_tf_idf_words_and_assigns_every_split():
    from bertopic.vectorizers import ClassTfidfTransformer
    from sklearn.feature_extraction.text import CountVectorizer

    texts, targets = corpus(20, seed=0)
    # Embeddings: one direction per vocabulary, blurred.
    noise = np.random.default_rng(0).normal(scale=0.05, size=(len(texts), 8))
    vectors = (np.eye(3, 8)[targets[:, :3].argmax(axis=1)] + noise).astype(np.float32)
    documents = {"train": texts, "validation": texts[1::4], "test": texts[::5]}
    embeddings = {"train": vectors, "validation": vectors[1::4], "test": vectors[::5]}
    fitted = kmeans(documents, embeddings, n_clusters=3, seed=0, n_init=1, chunk_size=1000)

    train = fitted.assignments["train"]
    assert sorted(fitted.words) == [0, 1, 2] and fitted.sizes("train") == [20, 20, 20]
    # Each cluster is one vocabulary; held-out papers go to their own paper's cluster.
    assert all(len(set(train[j * 20 : (j + 1) * 20])) == 1 for j in range(3))
    for split, rows in (("validation", slice(1, None, 4)), ("test", slice(None, None, 5))):
        np.testing.assert_array_equal(fitted.assignments[split], train[rows])
    # Words in c-TF-IDF order, computed here from the clusters with BERTopic's transformer.
    clusters = [" ".join(np.asarray(texts)[train == topic]) for topic in fitted.words]
    counts = CountVectorizer(stop_words="english").fit(clusters)
    scores = ClassTfidfTransformer().fit_transform(counts.transform(clusters)).toarray()
    vocabulary = counts.vocabulary_
    for topic, words in fitted.words.items():
        found = [word for word in words if word]  # BERTopic pads a short topic with ""
        expected = {word for word, column in vocabulary.items() if scores[topic, column] > 0}
        assert set(found) == expected
        assert np.all(np.diff([scores[topic, vocabulary[word]] for word in found]) <= 0)
    # The same seed gives the same clusters and words, whatever the papers assigned at a time.
    again = kmeans(documents, embeddings, n_clusters=3, seed=0, n_init=1, chunk_size=4)
    assert again.words == fitted.words
    for split, topics in fitted.assignments.items():
        np.testing.assert_array_equal(again.assignments[split], topics)


def test_kmeans_k_is_the_number_of_training_categories_and_archives():
    labels = {
        "primary": np.array(["math.CO", "math.AG", "hep-th", "math.CO"], dtype=object),
        "archive": np.array(["math", "math", "hep-th", "math"], dtype=object),
    }
    assert kmeans_sizes(labels) == {"kmeans_categories": 3, "kmeans_archives": 2}


@pytest.mark.parametrize(
    ("seeds", "message"),
    [([], "non-empty list"), ("42", "non-empty list"), ([1, 1.5], "integers"), ([3, 3], "twice")],
)
def test_bad_evaluation_seeds_are_named(seeds, message):
    with pytest.raises(ValueError, match=f"evaluation.seeds.*{message}|{message}.*evaluation.seeds"):
        check_seeds(seeds)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"chunk_size": 0}, "evaluation.tfidf_logreg.chunk_size must be a whole number of at least 1"),
        ({"max_train_papers": 0.5}, "evaluation.tfidf_logreg.max_train_papers must be a whole number"),
        ({"max_train_papers": True}, "evaluation.tfidf_logreg.max_train_papers must be a whole number"),
    ],
)
def test_bad_tfidf_sizes_are_named(override, message):
    with pytest.raises(ValueError, match=message):
        EvaluationParams(tfidf_logreg={**SETTINGS, **override}, lda={}, kmeans={}, seeds=[42])
    # null is no cap.
    EvaluationParams(tfidf_logreg={**SETTINGS, "max_train_papers": None}, lda={}, kmeans={}, seeds=[42])


def test_a_bad_coherence_cap_is_named():
    with pytest.raises(ValueError, match="evaluation.coherence_max_papers must be a whole number"):
        EvaluationParams(tfidf_logreg=SETTINGS, lda={}, kmeans={}, seeds=[42], coherence_max_papers=0)
    # null is no cap.
    EvaluationParams(tfidf_logreg=SETTINGS, lda={}, kmeans={}, seeds=[42], coherence_max_papers=None)


def test_topic_sizes_leave_outliers_out():
    fitted = FittedTopics({0: ["a", "b"], 1: ["c", "d"]}, {"train": np.array([-1, 1, 1, 0, -1, 1])})
    assert fitted.sizes("train") == [3, 1]
    assert fitted.score(
        "train", CoherenceScorer([["a", "b", "c", "d"]]).prepare(["c_npmi", "c_v"]), 2
    ).outlier_share == pytest.approx(2 / 6)


def many_labels(per_label: int, n_labels: int, seed: int) -> tuple[list[str], np.ndarray]:
    """Texts naming one or two of ``n_labels`` labels by their own word, among shared filler."""
    rng = np.random.default_rng(seed)
    filler = [f"filler{i}" for i in range(20)]
    texts, targets = [], np.zeros((per_label * n_labels, n_labels), np.uint8)
    for row in range(per_label * n_labels):
        own = [row % n_labels, *rng.choice(n_labels, size=rng.integers(0, 2))]
        targets[row, own] = 1
        texts.append(" ".join([*(f"label{j}" for j in own), *rng.choice(filler, size=6)]))
    return texts, targets


def test_tfidf_logistic_regression_keeps_label_columns_past_127_labels():
    # Regression: int8 targets made scikit-learn's LabelBinarizer wrap label 128 to -128
    # and permute the columns; on 30,000 real papers (131 labels) P@1 fell to 0.013.
    n_labels = 140
    train_texts, train_targets = many_labels(4, n_labels, seed=0)
    validation_texts, validation_targets = many_labels(1, n_labels, seed=1)
    test_texts, test_targets = many_labels(1, n_labels, seed=2)
    settings = {**SETTINGS, "C": [10.0]}
    texts = {"validation": validation_texts, "test": test_texts}
    found, _ = tfidf_logistic_regression(
        train_texts, train_targets, texts, validation_targets, settings
    )
    prior = label_prior(train_targets, {"test": len(test_texts)})["test"]
    scores = found["test"]
    # Each paper's top label is one it carries; the prior cannot rank that well.
    assert precision_at_k(test_targets, scores, 1) == 1.0
    assert precision_at_k(test_targets, prior, 1) < 0.1
    assert label_ranking_average_precision(test_targets, scores) > 0.95
    assert label_ranking_average_precision(test_targets, prior) < 0.2
