"""Dimensionality reduction for BERTopic, computed once per (embeddings, parameters, seed).

UMAP dominates a BERTopic trial (about 4 s on 2,000 abstracts here), while HDBSCAN and
c-TF-IDF take a fraction of a second. Trials that draw the same reducer settings share
one reduction through :class:`ReductionCache`, and BERTopic receives it through
:class:`PrecomputedReduction` instead of refitting UMAP.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from sklearn.decomposition import PCA
    from umap import UMAP

#: Reducer parameters the search space may set, per reducer.
REDUCER_PARAMETERS = {
    "umap": ("umap.n_neighbors", "umap.n_components", "umap.min_dist"),
    "pca": ("pca.n_components",),
}


def make_reducer(params: dict[str, Any], seed: int) -> UMAP | PCA:
    """The reducer a trial's parameters ask for (``reducer``: ``umap`` or ``pca``)."""
    # Imported here: umap compiles with numba on import, which every kedro command would pay.
    from sklearn.decomposition import PCA
    from umap import UMAP

    if params["reducer"] == "pca":
        return PCA(n_components=params["pca.n_components"], random_state=seed)
    # A fixed random_state makes UMAP deterministic (and single-threaded).
    return UMAP(
        n_neighbors=params["umap.n_neighbors"],
        n_components=params["umap.n_components"],
        min_dist=params["umap.min_dist"],
        metric="cosine",
        random_state=seed,
    )


def _finite(reduced: np.ndarray) -> np.ndarray:
    # UMAP can return NaN for a point without neighbours; HDBSCAN refuses NaN.
    return np.nan_to_num(reduced).astype(np.float32)


def reduce_with(reducer: UMAP | PCA, embeddings: np.ndarray) -> np.ndarray:
    """Embeddings of papers a fitted reducer was not fitted on, reduced as its training papers were."""
    return _finite(reducer.transform(embeddings))


def reducer_key(model_key: str, params: dict[str, Any], seed: int) -> tuple[Hashable, ...]:
    """What identifies a reduction: the embeddings, the reducer and its settings, the seed."""
    reducer = params["reducer"]
    return (model_key, reducer, seed) + tuple(params[name] for name in REDUCER_PARAMETERS[reducer])


class ReductionCache:
    """Fitted reducers and their output on the training embeddings, least recently used out.

    Parameters
    ----------
    max_entries
        How many reductions to keep; each holds an n x n_components matrix and, for UMAP,
        the fitted model (for transforming other splits).
    """

    def __init__(self, max_entries: int = 8) -> None:
        self._entries: OrderedDict[tuple, tuple[UMAP | PCA, np.ndarray]] = OrderedDict()
        self._transformed: dict[tuple, np.ndarray] = {}
        self._max_entries = max_entries
        self.hits = 0
        self.misses = 0

    def get(
        self, model_key: str, embeddings: np.ndarray, params: dict[str, Any], seed: int
    ) -> tuple[UMAP | PCA, np.ndarray]:
        """The fitted reducer and the reduced ``embeddings``, fitting them on a miss."""
        key = reducer_key(model_key, params, seed)
        if key in self._entries:
            self.hits += 1
            self._entries.move_to_end(key)
            return self._entries[key]
        self.misses += 1
        reducer = make_reducer(params, seed)
        reduced = _finite(reducer.fit_transform(embeddings))
        self._entries[key] = (reducer, reduced)
        if len(self._entries) > self._max_entries:
            evicted, _ = self._entries.popitem(last=False)
            self._transformed.pop(evicted, None)
        return reducer, reduced

    def transformed(
        self, model_key: str, params: dict[str, Any], seed: int, held_out: np.ndarray
    ) -> np.ndarray:
        """The held-out split's ``held_out`` embeddings through a reduction :meth:`get` fitted.

        Computed once per reduction (every trial scores the same held-out split); call
        :meth:`get` with the same arguments first.
        """
        key = reducer_key(model_key, params, seed)
        if key not in self._transformed:
            reducer, _ = self._entries[key]
            self._transformed[key] = reduce_with(reducer, held_out)
        return self._transformed[key]


class PrecomputedReduction:
    """BERTopic's ``umap_model`` slot filled with a reduction computed beforehand.

    BERTopic still receives the full embeddings (it averages them into topic embeddings)
    and asks this object to reduce them; it returns the cached reduction instead.
    """

    def __init__(self, reduced: np.ndarray) -> None:
        self.reduced = reduced

    def fit(self, X: np.ndarray, y: Any = None) -> PrecomputedReduction:  # noqa: N803 (sklearn API)
        self._check(X)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:  # noqa: N803
        self._check(X)
        return self.reduced

    def fit_transform(self, X: np.ndarray, y: Any = None) -> np.ndarray:  # noqa: N803
        return self.fit(X).transform(X)

    def _check(self, X: np.ndarray) -> None:  # noqa: N803
        if X.shape[0] != self.reduced.shape[0]:
            raise ValueError(
                f"PrecomputedReduction holds {self.reduced.shape[0]} rows, was given {X.shape[0]}."
            )
