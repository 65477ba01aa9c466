"""A trial's configuration refitted on training papers, with every paper of every split assigned.

The final topic model (``topic_tuning``) and the tuned model's refits under the other
evaluation seeds (:func:`.baselines.tuned_bertopic`) are this one procedure, so under the
final model's seed, on the same papers, the evaluation finds the final model's topics.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .assignment import assign_topics, reduce_outliers
from .model import fit_topic_model
from .reduction import ReductionCache, reduce_with

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
        Per split, each paper's topic before and after the trial's outlier reduction.
    """

    model: BERTopic
    reducer: Any
    before: dict[str, np.ndarray]
    after: dict[str, np.ndarray]


def refit(
    documents: Mapping[str, list[str]],
    vectors: Mapping[str, np.ndarray],
    params: dict[str, Any],
    seed: int,
    fitted: np.ndarray,
) -> Refit:
    """Fit BERTopic with ``params`` under ``seed`` on the ``fitted`` training papers; assign all.

    The reducer is fitted on those papers and BERTopic on its reduction; the fitted papers
    keep their topics from the fit, every other paper of every split (train's others
    included) is assigned through that reducer and ``transform``, then the trial's outlier
    reduction applies to every split.

    Parameters
    ----------
    documents, vectors
        Per split (``train`` among them), the texts and the embeddings of the trial's model.
    params
        The trial's fit parameters; size-free HDBSCAN parameters are converted with the
        number of fitted papers.
    fitted
        Which training papers (in order) the model is fitted on.
    """
    fit_documents = [text for text, keep in zip(documents["train"], fitted, strict=True) if keep]
    fit_vectors = vectors["train"][fitted]
    reducer, reduced = ReductionCache(1).get(params["embedding_model"], fit_vectors, params, seed)
    model = fit_topic_model(fit_documents, fit_vectors, reduced, params, seed, prediction_data=True)
    before = {
        split: _assign(model, texts, vectors[split], reducer, fitted if split == "train" else None)
        for split, texts in documents.items()
    }
    after = {
        split: reduce_outliers(model, documents[split], topics, vectors[split], params)
        for split, topics in before.items()
    }
    return Refit(model, reducer, before, after)


def _assign(
    model: BERTopic,
    documents: list[str],
    vectors: np.ndarray,
    reducer: Any,
    fitted: np.ndarray | None,
) -> np.ndarray:
    """Every paper's topic before outlier reduction: the fit's own for the ``fitted`` ones, else ``transform``."""
    topics = np.full(len(documents), -1, dtype=np.int64)
    if fitted is None:
        fitted = np.zeros(len(documents), dtype=bool)
    else:
        topics[fitted] = model.topics_
    if not fitted.all():
        rest = np.flatnonzero(~fitted)
        topics[rest] = assign_topics(
            model, [documents[row] for row in rest], vectors[rest], reduce_with(reducer, vectors[rest])
        )
    return topics
