"""One BERTopic fit from a trial's parameters, and the metrics a trial records."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

from arxiv_pipeline.topics.coherence import CoherenceScorer, topic_diversity
from arxiv_pipeline.tuning.search_space import ParameterRule

from .corpus import MEASURES
from .reduction import PrecomputedReduction

if TYPE_CHECKING:
    from bertopic import BERTopic

#: BERTopic's ``reduce_outliers`` strategies a study may apply after clustering ("none":
#: keep HDBSCAN's outliers). "distributions" and "probabilities" are left out: the first
#: costs a sliding-window pass over every outlier's text, the second needs HDBSCAN's
#: probabilities, which trials do not compute.
OUTLIER_STRATEGIES = ("none", "embeddings", "c-tf-idf")

#: How the reduced embeddings are clustered into topics: HDBSCAN (BERTopic's default; the
#: number of topics follows from its sizes, and papers in no dense region are outliers), or
#: k-means (BERTopic's documented alternative: ``kmeans.n_clusters`` topics, no outliers).
CLUSTERERS = ("hdbscan", "kmeans")

#: Clusterer parameters the search space may set, per clusterer.
CLUSTERER_PARAMETERS = {"hdbscan": "hdbscan.", "kmeans": "kmeans."}

#: The parameters a topic study understands, with the values each accepts.
TOPIC_PARAMETER_RULES = {
    "embedding_model": ParameterRule("categorical"),
    "reducer": ParameterRule("categorical", choices=("umap", "pca")),
    "umap.n_neighbors": ParameterRule("int", low=2, high=500),
    "umap.n_components": ParameterRule("int", low=2, high=100),
    "umap.min_dist": ParameterRule("float", low=0.0, high=0.99),
    "pca.n_components": ParameterRule("int", low=2, high=200),
    "hdbscan.min_cluster_size": ParameterRule("int", low=2, high=100_000),
    "hdbscan.min_samples": ParameterRule("int", low=1, high=100_000),
    "hdbscan.min_cluster_fraction": ParameterRule("float", low=1e-6, high=0.5),
    "hdbscan.min_samples_ratio": ParameterRule("float", low=1e-3, high=1.0),
    "hdbscan.max_min_samples": ParameterRule("int", low=1, high=100_000),
    "hdbscan.cluster_selection_epsilon": ParameterRule("float", low=0.0, high=10.0),
    "hdbscan.cluster_selection_method": ParameterRule("categorical", choices=("eom", "leaf")),
    "cluster": ParameterRule("categorical", choices=CLUSTERERS),
    "kmeans.n_clusters": ParameterRule("int", low=2, high=100_000),
    "vectorizer.min_df": ParameterRule("int", low=1, high=100),
    "vectorizer.max_df": ParameterRule("float", low=0.05, high=1.0),
    "vectorizer.ngram_range": ParameterRule("categorical", choices=("1-1", "1-2", "1-3")),
    "top_n_words": ParameterRule("int", low=5, high=100),
    "nr_topics": ParameterRule("int", low=2, high=100_000),
    "outliers.strategy": ParameterRule("categorical", choices=OUTLIER_STRATEGIES),
    "outliers.threshold": ParameterRule("float", low=0.0, high=1.0),
}

#: Values used for parameters a search space leaves out.
TOPIC_DEFAULTS = {
    "reducer": "umap",
    "umap.n_neighbors": 15,
    "umap.n_components": 5,
    "umap.min_dist": 0.0,
    "pca.n_components": 10,
    "hdbscan.min_cluster_size": 10,
    "hdbscan.min_samples": None,
    "hdbscan.min_cluster_fraction": None,
    "hdbscan.min_samples_ratio": None,
    # HDBSCAN finds every fitted paper's min_samples nearest neighbours at once: fitted
    # papers x min_samples x 16 bytes. A ratio drawn on a small tuning subset can ask for
    # thousands at the final size (tens of GB); 500 bounds it to 2 GB at
    # topic_tuning.final_max_papers (250,000).
    "hdbscan.max_min_samples": 500,
    "hdbscan.cluster_selection_epsilon": 0.0,
    "hdbscan.cluster_selection_method": "eom",
    "cluster": "hdbscan",
    "kmeans.n_clusters": 50,
    "vectorizer.min_df": 1,
    "vectorizer.max_df": 1.0,
    "vectorizer.ngram_range": "1-1",
    "top_n_words": 10,
    "nr_topics": None,
    # Measured on the real sample (UMAP, min_cluster_fraction 0.005 / 0.01): held-out NMI
    # against the primary category 0.462 / 0.442 without, 0.550 / 0.514 with it, and a
    # validation outlier share of 0.30 / 0.33 brought to 0.
    "outliers.strategy": "embeddings",
    "outliers.threshold": 0.0,
}

#: Size-dependent HDBSCAN parameters and the size-free form that replaces each.
SIZE_FREE_FORMS = {
    "hdbscan.min_cluster_size": "hdbscan.min_cluster_fraction",
    "hdbscan.min_samples": "hdbscan.min_samples_ratio",
}

#: Diversity is defined on the top 25 words of each topic (Dieng et al. 2020).
DIVERSITY_TOPK = 25

_Item = TypeVar("_Item")

#: Documents tokenised at a time: bounds the Python strings of tokens held at once.
TOKENISED_CHUNK = 10_000

#: Below this many documents a coherence reference is noise (issue 12: 201 validation
#: papers gave every model a negative c_npmi), so the run warns.
MIN_REFERENCE_DOCUMENTS = 5_000

logger = logging.getLogger(__name__)


def analyzer() -> Any:
    """The tokenizer of topic words and of coherence texts: lowercase words, English stop words out."""
    return CountVectorizer(stop_words="english").build_analyzer()


def hdbscan_sizes(params: dict[str, Any], n_documents: int) -> tuple[int, int | None]:
    """HDBSCAN's ``min_cluster_size`` and ``min_samples`` for a fit on ``n_documents``.

    ``hdbscan.min_cluster_fraction`` (a share of the fit's documents, at least 2) and
    ``hdbscan.min_samples_ratio`` (a share of that min_cluster_size, at least 1) carry
    over from a tuning subset to a larger final fit; where they are None the absolute
    ``hdbscan.min_cluster_size`` / ``hdbscan.min_samples`` are used as they are.
    ``min_samples`` (or ``min_cluster_size``, which HDBSCAN takes where it is None) is at
    most ``hdbscan.max_min_samples``, which bounds the memory of HDBSCAN's neighbour search.
    """
    fraction, ratio = params["hdbscan.min_cluster_fraction"], params["hdbscan.min_samples_ratio"]
    size = params["hdbscan.min_cluster_size"] if fraction is None else max(2, round(fraction * n_documents))
    samples = params["hdbscan.min_samples"] if ratio is None else max(1, round(ratio * size))
    ceiling = params["hdbscan.max_min_samples"]
    wanted = size if samples is None else samples  # HDBSCAN's min_samples where it is None
    if wanted > ceiling:
        logger.info(
            "HDBSCAN's min_samples is %d, not %d, on %d papers: hdbscan.max_min_samples bounds "
            "the memory of its neighbour search.",
            ceiling,
            wanted,
            n_documents,
        )
        samples = ceiling
    return int(size), None if samples is None else int(samples)


class Tokenised(Sequence[list[str]]):
    """Documents tokenised as topic words are (:func:`analyzer`), a slice at a time.

    Nothing is tokenised until a slice is read, so a
    :class:`~arxiv_pipeline.text.templates.TextChunks` read through :func:`chunks_of`
    makes Python strings of one chunk at a time.
    """

    def __init__(self, documents: Sequence[str]) -> None:
        self._documents = documents
        self._tokenize = analyzer()

    def __len__(self) -> int:
        return len(self._documents)

    def __getitem__(self, index: int | slice) -> list[str] | list[list[str]]:
        if isinstance(index, slice):
            return [self._tokenize(text) for text in self._documents[index]]
        return self._tokenize(self._documents[index])


def chunks_of(items: Sequence[_Item], chunk_size: int = TOKENISED_CHUNK) -> Iterator[Sequence[_Item]]:
    """Consecutive slices of ``items`` of ``chunk_size`` (the last one shorter)."""
    for start in range(0, len(items), chunk_size):
        yield items[start : start + chunk_size]


def coherence_reference(documents: Sequence[str], split: str) -> CoherenceScorer:
    """A coherence scorer (both measures prepared) on ``documents``, tokenised as topic words are.

    The documents are tokenised a chunk at a time (:class:`Tokenised`) into the scorer's
    token-id arrays. Logs a warning when the reference holds fewer than
    :data:`MIN_REFERENCE_DOCUMENTS`.
    """
    if len(documents) < MIN_REFERENCE_DOCUMENTS:
        logger.warning(
            "Coherence on %s is measured against %d documents (< %d): held-out c_npmi and c_v "
            "are noisy at this size.",
            split,
            len(documents),
            MIN_REFERENCE_DOCUMENTS,
        )
    return CoherenceScorer.from_chunks(chunks_of(Tokenised(documents))).prepare(MEASURES)


def make_clusterer(
    params: dict[str, Any], n_documents: int, seed: int, prediction_data: bool = False
) -> Any:
    """The clustering model a fit's parameters ask for (``cluster``: ``hdbscan`` or ``kmeans``).

    ``prediction_data`` keeps what HDBSCAN needs to assign new documents (trials, which
    assign the validation papers, and the final model need it); k-means always predicts.
    ``kmeans.n_clusters`` is capped at the number of documents.
    """
    if params["cluster"] == "kmeans":
        from sklearn.cluster import KMeans

        return KMeans(
            n_clusters=min(params["kmeans.n_clusters"], n_documents), n_init=1, random_state=seed
        )
    from hdbscan import HDBSCAN

    min_cluster_size, min_samples = hdbscan_sizes(params, n_documents)
    return HDBSCAN(
        min_cluster_size=min_cluster_size,
        min_samples=min_samples,
        cluster_selection_epsilon=params["hdbscan.cluster_selection_epsilon"],
        cluster_selection_method=params["hdbscan.cluster_selection_method"],
        prediction_data=prediction_data,
    )


def make_vectorizer(params: dict[str, Any]) -> CountVectorizer:
    """The vectorizer of a fit's topic words (``vectorizer.*``; English stop words out)."""
    low, high = (int(n) for n in params["vectorizer.ngram_range"].split("-"))
    return CountVectorizer(
        stop_words="english",
        min_df=params["vectorizer.min_df"],
        max_df=params["vectorizer.max_df"],
        ngram_range=(low, high),
    )


def words_kept(params: dict[str, Any]) -> int:
    """Words kept per topic: diversity needs the top 25; coherence cuts to its own ``topn``."""
    return max(params["top_n_words"], DIVERSITY_TOPK)


def fit_topic_model(
    documents: list[str],
    embeddings: np.ndarray,
    reduced: np.ndarray,
    params: dict[str, Any],
    seed: int,
    prediction_data: bool = False,
) -> BERTopic:
    """Fit BERTopic on ``documents`` with a reduction computed beforehand.

    ``seed`` seeds the clustering (k-means; HDBSCAN is deterministic);
    ``prediction_data``: see :func:`make_clusterer`.
    """
    # BERTopic (and torch behind it) is imported where a model is fit: importing it costs
    # seconds and hundreds of MB, and Kedro imports every pipeline for every command.
    from bertopic import BERTopic

    model = BERTopic(
        umap_model=PrecomputedReduction(reduced),
        hdbscan_model=make_clusterer(params, len(documents), seed, prediction_data),
        vectorizer_model=make_vectorizer(params),
        top_n_words=words_kept(params),
        nr_topics=params["nr_topics"],
        calculate_probabilities=False,
    )
    model.fit(documents, embeddings=embeddings)
    compact_prediction_data(model.hdbscan_model)
    return model


def compact_prediction_data(clusterer: Any) -> None:
    """Let a fitted HDBSCAN's prediction data hold its core distances alone.

    hdbscan keeps them as a column of its (papers x ``min_samples``) matrix of neighbour
    distances (``prediction.py``: ``tree.query(data, k=min_samples)[0][:, -1]``), a view
    that keeps the whole matrix alive as long as the model: 800 MB for ``min_samples`` 500
    on 200,000 papers, for each candidate the final model chooses among. Other clusterers
    are left as they are.
    """
    data = getattr(clusterer, "_prediction_data", None)
    if data is not None and data.core_distances.base is not None:
        data.core_distances = data.core_distances.copy()


def topic_words(model: BERTopic) -> dict[int, list[str]]:
    """Each topic's words in c-TF-IDF order, the outlier topic -1 left out."""
    return {
        topic: [word for word, _ in model.get_topic(topic)]
        for topic in sorted(model.get_topics())
        if topic != -1
    }


@dataclass(frozen=True)
class TopicMetrics:
    """What one fit scores: the objective candidates and the shape of the clustering."""

    c_npmi: float
    c_v: float
    diversity: float
    n_topics: int
    outlier_share: float
    fit_seconds: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def scorable_topics(
    topics: list[list[str]], scorer: CoherenceScorer, topn: int
) -> list[list[str]]:
    """The first ``topn`` words of each topic that the scorer's texts hold, in c-TF-IDF order.

    Words absent from the scorer's texts (n-grams, words of training papers only) cannot
    be scored, so they are skipped before the cut; topics left with fewer than two words
    are dropped.
    """
    kept = [[word for word in topic if scorer.has_word(word)][:topn] for topic in topics]
    return [topic for topic in kept if len(topic) >= 2]


def score_topics(
    model: BERTopic, scorer: CoherenceScorer, topn: int, fit_seconds: float
) -> TopicMetrics:
    """Coherence of the model's topics on the scorer's texts, diversity, and cluster shape.

    Coherence scores :func:`scorable_topics`. A model with fewer than two topics gets the
    worst coherence (-1 for c_npmi, 0 for c_v).
    """
    words = topic_words(model)
    scorable = scorable_topics(list(words.values()), scorer, topn)
    enough = len(words) >= 2 and len(scorable) >= 2
    return TopicMetrics(
        c_npmi=scorer.score(scorable, "c_npmi", topn=topn) if enough else -1.0,
        c_v=scorer.score(scorable, "c_v", topn=topn) if enough else 0.0,
        diversity=topic_diversity(list(words.values()), topk=DIVERSITY_TOPK) if words else 0.0,
        n_topics=len(words),
        outlier_share=float(np.mean(np.asarray(model.topics_) == -1)),
        fit_seconds=fit_seconds,
    )


def timed_fit(
    documents: list[str],
    embeddings: np.ndarray,
    reduced: np.ndarray,
    params: dict[str, Any],
    seed: int,
    prediction_data: bool = False,
) -> tuple[BERTopic, float]:
    """:func:`fit_topic_model` and the seconds it took."""
    start = time.perf_counter()
    model = fit_topic_model(documents, embeddings, reduced, params, seed, prediction_data)
    return model, time.perf_counter() - start
