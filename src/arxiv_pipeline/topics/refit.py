"""A trial's configuration refitted on training papers, with every paper of every split assigned.

The final topic model (``topic_tuning``) and the tuned model's refits under the other
evaluation seeds (:func:`.baselines.tuned_bertopic`) are this one procedure, so under the
final model's seed, on the same papers, the evaluation finds the final model's topics.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .assignment import assign_in_chunks, reduce_outliers
from .corpus import select
from .model import fit_topic_model
from .reduction import ReductionCache

if TYPE_CHECKING:
    from bertopic import BERTopic


@dataclass(frozen=True)
class Refit:
    """A refitted model and every split's topics.

    Attributes
    ----------
    model
        BERTopic, its ``umap_model`` still the precomputed reduction of the last split
        assigned: set ``reducer`` back before saving it.
    reducer
        The reducer fitted on the training papers the model was fitted on.
    before, after
        Per split assigned so far, each paper's topic before and after the trial's outlier
        reduction.
    fitted
        Which training papers the model was fitted on.
    own_before, own_after
        The fitted papers' topics from the fit, before and after outlier reduction.
    """

    model: BERTopic
    reducer: Any
    before: dict[str, np.ndarray]
    after: dict[str, np.ndarray]
    fitted: np.ndarray
    own_before: np.ndarray
    own_after: np.ndarray


def refit(
    documents: Mapping[str, Sequence[str]],
    vectors: Mapping[str, np.ndarray],
    params: dict[str, Any],
    seed: int,
    fitted: np.ndarray,
    chunk_size: int,
    splits: Collection[str] | None = None,
    n_jobs: int = 1,
) -> Refit:
    """Fit BERTopic with ``params`` under ``seed`` on the ``fitted`` training papers; assign all.

    The reducer is fitted on those papers and BERTopic on its reduction; the fitted papers
    keep their topics from the fit, every other paper of every split (train's others
    included) is assigned through that reducer and ``transform``, ``chunk_size`` papers at
    a time (:func:`.assignment.assign_in_chunks`), and the trial's outlier reduction
    applies to every split.

    Parameters
    ----------
    documents, vectors
        Per split (``train`` among them), the texts and the embeddings of the trial's model.
    params
        The trial's fit parameters; size-free HDBSCAN parameters are converted with the
        number of fitted papers.
    fitted
        Which training papers (in order) the model is fitted on.
    chunk_size
        Papers assigned at a time; the topics do not depend on it.
    splits
        The splits whose papers are assigned (default: all of ``documents``); the others
        wait for :func:`assign_rest`. Train's fitted papers always have their topics.
    n_jobs
        Processes assigning chunks at once; the topics do not depend on it.
    """
    fit_documents, fit_vectors = select(documents["train"], fitted), vectors["train"][fitted]
    reducer, reduced = ReductionCache(1).get(params["embedding_model"], fit_vectors, params, seed)
    model = fit_topic_model(fit_documents, fit_vectors, reduced, params, seed, prediction_data=True)
    own = np.asarray(model.topics_, dtype=np.int64)
    outliers_reduced = reduce_outliers(model, fit_documents, own, fit_vectors, params)
    fit = Refit(model, reducer, {}, {}, fitted, own, outliers_reduced)
    return assign_rest(fit, documents, vectors, params, chunk_size, splits, n_jobs)


def assign_rest(
    fit: Refit,
    documents: Mapping[str, Sequence[str]],
    vectors: Mapping[str, np.ndarray],
    params: dict[str, Any],
    chunk_size: int,
    splits: Collection[str] | None = None,
    n_jobs: int = 1,
) -> Refit:
    """``fit`` with the papers of ``splits`` (default: all of ``documents``) assigned where
    they are not yet, as :func:`refit` assigns them; ``n_jobs`` processes at once
    (:func:`.assignment.assign_in_chunks`: the topics do not depend on it)."""
    before, after = dict(fit.before), dict(fit.after)
    for split in documents if splits is None else splits:
        if split in after:
            continue
        texts = documents[split]
        rest = np.flatnonzero(~fit.fitted) if split == "train" else np.arange(len(texts))
        before[split] = np.full(len(texts), -1, dtype=np.int64)
        after[split] = before[split].copy()
        before[split][rest], after[split][rest] = assign_in_chunks(
            fit.model, fit.reducer, texts, vectors[split], params, chunk_size, rest, n_jobs
        )
        if split == "train":
            before[split][fit.fitted], after[split][fit.fitted] = fit.own_before, fit.own_after
    return dataclasses.replace(fit, before=before, after=after)
