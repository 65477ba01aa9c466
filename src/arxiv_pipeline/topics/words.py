"""The words of the chosen topics: a vectorizer setting, then a representation model, both
chosen on held-out papers.

A topic's words do not change which papers it holds: the clustering decides that, and
agreement with the taxonomy scores it. Its words are what a reader sees and what coherence
scores, and BERTopic computes them after clustering, so they are chosen once the
configuration is. In two steps, each with BERTopic's ``update_topics`` (the same topics,
new words):

1. **c-TF-IDF.** The topics get the c-TF-IDF words of the trial's own vectorizer setting
   and of each of ``topic_tuning.word_settings``; the one of the highest validation c_npmi
   is plain c-TF-IDF, the yardstick of step 2.
2. **Representation models.** On that vectorizer, each of
   ``topic_tuning.word_representations`` re-ranks the c-TF-IDF candidates with word
   embeddings of ``topic_tuning.word_embedding_model`` (BERTopic's own classes:
   :class:`~bertopic.representation.MaximalMarginalRelevance`, ``mmr``, and
   :class:`~bertopic.representation.KeyBERTInspired`, ``keybert``). The words that ship
   are those of the highest validation c_npmi among plain c-TF-IDF and the
   representations whose diversity is at least plain c-TF-IDF's: a representation must
   not buy coherence by repeating the same words across topics.

The chosen vectorizer and representation become the model's parameters
(:func:`give_words` reads them), so the evaluation's refits find their words the same way.
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from arxiv_pipeline.embedding.encoders import Encoder, make_encoder
from arxiv_pipeline.embedding.specs import EmbeddingsParams, SentenceTransformerSpec

from .coherence import CoherenceScorer
from .model import make_vectorizer, score_topics, words_kept

if TYPE_CHECKING:
    from bertopic import BERTopic

#: The parameters a word setting may hold.
WORD_PARAMETERS = ("vectorizer.ngram_range", "vectorizer.min_df", "vectorizer.max_df")

#: Each representation model's settings and their defaults. ``nr_candidate_words``: the
#: c-TF-IDF words it chooses among; the others are KeyBERTInspired's own (the papers it
#: samples per topic, and the most representative of them whose mean embedding is the
#: topic's), kept small as each one is embedded.
REPRESENTATIONS: dict[str, dict[str, float | int]] = {
    "mmr": {"diversity": 0.3, "nr_candidate_words": 50},
    "keybert": {"nr_candidate_words": 50, "nr_repr_docs": 5, "nr_samples": 100},
}

logger = logging.getLogger(__name__)

#: What a candidate is called in ``final_topic_metrics["words"]`` and the report.
PLAIN = "c-tf-idf"


def representation_setting(raw: Mapping[str, Any], where: str) -> dict[str, Any]:
    """An entry of ``topic_tuning.word_representations`` with its defaults filled in.

    Raises
    ------
    ValueError
        Naming ``where``, for an unknown ``type`` or setting, or a value out of range
        (``diversity`` in [0, 1], the counts at least 1).
    """
    kind = raw.get("type")
    if kind not in REPRESENTATIONS:
        raise ValueError(f"{where}: type must be one of {list(REPRESENTATIONS)}, got {kind!r}.")
    defaults = REPRESENTATIONS[kind]
    unknown = sorted(set(raw) - {"type", *defaults})
    if unknown:
        raise ValueError(f"{where}: {unknown} are not settings of {kind}; use {sorted(defaults)}.")
    setting = {"type": kind, **defaults, **{name: value for name, value in raw.items() if name != "type"}}
    for name, value in setting.items():
        if name == "diversity":
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise ValueError(f"{where}.diversity must be in [0, 1], got {value!r}.")
        elif name != "type" and (type(value) is not int or value < 1):
            raise ValueError(f"{where}.{name} must be a whole number of at least 1, got {value!r}.")
    return setting


class WordEmbedder:
    """An encoder of the project (:mod:`arxiv_pipeline.embedding`) as BERTopic's embedding
    backend: representation models embed candidate words and representative papers with it.

    BERTopic calls ``embed_words`` and ``embed_documents``; both encode the texts as they
    are. Each text is encoded once: the candidates of several representation models, and
    of one model's refits under several seeds, are mostly the same words.
    """

    def __init__(self, key: str, encoder: Encoder) -> None:
        self.key = key
        self._encoder = encoder
        self._vectors: dict[str, np.ndarray] = {}

    def embed(self, documents: Sequence[str], verbose: bool = False) -> np.ndarray:
        new = list(dict.fromkeys(text for text in documents if text not in self._vectors))
        if new:
            self._vectors.update(zip(new, self._encoder.encode(new), strict=True))
        return np.array([self._vectors[text] for text in documents])

    def embed_words(self, words: Sequence[str], verbose: bool = False) -> np.ndarray:
        return self.embed(words)

    def embed_documents(self, documents: Sequence[str], verbose: bool = False) -> np.ndarray:
        return self.embed(documents)


def word_model_spec(key: str, embeddings: EmbeddingsParams) -> SentenceTransformerSpec:
    """The settings of ``embeddings.models.<key>``, the word embedding model.

    Raises
    ------
    ValueError
        If ``key`` names no sentence-transformers model of ``embeddings.models`` (TF-IDF +
        SVD cannot embed a word it was not fitted on).
    """
    spec = embeddings.models.get(key)
    if not isinstance(spec, SentenceTransformerSpec):
        choices = sorted(name for name, model in embeddings.models.items() if isinstance(model, SentenceTransformerSpec))
        raise ValueError(
            f"topic_tuning.word_embedding_model {key!r} is not a sentence_transformers model of "
            f"embeddings.models (those are {choices}); name one, or null for c-TF-IDF words only."
        )
    return spec


def word_embedder(key: str | None, embeddings: EmbeddingsParams) -> WordEmbedder | None:
    """The embedder of ``embeddings.models.<key>`` (:func:`word_model_spec`), or None where
    ``key`` is None.

    Its network runs on torch whatever the entry's ``runtime``: it embeds a few thousand
    words and papers, less than an ONNX export of the model costs. It loads when it first
    embeds.
    """
    if key is None:
        return None
    spec = dataclasses.replace(word_model_spec(key, embeddings), runtime="torch")
    return WordEmbedder(key, make_encoder(key, spec, embeddings.encoding))


def embedder_of(params: Mapping[str, Any], embeddings: EmbeddingsParams) -> WordEmbedder | None:
    """The word embedder a fit's chosen words need (:func:`choose_words` records its key in
    ``params["representation"]``), or None for plain c-TF-IDF words."""
    setting = params.get("representation")
    return None if setting is None else word_embedder(setting["embedding_model"], embeddings)


def _representation_model(setting: Mapping[str, Any], n_words: int, seed: int) -> Any:
    """BERTopic's representation model of a :func:`representation_setting`, ``n_words`` words a topic."""
    from bertopic.representation import KeyBERTInspired, MaximalMarginalRelevance

    if setting["type"] == "mmr":
        return MaximalMarginalRelevance(diversity=setting["diversity"], top_n_words=n_words)
    return KeyBERTInspired(
        top_n_words=n_words,
        nr_repr_docs=setting["nr_repr_docs"],
        nr_samples=setting["nr_samples"],
        nr_candidate_words=setting["nr_candidate_words"],
        random_state=seed,
    )


def give_words(
    model: BERTopic,
    documents: list[str],
    params: Mapping[str, Any],
    embedder: WordEmbedder | None,
    seed: int,
) -> None:
    """Give ``model``'s topics the words ``params`` ask for, its topics unchanged.

    c-TF-IDF over ``params``' vectorizer (:func:`.model.make_vectorizer`),
    :func:`.model.words_kept` words a topic; where ``params["representation"]`` is set
    (a :func:`representation_setting`), those words re-ranked by that representation model
    with ``embedder``'s embeddings. The model keeps the words, not the representation
    model (nor the embedder).

    Parameters
    ----------
    documents
        The papers the model was fitted on, in order.
    seed
        Seeds KeyBERTInspired's sample of each topic's papers (BERTopic 0.17 samples them
        with its own fixed seed, so its words are the same under every seed).

    Raises
    ------
    ValueError
        If a representation is asked for without an embedder.
    """
    setting, n_words = params.get("representation"), words_kept(dict(params))
    vectorizer = make_vectorizer(dict(params))
    if setting is None:
        model.update_topics(documents, vectorizer_model=vectorizer, top_n_words=n_words)
        return
    if embedder is None:
        raise ValueError(f"The {setting['type']} topic words need a word embedding model; none was given.")
    # MMR chooses among the words BERTopic hands it, KeyBERTInspired reads its own from c-TF-IDF.
    pool = setting["nr_candidate_words"] if setting["type"] == "mmr" else n_words
    model.embedding_model = embedder
    try:
        model.update_topics(
            documents,
            vectorizer_model=vectorizer,
            top_n_words=max(pool, n_words),
            representation_model=_representation_model(setting, n_words, seed),
        )
    finally:
        model.embedding_model, model.representation_model, model.top_n_words = None, None, n_words


def _scored(
    model: BERTopic,
    documents: list[str],
    params: dict[str, Any],
    embedder: WordEmbedder | None,
    seed: int,
    scorer: CoherenceScorer,
    topn: int,
) -> dict[str, float | str]:
    """The validation c_npmi and diversity of the words ``params`` give, or why there are none."""
    try:
        give_words(model, documents, params, embedder, seed)
    except ValueError as error:  # e.g. min_df above what the corpus holds: no terms left
        return {"error": str(error)}
    metrics = score_topics(model, scorer, topn, 0.0)
    return {"c_npmi": metrics.c_npmi, "diversity": metrics.diversity}


def choose_words(
    model: BERTopic,
    documents: list[str],
    params: dict[str, Any],
    settings: Sequence[Mapping[str, Any]],
    representations: Sequence[Mapping[str, Any]],
    embedder: WordEmbedder | None,
    seed: int,
    scorer: CoherenceScorer,
    topn: int,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Give ``model`` the topic words of the rule of this module's two steps.

    Parameters
    ----------
    model
        The fitted model; its topics are kept, its words replaced (``update_topics``).
    documents
        The papers it was fitted on, in order.
    params
        Its parameters: their own vectorizer setting is the first c-TF-IDF candidate.
    settings
        Other vectorizer settings (:data:`WORD_PARAMETERS`) to try.
    representations
        Representation models (:func:`representation_setting`) tried on the chosen
        vectorizer; none where ``embedder`` is None.
    embedder
        Embeds their words and papers (:func:`word_embedder`).
    seed
        Seeds the representation models (:func:`give_words`).
    scorer
        Coherence on the held-out papers.

    Returns
    -------
    tuple
        ``params`` with the chosen vectorizer setting and ``representation`` (None: plain
        c-TF-IDF), and every candidate in the order tried: ``representation``
        (:data:`PLAIN` or a type), its ``settings``, ``c_npmi`` and ``diversity`` (or
        ``error``), and ``chosen``. Ties keep the earlier candidate.
    """
    own = {name: params[name] for name in WORD_PARAMETERS}
    plain = [params | dict(setting) | {"representation": None} for setting in [own, *settings]]
    tried = [
        {"representation": PLAIN, "settings": {name: candidate[name] for name in WORD_PARAMETERS}}
        | _scored(model, documents, candidate, embedder, seed, scorer, topn)
        for candidate in plain
    ]
    candidates = list(plain)
    base = _best(tried, range(len(plain)))
    if base is not None and embedder is not None:
        for setting in representations:
            candidate = plain[base] | {"representation": {**setting, "embedding_model": embedder.key}}
            candidates.append(candidate)
            entry = {"representation": setting["type"], "settings": {k: v for k, v in setting.items() if k != "type"}}
            tried.append(entry | _scored(model, documents, candidate, embedder, seed, scorer, topn))
    best = chosen_words(tried, len(plain))
    for index, entry in enumerate(tried):
        entry["chosen"] = index == best
    give_words(model, documents, candidates[best], embedder, seed)
    logger.info(
        "Topic words: %s %s ships of %d candidates (validation c_npmi and diversity of each: "
        "final_topic_metrics' words).",
        tried[best]["representation"],
        tried[best]["settings"],
        len(tried),
    )
    return candidates[best], tried


def _best(tried: Sequence[Mapping[str, Any]], among: Iterable[int]) -> int | None:
    """The scored candidate of the highest c_npmi among ``among`` (the first of ties), or None."""
    scored = [index for index in among if "c_npmi" in tried[index]]
    return max(scored, key=lambda index: tried[index]["c_npmi"], default=None)


def chosen_words(tried: Sequence[Mapping[str, Any]], n_plain: int) -> int:
    """The rule: which of the scored candidates ships.

    Parameters
    ----------
    tried
        Candidates with their validation ``c_npmi`` and ``diversity`` (none where they
        failed): ``n_plain`` c-TF-IDF ones, then representation models.

    Returns
    -------
    int
        Plain c-TF-IDF, the c-TF-IDF candidate of the highest c_npmi, unless a
        representation of at least its diversity has a higher c_npmi: then the one of
        the highest. The first candidate where none scored (its words are BERTopic's).
    """
    base = _best(tried, range(n_plain))
    if base is None:
        return 0
    floor = tried[base]["diversity"]
    eligible = [index for index in range(n_plain, len(tried)) if tried[index].get("diversity", -1.0) >= floor]
    return _best(tried, [base, *eligible])
