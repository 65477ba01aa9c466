"""Tests for arxiv_pipeline.topics.coherence: parity with gensim's CoherenceModel and topic diversity."""

from __future__ import annotations

import json
import pickle
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
from gensim.corpora import Dictionary
from gensim.models.coherencemodel import CoherenceModel
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import CountVectorizer

from arxiv_pipeline.text.templates import TextChunks
from arxiv_pipeline.topics.coherence import CoherenceScorer, topic_diversity
from arxiv_pipeline.topics.model import Tokenised, analyzer, chunks_of, coherence_reference

# Our arithmetic must not divide by zero, even on padded (shorter) topics.
pytestmark = pytest.mark.filterwarnings("error::RuntimeWarning")

SAMPLE = Path(__file__).parents[1] / ".." / "shared" / "data" / "arxiv_sample_2007.jsonl"
TOLERANCE = 1e-6

def gensim_per_topic(
    topics: list[list[str]],
    texts: list[list[str]],
    dictionary: Dictionary,
    measure: str,
    topn: int,
    window_size: int | None = None,
) -> np.ndarray:
    """Reference values from gensim, single process."""
    model = CoherenceModel(
        topics=topics,
        texts=texts,
        dictionary=dictionary,
        coherence=measure,
        topn=topn,
        window_size=window_size,
        processes=1,
    )
    return np.asarray(model.get_coherence_per_topic(), dtype=np.float64)

# --------------------------------------------------------------------------------------------------
# Hand-made corpora
# --------------------------------------------------------------------------------------------------

TINY_TEXTS = [
    "a b a x x c a b b d".split(),
    [],  # an empty text still counts as one window in gensim
    "c d".split(),  # shorter than the window: one window holding the whole text
    "a b c d e".split(),
    "e e e a e e b e c".split(),  # a word repeated inside one window
    "b oov c oov oov a oov d".split(),  # "oov" is left out of the dictionary below
    "d c b a a b c d e e a".split(),
]
TINY_TOPICS = [["a", "b", "c"], ["d", "e", "a", "c"], ["b", "e"]]

@pytest.fixture(scope="module")
def tiny_dictionary() -> Dictionary:
    dictionary = Dictionary(TINY_TEXTS)
    dictionary.filter_tokens(bad_ids=[dictionary.token2id["oov"]])
    return dictionary

@pytest.mark.parametrize("measure", ["c_npmi", "c_v"])
@pytest.mark.parametrize("window_size", [1, 2, 3, 4, 5, 10, 110])
def test_tiny_corpus_matches_gensim(tiny_dictionary: Dictionary, measure: str, window_size: int) -> None:
    scorer = CoherenceScorer(TINY_TEXTS, tiny_dictionary)
    ours = scorer.per_topic(TINY_TOPICS, measure=measure, topn=4, window_size=window_size)
    reference = gensim_per_topic(TINY_TOPICS, TINY_TEXTS, tiny_dictionary, measure, 4, window_size)
    np.testing.assert_allclose(ours, reference, rtol=0, atol=TOLERANCE)
    assert scorer.score(TINY_TOPICS, measure=measure, topn=4, window_size=window_size) == pytest.approx(
        reference.mean(), abs=TOLERANCE
    )

def test_window_presence_follows_gensim_not_the_textbook_window() -> None:
    """gensim clears a word's flag when one copy leaves the window, even if another copy is inside.

    Text "a b a x x c", window 3 -> windows [a b a] [b a x] [a x x] [x x c], so N = 4. gensim marks
    "a" present only in the first window (a textbook window: the first three) and "b" in the first two.
    NPMI(a, b) = log((1/4) / (1/4 * 2/4)) / -log(1/4) = 0.5; the textbook window would give 0.415.
    """
    texts = ["a b a x x c".split()]
    expected = np.log(2) / np.log(4)
    assert CoherenceScorer(texts).score([["a", "b"]], window_size=3) == pytest.approx(expected, abs=1e-9)
    reference = gensim_per_topic([["a", "b"]], texts, Dictionary(texts), "c_npmi", 2, window_size=3)
    assert reference[0] == pytest.approx(expected, abs=1e-9)

def test_hand_computed_npmi_and_cv_on_one_window_texts() -> None:
    texts = [["quantum", "field", "theory"], ["quantum", "gravity"], ["dark", "matter", "halo"]]
    scorer = CoherenceScorer(texts)
    # Three texts shorter than the window: three windows. P(quantum)=2/3, P(field)=1/3, P(both)=1/3.
    npmi_quantum_field = np.log((1 / 3) / (2 / 9)) / np.log(3)
    np.testing.assert_allclose(
        scorer.per_topic([["quantum", "field"], ["dark", "matter"]], measure="c_npmi"),
        [npmi_quantum_field, 1.0],
        atol=1e-9,
    )
    # Two words always seen together: identical context vectors, c_v = 1.
    assert scorer.score([["dark", "matter"]], measure="c_v") == pytest.approx(1.0, abs=1e-9)

def test_each_topic_is_cut_to_its_own_topn(tiny_dictionary: Dictionary) -> None:
    scorer = CoherenceScorer(TINY_TEXTS, tiny_dictionary)
    long_topics = [["a", "b", "c", "d", "e"], ["b", "e"], ["d", "e", "a"]]
    cut = [topic[:3] for topic in long_topics]
    for measure in ("c_npmi", "c_v"):
        ours = scorer.per_topic(long_topics, measure=measure, topn=3)
        np.testing.assert_array_equal(ours, scorer.per_topic(cut, measure=measure, topn=3))
        reference = gensim_per_topic(cut, TINY_TEXTS, tiny_dictionary, measure, 3)
        np.testing.assert_allclose(ours, reference, rtol=0, atol=TOLERANCE)

def test_default_dictionary_is_every_token() -> None:
    with_default = CoherenceScorer(TINY_TEXTS)
    with_gensim = CoherenceScorer(TINY_TEXTS, Dictionary(TINY_TEXTS))
    topics = TINY_TOPICS + [["oov", "a"]]
    for measure in ("c_npmi", "c_v"):
        np.testing.assert_array_equal(
            with_default.per_topic(topics, measure=measure), with_gensim.per_topic(topics, measure=measure)
        )

def test_scorer_survives_pickling(tiny_dictionary: Dictionary) -> None:
    scorer = CoherenceScorer(TINY_TEXTS, tiny_dictionary).prepare()
    restored = pickle.loads(pickle.dumps(scorer))
    for measure in ("c_npmi", "c_v"):
        assert restored.score(TINY_TOPICS, measure=measure) == scorer.score(TINY_TOPICS, measure=measure)

def test_empty_texts_and_empty_corpus() -> None:
    scorer = CoherenceScorer([[], []])
    with pytest.raises(KeyError, match="not in the dictionary"):
        scorer.score([["a", "b"]])

@pytest.mark.parametrize(
    ("topics", "kwargs", "error", "match"),
    [
        ([["a", "zzz"]], {}, KeyError, "not in the dictionary: \\['zzz'\\]"),
        ([["a", "never"]], {}, KeyError, "never occur in the texts: \\['never'\\]"),
        ([["a", "b"]], {"measure": "u_mass"}, ValueError, "unknown coherence measure"),
        ([["a", "b"]], {"topn": 1}, ValueError, "topn must be at least 2"),
        ([["a", "b"]], {"window_size": 0}, ValueError, "window_size must be positive"),
        ([], {}, ValueError, "no topics"),
        ([["a", "b"], ["a"]], {}, ValueError, "topic 1 has 1 word"),
        ([["a", "b", "a"]], {}, ValueError, "repeats a word"),
    ],
)
def test_invalid_input_raises(
    topics: list[list[str]], kwargs: dict, error: type[Exception], match: str
) -> None:
    dictionary = Dictionary(TINY_TEXTS + [["never"]])
    scorer = CoherenceScorer(TINY_TEXTS, dictionary)
    with pytest.raises(error, match=match):
        scorer.per_topic(topics, **kwargs)

# --------------------------------------------------------------------------------------------------
# Real arXiv abstracts
# --------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def abstracts() -> list[str]:
    if not SAMPLE.is_file():
        pytest.skip(f"real arXiv sample not found at {SAMPLE.resolve()} (see ../shared/data/README.md)")
    with SAMPLE.open(encoding="utf-8") as lines:
        return [json.loads(line)["abstract"] for line in lines]

@pytest.fixture(scope="module")
def corpus(abstracts: list[str]) -> tuple[list[list[str]], Dictionary, CoherenceScorer]:
    analyzer = CountVectorizer(stop_words="english").build_analyzer()
    texts = [analyzer(abstract) for abstract in abstracts]
    dictionary = Dictionary(texts)
    return texts, dictionary, CoherenceScorer(texts, dictionary).prepare()

@pytest.fixture(scope="module")
def topic_sets(abstracts: list[str], corpus: tuple) -> dict[str, list[list[str]]]:
    """Topics as a topic model would give them: 20 words each, most relevant first."""
    texts, dictionary, _ = corpus
    vectorizer = CountVectorizer(stop_words="english", min_df=3)
    counts = vectorizer.fit_transform(abstracts)
    vocabulary = vectorizer.get_feature_names_out()
    kmeans = KMeans(n_clusters=12, n_init=1, random_state=0).fit(counts)
    clustered = [list(vocabulary[np.argsort(-centre, kind="stable")[:20]]) for centre in kmeans.cluster_centers_]
    rng = np.random.default_rng(0)
    common = np.array([dictionary[i] for i in range(len(dictionary)) if dictionary.dfs[i] >= 5])
    rare = np.array([dictionary[i] for i in range(len(dictionary)) if dictionary.dfs[i] <= 2])
    random_common = [list(rng.choice(common, 20, replace=False)) for _ in range(15)]
    mixed = [list(rng.choice(common, 12, replace=False)) + list(rng.choice(rare, 8, replace=False)) for _ in range(8)]
    return {"kmeans": clustered, "random_common": random_common, "mixed_rare": mixed}

@pytest.mark.parametrize("measure", ["c_npmi", "c_v"])
@pytest.mark.parametrize("topn", [5, 10, 20])
@pytest.mark.parametrize("topic_set", ["kmeans", "random_common", "mixed_rare"])
def test_real_abstracts_match_gensim(
    corpus: tuple, topic_sets: dict[str, list[list[str]]], measure: str, topn: int, topic_set: str
) -> None:
    texts, dictionary, scorer = corpus
    topics = topic_sets[topic_set]
    ours = scorer.per_topic(topics, measure=measure, topn=topn)
    reference = gensim_per_topic(topics, texts, dictionary, measure, topn)
    np.testing.assert_allclose(ours, reference, rtol=0, atol=TOLERANCE)
    assert abs(scorer.score(topics, measure=measure, topn=topn) - reference.mean()) < TOLERANCE

def test_filtered_dictionary_keeps_token_positions(corpus: tuple, topic_sets: dict) -> None:
    """Tokens dropped from the dictionary still occupy window positions, as in gensim."""
    texts, full_dictionary, _ = corpus
    subset = texts[:600]
    dictionary = Dictionary(subset)
    dictionary.filter_extremes(no_below=3, no_above=0.3, keep_n=None)
    topics = [[word for word in topic if word in dictionary.token2id][:10] for topic in topic_sets["kmeans"]]
    scorer = CoherenceScorer(subset, dictionary)
    for measure in ("c_npmi", "c_v"):
        ours = scorer.per_topic(topics, measure=measure, topn=10)
        reference = gensim_per_topic(topics, subset, dictionary, measure, 10)
        np.testing.assert_allclose(ours, reference, rtol=0, atol=TOLERANCE)

def test_a_scorer_read_in_chunks_equals_one_read_at_once(abstracts: list[str], topic_sets: dict) -> None:
    """coherence_reference tokenises 7 abstracts at a time: the same counts, the same scores."""
    tokenize = analyzer()
    whole = CoherenceScorer([tokenize(text) for text in abstracts[:300]])
    chunked = CoherenceScorer.from_chunks(chunks_of(Tokenised(abstracts[:300]), 7))
    assert chunked.token2id == whole.token2id and chunked.n_texts == whole.n_texts == 300
    topics = [[word for word in topic if whole.has_word(word)][:10] for topic in topic_sets["kmeans"]]
    for measure in ("c_npmi", "c_v"):
        np.testing.assert_array_equal(chunked.per_topic(topics, measure), whole.per_topic(topics, measure))
    reference = coherence_reference(TextChunks(pa.array(abstracts), np.arange(300)), "test")
    assert reference.score(topics, "c_v") == whole.score(topics, "c_v")


# --------------------------------------------------------------------------------------------------
# Topic diversity
# --------------------------------------------------------------------------------------------------

def test_topic_diversity_hand_made() -> None:
    assert topic_diversity([["a", "b", "c"], ["d", "e", "f"]], topk=3) == 1.0
    assert topic_diversity([["a", "b", "c"], ["a", "b", "c"]], topk=3) == 0.5
    assert topic_diversity([["a", "b"], ["b", "c"]], topk=2) == 0.75
    # Only the leading topk words count.
    assert topic_diversity([["a", "b", "x"], ["c", "d", "x"]], topk=2) == 1.0
    assert topic_diversity([["a", "b", "x"], ["c", "d", "x"]], topk=3) == pytest.approx(5 / 6)
    assert topic_diversity([list("abcdefghijklmnopqrstuvwxy")]) == 1.0

def test_topic_diversity_counts_short_topics_against_topk() -> None:
    # A short (or padded) topic brings only its words: 5 unique of 2 x 3 places.
    assert topic_diversity([["a", "b", "c"], ["d", "e"]], topk=3) == pytest.approx(5 / 6)
    assert topic_diversity([["a", "b", "c"], ["d", "e", ""]], topk=3) == pytest.approx(5 / 6)

def test_has_word_tells_which_topic_words_can_be_scored() -> None:

    texts = [["quantum", "field"], ["dark", "matter"]]
    scorer = CoherenceScorer(texts, Dictionary(texts + [["unseen"]]))
    assert scorer.has_word("quantum") and scorer.has_word("matter")
    assert not scorer.has_word("unseen")  # in the dictionary, never in the texts
    assert not scorer.has_word("gravity")

def test_topic_diversity_rejects_missing_topics() -> None:
    with pytest.raises(ValueError, match="no topics"):
        topic_diversity([])
