"""Topic coherence (c_npmi, c_v) and topic diversity with counts built once per corpus.

:class:`CoherenceScorer` reproduces gensim's ``CoherenceModel`` (``coherence="c_npmi"`` and
``coherence="c_v"``) to floating-point round-off on the same texts, dictionary, window size and
``topn``, but it indexes the corpus once per window size instead of recounting it on every call. The
index stores, for every word, the windows in which it is present as sorted runs of consecutive window
numbers (at most one run per occurrence, so memory grows with the number of tokens, not with tokens
times the window size). A call (one Optuna trial's topics) then only intersects the runs of each pair
of words within a topic, in a compiled loop, and does the NPMI / cosine arithmetic on tiny arrays.

Semantics reproduced from gensim 4.x (``gensim.topic_coherence``):

* **Windows.** Each text is slid over separately, one token per step, over *all* its tokens (tokens
  missing from the dictionary still take up a position). A text of ``L >= window_size`` tokens gives
  ``L - window_size + 1`` windows; a shorter text, even an empty one, gives exactly one window (the
  whole text). The probability denominator is the number of windows of all texts.
* **Presence in a window.** gensim does not test "does the word occur in this window": it keeps a
  boolean flag per word, sets the flags of the first window's tokens, and then, at every step, clears
  the flag of the token that leaves and sets the flag of the token that enters. A word that leaves while
  another copy of it is still inside the window is therefore marked absent until a copy enters at the
  right edge. For a word at positions ``p_1 < p_2 < ...`` of a text, this means: it is present in the
  windows ``a_i .. f(a_i)`` (capped at the text's last window) for every occurrence ``i``, with
  ``a_i = max(0, p_i - window_size + 1)`` and ``f(a)`` the first position ``>= a`` holding the word
  (the copy that leaves first). This module counts that set exactly, so the numbers match gensim; it is
  not the textbook boolean sliding window (windows ``a_i .. p_i``) and counts slightly fewer windows for
  words repeated within a window.
* **c_npmi**: every ordered pair of distinct topic positions (``s_one_one``), NPMI with
  ``EPSILON = 1e-12``: ``log((P(a,b) + eps) / (P(a) P(b))) / -log(P(a,b) + eps)``; mean per topic, then
  mean over topics.
* **c_v**: ``s_one_set`` segmentation; each topic word's context vector is its NPMI (gamma 1, the
  word itself included) with every word of the topic, the topic's context vector is the sum of those;
  cosine of each word's vector with the topic's vector; mean per topic, then mean over topics.

Deliberate differences from gensim, for inputs on which gensim is silently wrong:

* A topic word missing from the dictionary, or in the dictionary but never in the texts, raises
  ``KeyError``. gensim drops the former before cutting to ``topn`` (so it scores different words) and
  returns ``inf``/``nan`` for the latter.
* Every topic is cut to its own first ``topn`` words. gensim cuts all topics only when the *first*
  topic is longer than ``topn``.
* Topics with fewer than two words or with repeated words raise ``ValueError`` (gensim returns
  ``nan`` for the former and double-counts the latter in c_v's context vectors).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

import numba
import numpy as np

if TYPE_CHECKING:
    from gensim.corpora import Dictionary

Measure = Literal["c_npmi", "c_v"]

EPSILON = 1e-12
"""Smoothing constant of gensim's ``direct_confirmation_measure``."""

WINDOW_SIZES: dict[str, int] = {"c_npmi": 10, "c_v": 110}
"""Default boolean sliding window sizes (gensim's ``SLIDING_WINDOW_SIZES``, Röder et al. 2015)."""


@dataclass(frozen=True)
class _WindowIndex:
    """Windows in which each word is present, as sorted disjoint runs of global window indices.

    The runs of word ``v`` are ``starts[indptr[v]:indptr[v + 1]]`` with matching ``lengths``. A run
    list holds at most one run per occurrence of the word, so memory grows with the number of tokens,
    not with tokens times the window size.
    """

    n_windows: int
    indptr: np.ndarray
    starts: np.ndarray
    lengths: np.ndarray


class CoherenceScorer:
    """Score topics with gensim-equivalent c_npmi and c_v from counts built once per corpus.

    Parameters
    ----------
    texts : sequence of sequence of str
        Tokenised documents, the reference corpus for co-occurrence counts.
    dictionary : gensim.corpora.Dictionary, optional
        Vocabulary of countable words. Tokens absent from it still take up a window position, exactly as
        in gensim. Defaults to every token of ``texts``.

    Attributes
    ----------
    token2id : dict of str to int
        Countable words and their ids (the dictionary's, when one is given).
    n_texts : int
        Number of texts.

    Notes
    -----
    The constructor maps tokens to ids once. The windows of every word are indexed lazily, once per
    window size, on the first call that needs that size (or by :meth:`prepare`), and cached. A call then
    costs time proportional to the number of windows in which the topic words are present.

    Examples
    --------
    >>> texts = [["quantum", "field", "theory"], ["quantum", "gravity"], ["dark", "matter", "halo"]]
    >>> scorer = CoherenceScorer(texts)
    >>> topics = [["quantum", "field"], ["dark", "matter"]]
    >>> scorer.per_topic(topics, measure="c_npmi").round(4).tolist()
    [0.3691, 1.0]
    >>> round(scorer.score(topics, measure="c_npmi"), 4)
    0.6845
    """

    def __init__(self, texts: Sequence[Sequence[str]], dictionary: Dictionary | None = None) -> None:
        self._index_tokens(*_token_ids([texts], dictionary))

    @classmethod
    def from_chunks(
        cls, chunks: Iterable[Sequence[Sequence[str]]], dictionary: Dictionary | None = None
    ) -> CoherenceScorer:
        """A scorer of the texts of ``chunks``, in order, read one chunk at a time.

        Equal to ``CoherenceScorer(<all texts>, dictionary)``; only a chunk of tokenised
        texts is held as Python strings at a time, the corpus as token-id arrays.

        Parameters
        ----------
        chunks : iterable of sequence of sequence of str
            Consecutive chunks of tokenised documents.
        dictionary : gensim.corpora.Dictionary, optional
            As for the constructor.
        """
        scorer = cls.__new__(cls)
        scorer._index_tokens(*_token_ids(chunks, dictionary))
        return scorer

    def _index_tokens(self, token2id: dict[str, int], lengths: np.ndarray, ids: np.ndarray) -> None:
        """Keep the corpus as ``ids`` (one per token, -1 outside the dictionary) and text ``lengths``."""
        self.token2id = token2id
        self.n_texts = len(lengths)
        self._lengths = lengths
        self._n_ids = max(self.token2id.values(), default=-1) + 1
        # Tokens that are in the dictionary, sorted by (word id, text, position): the stable sort keeps
        # the corpus order within a word. int32 keeps 12 bytes per token.
        known = np.flatnonzero(ids >= 0)
        order = known[np.argsort(ids[known], kind="stable")]
        first_token = np.cumsum(lengths) - lengths
        self._word = ids[order]
        self._doc = (np.searchsorted(first_token, order, side="right") - 1).astype(np.int32)
        self._pos = (order - first_token[self._doc]).astype(np.int32)
        self._windows: dict[int, _WindowIndex] = {}
        self._counted_ids = frozenset(np.unique(self._word).tolist())

    def has_word(self, word: str) -> bool:
        """Whether ``word`` can be scored: it is in the dictionary and occurs in the texts."""
        word_id = self.token2id.get(word)
        return word_id is not None and word_id in self._counted_ids

    def prepare(self, measures: Iterable[Measure] = ("c_npmi", "c_v")) -> CoherenceScorer:
        """Index the windows of each measure's default window size and compile the counting kernel now.

        Call it before a study starts so that the one-off cost does not land on the first trial.

        Parameters
        ----------
        measures : iterable of {"c_npmi", "c_v"}
            Measures whose window sizes to index.

        Returns
        -------
        CoherenceScorer
            ``self``.
        """
        for measure in measures:
            index = self._window_index(_window_size(measure, None))
            no_topics = np.zeros((0, 2), dtype=np.int64)
            _pair_counts(index.indptr, index.starts, index.lengths, no_topics, np.zeros(0, dtype=np.int64))
        return self

    def score(
        self,
        topics: Sequence[Sequence[str]],
        measure: Measure = "c_npmi",
        topn: int = 10,
        window_size: int | None = None,
    ) -> float:
        """Mean coherence of the topics (gensim's ``CoherenceModel.get_coherence``).

        Parameters
        ----------
        topics : sequence of sequence of str
            Topic words, most relevant first (c-TF-IDF order); the outlier topic must be left out.
        measure : {"c_npmi", "c_v"}
            Coherence measure.
        topn : int
            Number of leading words of each topic to score.
        window_size : int, optional
            Boolean sliding window size; defaults to 10 for c_npmi and 110 for c_v.

        Returns
        -------
        float
            Arithmetic mean of :meth:`per_topic`.
        """
        return float(np.mean(self.per_topic(topics, measure=measure, topn=topn, window_size=window_size)))

    def per_topic(
        self,
        topics: Sequence[Sequence[str]],
        measure: Measure = "c_npmi",
        topn: int = 10,
        window_size: int | None = None,
    ) -> np.ndarray:
        """Coherence of each topic (gensim's ``CoherenceModel.get_coherence_per_topic``).

        Parameters
        ----------
        topics : sequence of sequence of str
            Topic words, most relevant first; each topic is cut to its first ``topn`` words.
        measure : {"c_npmi", "c_v"}
            Coherence measure.
        topn : int
            Number of leading words of each topic to score, at least 2.
        window_size : int, optional
            Boolean sliding window size; defaults to 10 for c_npmi and 110 for c_v.

        Returns
        -------
        numpy.ndarray
            Shape ``(len(topics),)``, float64.

        Raises
        ------
        KeyError
            If a topic word is not in the dictionary or never occurs in the texts.
        ValueError
            If there are no topics, ``topn < 2``, a topic has fewer than 2 words or repeats a word, or
            the measure is unknown.
        """
        size = _window_size(measure, window_size)
        if topn < 2:
            raise ValueError(f"topn must be at least 2, got {topn}")
        if len(topics) == 0:
            raise ValueError("no topics to score")
        cut = [list(topic[:topn]) for topic in topics]
        for number, words in enumerate(cut):
            if len(words) < 2:
                raise ValueError(f"topic {number} has {len(words)} word(s); coherence needs at least 2")
            if len(set(words)) < len(words):
                raise ValueError(f"topic {number} repeats a word: {words}")
        missing = sorted({word for words in cut for word in words if word not in self.token2id})
        if missing:
            raise KeyError(f"topic words not in the dictionary: {missing}")

        index = self._window_index(size)
        sizes = np.array([len(words) for words in cut], dtype=np.int64)
        k = int(sizes.max())
        ids = np.zeros((len(cut), k), dtype=np.int64)
        for number, words in enumerate(cut):
            ids[number, : len(words)] = [self.token2id[word] for word in words]
        valid = np.arange(k) < sizes[:, None]
        counts = _pair_counts(index.indptr, index.starts, index.lengths, ids, sizes).astype(np.float64)
        single = np.diagonal(counts, axis1=1, axis2=2)
        absent = valid & (single == 0)
        if absent.any():
            words = sorted({cut[number][position] for number, position in zip(*np.nonzero(absent))})
            raise KeyError(f"topic words never occur in the texts: {words}")

        single = np.where(valid, single, 1.0)  # padding: any positive count, masked out below
        npmi = _npmi(counts, single[:, :, None], single[:, None, :], float(index.n_windows))
        pairs = valid[:, :, None] & valid[:, None, :]
        if measure == "c_npmi":
            pairs &= ~np.eye(k, dtype=bool)
            return np.where(pairs, npmi, 0.0).sum(axis=(1, 2)) / pairs.sum(axis=(1, 2))
        vectors = np.where(pairs, npmi, 0.0)
        topic_vector = vectors.sum(axis=1, keepdims=True)
        norms = np.linalg.norm(vectors, axis=2) * np.linalg.norm(topic_vector, axis=2)
        cosine = (vectors * topic_vector).sum(axis=2) / np.where(valid, norms, 1.0)  # padding: 0 / 1
        return cosine.sum(axis=1) / sizes

    def _window_index(self, window_size: int) -> _WindowIndex:
        """Return the cached window index for ``window_size``, building it on first use."""
        if window_size not in self._windows:
            self._windows[window_size] = self._build_window_index(window_size)
        return self._windows[window_size]

    def _build_window_index(self, window_size: int) -> _WindowIndex:
        """Compute, for every word, the runs of windows in which gensim marks it present."""
        windows_per_text = np.maximum(self._lengths - window_size + 1, 1)
        first_window = np.cumsum(windows_per_text) - windows_per_text
        n_windows = int(windows_per_text.sum())
        first_token = np.cumsum(self._lengths) - self._lengths
        word, doc, pos = self._word, self._doc, self._pos

        # Occurrence i flags the word from window a_i = max(0, p_i - w + 1) (where it enters, or the first
        # window) to window f(a_i), the position of the first copy at or after a_i (the copy whose exit
        # clears the flag); f is found by binary search among the word's occurrences in the same text.
        # In-place arithmetic keeps the temporaries to a few int64 arrays.
        key = word.astype(np.int64)
        key *= int(self._lengths.sum()) + 1
        key += first_token[doc]
        key += pos
        enter = np.maximum(pos.astype(np.int64) - (window_size - 1), 0)
        exit_pos = pos[np.searchsorted(key, key - pos + enter, side="left")]
        del key
        start = first_window[doc]
        stop = np.minimum(exit_pos, windows_per_text[doc] - 1)
        stop += start
        start += enter
        del enter, exit_pos

        # Merge the runs of each word into disjoint ones; offsetting by word keeps words apart.
        offset = word.astype(np.int64)
        offset *= n_windows + 2
        start += offset
        stop += offset
        running = np.maximum.accumulate(stop, out=stop)
        run_first = np.ones(word.size, dtype=bool)
        run_first[1:] = start[1:] > running[:-1] + 1
        run_last = np.ones(word.size, dtype=bool)
        run_last[:-1] = run_first[1:]
        merged_start = start[run_first] - offset[run_first]
        merged_stop = running[run_last] - offset[run_last]
        index_dtype = np.int32 if n_windows < np.iinfo(np.int32).max else np.int64
        indptr = np.searchsorted(word[run_first], np.arange(self._n_ids + 1), side="left")
        return _WindowIndex(
            n_windows=n_windows,
            indptr=indptr.astype(np.int64),
            starts=merged_start.astype(index_dtype),
            lengths=(merged_stop - merged_start + 1).astype(index_dtype),
        )


def _token_ids(
    chunks: Iterable[Sequence[Sequence[str]]], dictionary: Dictionary | None
) -> tuple[dict[str, int], np.ndarray, np.ndarray]:
    """The countable words and their ids, each text's length, and every token's id (-1: not countable).

    Without a dictionary every token is countable, numbered in order of first occurrence.
    """
    token2id: dict[str, int] = {} if dictionary is None else dict(dictionary.token2id)
    lookup = token2id.get if dictionary is not None else lambda token, _: token2id.setdefault(token, len(token2id))
    lengths, ids = [np.empty(0, dtype=np.int64)], [np.empty(0, dtype=np.int32)]
    for texts in chunks:
        counts = np.fromiter((len(text) for text in texts), dtype=np.int64, count=len(texts))
        lengths.append(counts)
        ids.append(
            np.fromiter((lookup(token, -1) for text in texts for token in text), dtype=np.int32, count=int(counts.sum()))
        )
    return token2id, np.concatenate(lengths), np.concatenate(ids)


def _window_size(measure: str, window_size: int | None) -> int:
    """Validate the measure and resolve its window size."""
    if measure not in WINDOW_SIZES:
        raise ValueError(f"unknown coherence measure {measure!r}; expected one of {sorted(WINDOW_SIZES)}")
    size = WINDOW_SIZES[measure] if window_size is None else int(window_size)
    if size < 1:
        raise ValueError(f"window_size must be positive, got {size}")
    return size


@numba.njit(cache=True, nogil=True)
def _pair_counts(
    indptr: np.ndarray, starts: np.ndarray, lengths: np.ndarray, ids: np.ndarray, sizes: np.ndarray
) -> np.ndarray:
    """Count, for every topic, the windows in which each pair of its words is present.

    ``ids`` is ``(n_topics, k)`` word ids padded beyond ``sizes[t]``. Returns ``(n_topics, k, k)``
    counts whose diagonal holds each word's own window count. Two words' windows are intersected by
    a merge over their sorted, disjoint runs, so a pair costs the sum of their run counts.
    """
    n_topics, k = ids.shape
    counts = np.zeros((n_topics, k, k), dtype=np.int64)
    for t in range(n_topics):
        for a in range(sizes[t]):
            lo_a, hi_a = indptr[ids[t, a]], indptr[ids[t, a] + 1]
            counts[t, a, a] = lengths[lo_a:hi_a].sum()
            for b in range(a + 1, sizes[t]):
                i, j, hi_b = lo_a, indptr[ids[t, b]], indptr[ids[t, b] + 1]
                shared = 0
                while i < hi_a and j < hi_b:
                    end_i, end_j = starts[i] + lengths[i], starts[j] + lengths[j]
                    shared += max(0, min(end_i, end_j) - max(starts[i], starts[j]))
                    if end_i <= end_j:
                        i += 1
                    else:
                        j += 1
                counts[t, a, b] = shared
                counts[t, b, a] = shared
    return counts


def _npmi(pair: np.ndarray, first: np.ndarray, second: np.ndarray, n_windows: float) -> np.ndarray:
    """Normalised PMI exactly as gensim's ``log_ratio_measure(normalize=True)`` computes it."""
    joint = pair / n_windows
    log_ratio = np.log((joint + EPSILON) / ((first / n_windows) * (second / n_windows)))
    return log_ratio / -np.log(joint + EPSILON)


def topic_diversity(topics: Sequence[Sequence[str]], topk: int = 25) -> float:
    """Share of unique words among the top ``topk`` words of all topics (Dieng et al. 2020).

    Parameters
    ----------
    topics : sequence of sequence of str
        Topic words, most relevant first; the outlier topic must be left out.
    topk : int
        Number of leading words taken from each topic.

    Returns
    -------
    float
        ``|unique words| / (topk * n_topics)``, in ``(0, 1]``; 1 when no word is shared.

        A topic with fewer than ``topk`` words brings only the words it has, so it
        lowers the score (BERTopic pads such topics with empty strings, which are
        not words and are left out).

    Raises
    ------
    ValueError
        If there are no topics.

    Examples
    --------
    >>> topic_diversity([["a", "b"], ["b", "c"]], topk=2)
    0.75
    >>> topic_diversity([["a", "b"], ["c", ""]], topk=2)
    0.75
    """
    if len(topics) == 0:
        raise ValueError("no topics to score")
    unique = {word for topic in topics for word in topic[:topk] if word}
    return len(unique) / (topk * len(topics))
