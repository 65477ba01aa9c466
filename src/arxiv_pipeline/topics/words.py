"""The words of the chosen topics: the vectorizer settings of the best held-out coherence.

A topic's words do not change which papers it holds: the clustering decides that, and
agreement with the taxonomy scores it. Its words are what a reader sees and what coherence
scores, and BERTopic computes them after clustering (c-TF-IDF over the vectorizer's
terms). So once a configuration is chosen, its topics get the words of each setting of
``topic_tuning.word_settings`` (BERTopic's ``update_topics``: the same topics, the
vectorizer changed) and of the trial's own setting, and the one of the highest held-out
c_npmi is kept; its settings become the model's parameters, so a refit finds these words.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from .coherence import CoherenceScorer
from .model import make_vectorizer, score_topics, words_kept

if TYPE_CHECKING:
    from bertopic import BERTopic

#: The parameters a word setting may hold.
WORD_PARAMETERS = ("vectorizer.ngram_range", "vectorizer.min_df", "vectorizer.max_df")


def _with_words(model: BERTopic, documents: list[str], params: dict[str, Any]) -> None:
    model.update_topics(documents, vectorizer_model=make_vectorizer(params), top_n_words=words_kept(params))


def choose_words(
    model: BERTopic,
    documents: list[str],
    params: dict[str, Any],
    settings: Sequence[Mapping[str, Any]],
    scorer: CoherenceScorer,
    topn: int,
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Give ``model`` the topic words of the best held-out coherence among ``settings``.

    Parameters
    ----------
    model
        The fitted model; its topics are kept, its words replaced (``update_topics``).
    documents
        The papers it was fitted on, in order.
    params
        Its parameters: their own vectorizer setting is the first candidate.
    settings
        Other vectorizer settings (:data:`WORD_PARAMETERS`) to try.
    scorer
        Coherence on the held-out papers.

    Returns
    -------
    tuple
        ``params`` with the chosen setting, and per setting tried its values, c_npmi and
        diversity (in the order tried; ties keep the earlier).
    """
    own = {name: params[name] for name in WORD_PARAMETERS}
    tried, best = [], None
    for setting in [own, *(dict(setting) for setting in settings)]:
        candidate = params | setting
        try:
            _with_words(model, documents, candidate)
        except ValueError as error:  # e.g. min_df above what the corpus holds: no terms left
            tried.append({**setting, "error": str(error)})
            continue
        metrics = score_topics(model, scorer, topn, 0.0)
        tried.append({**setting, "c_npmi": metrics.c_npmi, "diversity": metrics.diversity})
        if best is None or metrics.c_npmi > best[1]:
            best = (candidate, metrics.c_npmi)
    chosen = best[0] if best is not None else params
    _with_words(model, documents, chosen)
    return chosen, tried
