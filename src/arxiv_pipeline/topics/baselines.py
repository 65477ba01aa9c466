"""Topic models compared on the same texts: the tuned BERTopic, BERTopic defaults, gensim LDA,
and k-means on the embeddings (the embedding literature's clustering yardstick).

Each model is reduced to its topic words (best first) and each split's document→topic
assignments, and scored by the topic study's own :func:`score_topics`, so they are all
measured by the same code. :mod:`.comparison` fits each once per evaluation seed. Every
model is fitted on the ``train`` documents it is given (the final model's papers, under
``topic_tuning.final_max_papers``) and assigns the other splits ``chunk_size`` papers at a
time, through :func:`.assignment.assign_in_chunks` (LDA: :func:`lda`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from sklearn.feature_extraction.text import CountVectorizer

from arxiv_pipeline.topics.assignment import assign_in_chunks
from arxiv_pipeline.topics.coherence import CoherenceScorer
from arxiv_pipeline.topics.levels import to_coarse, topic_centroids
from arxiv_pipeline.topics.model import (
    DIVERSITY_TOPK,
    TOKENISED_CHUNK,
    TOPIC_DEFAULTS,
    TopicMetrics,
    analyzer,
    chunks_of,
    fit_topic_model,
    score_topics,
    topic_words,
)
from arxiv_pipeline.topics.reduction import make_reducer
from arxiv_pipeline.topics.refit import refit
from arxiv_pipeline.topics.topic_map import coarse_level
from arxiv_pipeline.topics.words import WordEmbedder, give_words

if TYPE_CHECKING:
    from bertopic import BERTopic
    from gensim.corpora import Dictionary
    from sklearn.decomposition import PCA
    from umap import UMAP


class _TopicView:
    """The part of BERTopic's interface :func:`score_topics` reads, for any topic model."""

    def __init__(self, words: Mapping[int, list[str]], topics: np.ndarray) -> None:
        self._words = words
        self.topics_ = topics

    def get_topics(self) -> dict[int, list[tuple[str, float]]]:
        return {topic: self.get_topic(topic) for topic in self._words}

    def get_topic(self, topic: int) -> list[tuple[str, float]]:
        # Only the order of the words matters to the scores, not their weights.
        return [(word, 0.0) for word in self._words[topic]]


@dataclass(frozen=True)
class FittedTopics:
    """A topic model as the evaluation sees it.

    Attributes
    ----------
    words
        Topic id to its words, best first; the outlier topic -1 left out.
    assignments
        Per split, the topic of each document (-1: outlier), in the corpus's order.
    """

    words: dict[int, list[str]]
    assignments: dict[str, np.ndarray]

    def score(self, split: str, scorer: CoherenceScorer, topn: int) -> TopicMetrics:
        """Coherence on the scorer's texts, diversity, n_topics, and the split's outlier share."""
        return score_topics(
            _TopicView(self.words, self.assignments[split]), scorer, topn, fit_seconds=0.0
        )

    def sizes(self, split: str) -> list[int]:
        """Documents per topic (outliers excluded), largest first."""
        topics = self.assignments[split]
        return (
            sorted((int(n) for n in np.bincount(topics[topics >= 0])), reverse=True)
            if len(topics)
            else []
        )


def tuned_bertopic(
    documents: Mapping[str, Sequence[str]],
    vectors: Mapping[str, np.ndarray],
    params: dict[str, Any],
    seed: int,
    n_coarse: int,
    chunk_size: int,
    embedder: WordEmbedder | None = None,
    n_jobs: int = 1,
) -> tuple[FittedTopics, FittedTopics]:
    """The chosen trial's configuration refitted on the train documents under ``seed``,
    at both levels.

    :func:`.refit.refit`, the final topic model's own procedure, on every training paper:
    under the final model's seed, on the same papers, it finds the final model's topics.
    Its topics get their words as the final model's did (:func:`.words.give_words`), and
    its fine topics are cut into ``n_coarse`` coarse ones as the final model's were
    (:func:`.topic_map.coarse_level`).

    Parameters
    ----------
    params
        The trial's fit parameters (``final_topic_metrics["params"]``), size-free
        HDBSCAN parameters converted with the train documents' count, the chosen
        vectorizer and ``representation``.
    n_coarse
        The final model's number of coarse topics.
    chunk_size
        Papers assigned at a time.
    embedder
        The word embedder of ``params["representation"]`` (:func:`.words.embedder_of`).
    n_jobs
        Processes assigning chunks at once (:func:`.assignment.assign_in_chunks`).

    Returns
    -------
    tuple
        The fine level and the coarse level.
    """
    fitted = np.ones(len(documents["train"]), dtype=bool)
    fit = refit(documents, vectors, params, seed, fitted, chunk_size, n_jobs=n_jobs)
    if params.get("representation") is not None:  # the fit gave it plain c-TF-IDF words
        give_words(fit.model, documents["train"], params, embedder, seed)
    fine = FittedTopics(topic_words(fit.model), fit.after)
    topics = fit.after["train"]
    centroids = topic_centroids(vectors["train"], topics, len(fine.words))
    coarse_of, words = coarse_level(fit.model, documents["train"], centroids, topics, n_coarse)
    coarse = {split: to_coarse(assigned, coarse_of) for split, assigned in fit.after.items()}
    return fine, FittedTopics(words, coarse)


def default_bertopic(
    documents: Mapping[str, Sequence[str]],
    vectors: Mapping[str, np.ndarray],
    seed: int,
    chunk_size: int,
    n_jobs: int = 1,
) -> FittedTopics:
    """BERTopic with its default parameters fitted on the train documents, applied to the others.

    The defaults are BERTopic's (UMAP 15 neighbours, 5 components; HDBSCAN
    min_cluster_size 10), with two changes that make the comparison fair: UMAP is
    seeded, and topic words leave out English stop words, as the tuned model's do.
    ``n_jobs`` processes assign the other splits' chunks at once.
    """
    reducer = make_reducer(TOPIC_DEFAULTS, seed)
    reduced = np.nan_to_num(reducer.fit_transform(vectors["train"])).astype(np.float32)
    model = fit_topic_model(
        documents["train"], vectors["train"], reduced, TOPIC_DEFAULTS, seed, prediction_data=True
    )
    assignments = _assign_every_split(model, reducer, documents, vectors, chunk_size, n_jobs)
    return FittedTopics(topic_words(model), assignments)


def kmeans(
    documents: Mapping[str, Sequence[str]],
    vectors: Mapping[str, np.ndarray],
    n_clusters: int,
    seed: int,
    n_init: int,
    chunk_size: int,
) -> FittedTopics:
    """k-means on the train embeddings, MTEB's clustering yardstick; every paper assigned.

    MTEB's arXiv clustering tasks run k-means with k = the number of labels on the
    embeddings and report the V-measure (NMI, arithmetic). Here it is fitted on the train
    split's embeddings (those of the tuned model's embedding model) and every other split
    goes to its nearest centre, ``chunk_size`` papers at a time. k-means has no
    outliers. MTEB fits MiniBatchKMeans (batches of 500); full KMeans is used here: on
    100,000 synthetic 384-d vectors in 150 clusters it took 100 s against MiniBatch's 37 s
    (two shared cores), and found them at NMI 0.99 against 0.76.

    Its clusters get topic words as the tuned model's topics do: BERTopic is fitted with
    this k-means as its clustering model, the embeddings as they are (no reduction), and
    c-TF-IDF over the vectorizer of ``TOPIC_DEFAULTS`` (the lowercase words of
    :func:`.model.analyzer`, English stop words out, unigrams, no document-frequency cut).

    Parameters
    ----------
    documents, vectors
        Per split (``train`` among them), the texts and their embeddings.
    n_clusters
        k: the evaluation takes the number of distinct primary categories or archives
        among the train papers (:func:`.comparison.kmeans_sizes`).
    seed
        k-means' ``random_state`` (the k-means++ initialisation).
    n_init
        k-means++ initialisations; the fit of least inertia is kept.
    chunk_size
        Papers assigned at a time.
    """
    # Imported here, as in fit_topic_model: BERTopic costs seconds to import.
    from bertopic import BERTopic
    from bertopic.dimensionality import BaseDimensionalityReduction
    from sklearn.cluster import KMeans

    model = BERTopic(
        umap_model=BaseDimensionalityReduction(),
        hdbscan_model=KMeans(n_clusters=n_clusters, n_init=n_init, random_state=seed),
        vectorizer_model=CountVectorizer(analyzer=analyzer()),
        top_n_words=DIVERSITY_TOPK,
        calculate_probabilities=False,
    )
    model.fit(documents["train"], embeddings=vectors["train"])
    return FittedTopics(topic_words(model), _assign_every_split(model, None, documents, vectors, chunk_size))


def _assign_every_split(
    model: BERTopic,
    reducer: UMAP | PCA | None,
    documents: Mapping[str, Sequence[str]],
    vectors: Mapping[str, np.ndarray],
    chunk_size: int,
    n_jobs: int = 1,
) -> dict[str, np.ndarray]:
    """Train's topics from the fit, every other split's from ``transform`` (no outlier reduction)."""
    assignments = {"train": np.asarray(model.topics_)}
    for split in documents.keys() - {"train"}:
        assignments[split], _ = assign_in_chunks(
            model, reducer, documents[split], vectors[split], None, chunk_size, n_jobs=n_jobs
        )
    return assignments


class BagsOfWords(Sequence[list[tuple[int, int]]]):
    """gensim bags of words (``(word id, count)`` pairs, by word id) held as three arrays.

    A list of tuples costs about 100 bytes a word of a document; these cost 8. A bag is
    made a list of Python tuples when it is read.

    Parameters
    ----------
    bags
        Consecutive chunks of bags, as :meth:`gensim.corpora.Dictionary.doc2bow` gives them.
    """

    def __init__(self, bags: Iterable[Sequence[list[tuple[int, int]]]]) -> None:
        lengths, pairs = [np.empty(0, dtype=np.int64)], [np.empty((0, 2), dtype=np.int32)]
        for chunk in bags:
            lengths.append(np.fromiter(map(len, chunk), dtype=np.int64, count=len(chunk)))
            pairs.append(np.array([pair for bag in chunk for pair in bag], dtype=np.int32).reshape(-1, 2))
        self._starts = np.concatenate([[0], np.cumsum(np.concatenate(lengths))])
        self._pairs = np.concatenate(pairs)

    def __len__(self) -> int:
        return len(self._starts) - 1

    def __getitem__(self, index: int | slice) -> list[tuple[int, int]] | list[list[tuple[int, int]]]:
        if isinstance(index, slice):
            return [self[row] for row in range(len(self))[index]]
        if not -len(self) <= index < len(self):
            raise IndexError(index)
        row = range(len(self))[index]
        return list(map(tuple, self._pairs[self._starts[row] : self._starts[row + 1]].tolist()))


@dataclass(frozen=True)
class LdaCorpus:
    """What every LDA fit shares, whatever its seed: the dictionary and each split's bags of words."""

    dictionary: Dictionary
    corpora: dict[str, BagsOfWords]


def lda_corpus(
    tokens: Mapping[str, Sequence[Sequence[str]]], settings: Mapping[str, Any], chunk_size: int = TOKENISED_CHUNK
) -> LdaCorpus:
    """The dictionary of the train documents and every split's bags of words.

    The documents are read ``chunk_size`` at a time (the train documents twice: for the
    dictionary, then for their bags), so only a chunk of tokens is held as Python strings.

    Parameters
    ----------
    tokens
        Per split, the documents tokenised as for coherence (e.g. :class:`.model.Tokenised`).
    settings
        The dictionary's ``no_below`` / ``no_above``.
    chunk_size
        Documents read at a time.
    """
    # Imported here: gensim is only needed by this baseline (see topic_tuning.topic_model).
    from gensim.corpora import Dictionary

    dictionary = Dictionary()
    # Document by document as Dictionary(documents) adds them: the same ids and counts.
    for chunk in chunks_of(tokens["train"], chunk_size):
        dictionary.add_documents(chunk)
    dictionary.filter_extremes(
        no_below=settings["no_below"], no_above=settings["no_above"], keep_n=None
    )
    corpora = {
        split: BagsOfWords(
            [dictionary.doc2bow(document) for document in chunk] for chunk in chunks_of(docs, chunk_size)
        )
        for split, docs in tokens.items()
    }
    return LdaCorpus(dictionary, corpora)


def lda(
    corpus: LdaCorpus, n_topics: int, seed: int, settings: Mapping[str, Any], chunk_size: int
) -> FittedTopics:
    """gensim LDA with ``n_topics`` topics fitted on train; each document gets its likeliest topic.

    Documents are inferred ``chunk_size`` at a time. Inference starts each document from
    random topic weights drawn in sequence from the model's random state, so the chunks
    draw what one batch would: the topics do not depend on ``chunk_size``.

    Parameters
    ----------
    corpus
        The bags of words of every split (:func:`lda_corpus`).
    n_topics
        Topics to fit.
    seed
        LDA's ``random_state``.
    settings
        ``passes``, ``chunksize`` and ``iterations``.
    chunk_size
        Documents inferred at a time.
    """
    from gensim.models import LdaModel

    corpora = corpus.corpora
    model = LdaModel(
        corpus=corpora["train"],
        id2word=corpus.dictionary,
        num_topics=n_topics,
        passes=settings["passes"],
        chunksize=settings["chunksize"],
        iterations=settings["iterations"],
        random_state=seed,
        # Perplexity estimates only feed gensim's log, and cost as much as a pass.
        eval_every=None,
    )
    words = {
        topic: [word for word, _ in model.show_topic(topic, topn=DIVERSITY_TOPK)]
        for topic in range(n_topics)
    }
    assignments = {
        split: np.concatenate(
            [np.empty(0, dtype=np.int64)]
            + [
                np.argmax(model.inference(bags[start : start + chunk_size])[0], axis=1)
                for start in range(0, len(bags), chunk_size)
            ]
        )
        for split, bags in corpora.items()
    }
    return FittedTopics(words, assignments)

