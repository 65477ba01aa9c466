"""Topics of papers a model was not fitted on, outlier reduction, and their held-out metrics.

Trials and the final model assign held-out papers the same way: the reducer fitted on
the training papers transforms their embeddings, then BERTopic's ``transform`` (HDBSCAN's
``approximate_predict``) assigns them, then the optional ``reduce_outliers`` step. The
final model, its candidates and the evaluation's models assign every paper of a split
a chunk at a time (:func:`assign_in_chunks`), so millions of papers take the memory of
one chunk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from tqdm.auto import tqdm

from .agreement import taxonomy_agreement
from .reduction import PrecomputedReduction, reduce_chunk, transform_epochs

if TYPE_CHECKING:
    from bertopic import BERTopic
    from sklearn.decomposition import PCA
    from umap import UMAP


@dataclass(frozen=True)
class HeldOutPapers:
    """The papers trials are judged on (validation, or its subset within ``validation_max_papers``).

    Attributes
    ----------
    documents
        Their texts.
    embeddings
        Per embedding model key, their vectors (rows aligned with ``documents``).
    labels
        ``{"primary": ..., "archive": ...}`` (see :mod:`.agreement`), aligned likewise.
    """

    documents: list[str]
    embeddings: Mapping[str, np.ndarray]
    labels: Mapping[str, np.ndarray]


def assign_topics(
    model: BERTopic, documents: list[str], embeddings: np.ndarray, reduced: np.ndarray
) -> np.ndarray:
    """BERTopic's ``transform`` of papers whose reduction was computed beforehand.

    The model's ``umap_model`` is left holding ``reduced``: set the fitted reducer back
    before saving the model.
    """
    model.umap_model = PrecomputedReduction(reduced)
    topics, _ = model.transform(documents, embeddings=embeddings)
    return np.asarray(topics, dtype=np.int64)


def assign_in_chunks(
    model: BERTopic,
    reducer: UMAP | PCA | None,
    documents: Sequence[str],
    embeddings: np.ndarray,
    params: Mapping[str, Any] | None,
    chunk_size: int,
    rows: np.ndarray | None = None,
    n_jobs: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Topics of papers a model was not fitted on, ``chunk_size`` papers at a time.

    Each chunk is reduced (:func:`.reduction.reduce_chunk`: as one batch of all the
    papers would be), assigned by :func:`assign_topics` and its outliers reduced by
    :func:`reduce_outliers`; each of these treats a paper on its own, so the topics do not
    depend on ``chunk_size``, nor on ``n_jobs``: with more than one, the chunks are
    assigned in that many processes, each holding a copy of the model and the reducer
    (UMAP's transform runs on one core under a seed).

    Parameters
    ----------
    model
        The fitted model; its ``umap_model`` is left holding the last chunk's reduction.
    reducer
        The reducer fitted on the model's training papers, or None where the model
        clusters the embeddings as they are.
    documents, embeddings
        The split's texts (read a chunk at a time) and embeddings.
    params
        The fit's parameters (``outliers.*``), or None: no outlier reduction.
    rows
        The papers to assign (row numbers); None: all.
    n_jobs
        Processes assigning chunks at once (joblib's ``n_jobs``: -1 is every core).

    Returns
    -------
    tuple
        The papers' topics before and after outlier reduction, in the order of ``rows``.
    """
    from sklearn.utils.parallel import Parallel, delayed

    rows = np.arange(len(documents)) if rows is None else rows
    chunks = [rows[start : start + chunk_size] for start in range(0, len(rows), chunk_size)]
    epochs = transform_epochs(reducer, len(rows))
    # A generator: the chunks in flight (two per process) bound the memory, not the papers.
    assigned = Parallel(n_jobs=n_jobs if len(chunks) > 1 else 1, return_as="generator")(
        delayed(_assign_chunk)(model, reducer, [documents[row] for row in chunk], embeddings[chunk], params, epochs)
        for chunk in chunks
    )
    before, after = [np.empty(0, dtype=np.int64)], [np.empty(0, dtype=np.int64)]
    # Millions of papers take most of an hour on a small CPU: say how far it is.
    with tqdm(total=len(rows), unit="papers", desc="Assigning topics", disable=len(chunks) < 2) as progress:
        for chunk_before, chunk_after in assigned:
            before.append(chunk_before)
            after.append(chunk_after)
            progress.update(len(chunk_before))
    return np.concatenate(before), np.concatenate(after)


def _assign_chunk(
    model: BERTopic,
    reducer: UMAP | PCA | None,
    texts: list[str],
    vectors: np.ndarray,
    params: Mapping[str, Any] | None,
    epochs: int | None,
) -> tuple[np.ndarray, np.ndarray]:
    """One chunk of :func:`assign_in_chunks`: its topics before and after outlier reduction."""
    topics = assign_topics(model, texts, vectors, reduce_chunk(reducer, vectors, epochs))
    return topics, topics if params is None else reduce_outliers(model, texts, topics, vectors, params)


def reduce_outliers(
    model: BERTopic,
    documents: list[str],
    topics: np.ndarray,
    embeddings: np.ndarray,
    params: Mapping[str, Any],
) -> np.ndarray:
    """``topics`` with outliers moved to their nearest topic by ``params["outliers.strategy"]``.

    ``embeddings``: cosine similarity of a paper's embedding to the topic embeddings;
    ``c-tf-idf``: of its c-TF-IDF vector to the topics'. A paper whose best similarity is
    below ``outliers.threshold`` stays an outlier. The model's topic words are not
    updated, so coherence and diversity do not change. ``none``, a model without topics
    or without an outlier topic, and papers without outliers are returned as they are.
    """
    strategy = params["outliers.strategy"]
    topics = np.asarray(topics, dtype=np.int64)
    known = model.get_topics()
    if strategy == "none" or -1 not in known or len(known) < 2 or not (topics == -1).any():
        return topics
    reduced = model.reduce_outliers(
        documents,
        topics.tolist(),
        strategy=strategy,
        embeddings=embeddings,
        threshold=params["outliers.threshold"],
    )
    return np.asarray(reduced, dtype=np.int64)


def outlier_share(topics: np.ndarray) -> float:
    """Share of papers in the outlier topic -1 (0.0 for no papers)."""
    topics = np.asarray(topics)
    return float(np.mean(topics == -1)) if len(topics) else 0.0


def assignment_metrics(
    before: np.ndarray, after: np.ndarray, labels: Mapping[str, np.ndarray], prefix: str
) -> dict[str, float]:
    """Outlier shares before and after outlier reduction, and agreement (of ``after``).

    Keys: ``{prefix}outlier_share_before``, ``{prefix}outlier_share`` and the agreement
    metrics of :mod:`.agreement`, unprefixed (they are always held-out in trials).
    """
    return {
        f"{prefix}outlier_share_before": outlier_share(before),
        f"{prefix}outlier_share": outlier_share(after),
        **taxonomy_agreement(after, labels),
    }
