"""Dimensionality reduction for BERTopic, computed once per (embeddings, parameters, seed).

UMAP dominates a BERTopic trial (about 4 s on 2,000 abstracts here), while HDBSCAN and
c-TF-IDF take a fraction of a second. Trials that draw the same reducer settings share
one reduction through :class:`ReductionCache`, and BERTopic receives it through
:class:`PrecomputedReduction` instead of refitting UMAP.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
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
    """Embeddings of papers a fitted reducer was not fitted on, reduced as its training papers were.

    One chunk of :func:`reduce_chunk` holding them all: with UMAP, a paper's reduction
    does not depend on the other papers of its batch.
    """
    return reduce_chunk(reducer, embeddings, transform_epochs(reducer, len(embeddings)))


#: umap-learn's transform optimises a batch of at most this many papers for
#: UMAP_SMALL_BATCH_EPOCHS epochs, a larger one for UMAP_LARGE_BATCH_EPOCHS.
UMAP_SMALL_BATCH = 10_000
UMAP_SMALL_BATCH_EPOCHS = 100
UMAP_LARGE_BATCH_EPOCHS = 30


def transform_epochs(reducer: UMAP | PCA | None, papers: int) -> int | None:
    """The epochs UMAP's ``transform`` runs on one batch of ``papers`` papers (None: not UMAP)."""
    from umap import UMAP

    if not isinstance(reducer, UMAP):
        return None
    if reducer.n_epochs is not None:
        return int(reducer.n_epochs // 3)
    return UMAP_SMALL_BATCH_EPOCHS if papers <= UMAP_SMALL_BATCH else UMAP_LARGE_BATCH_EPOCHS


def reduce_chunk(reducer: UMAP | PCA | None, embeddings: np.ndarray, epochs: int | None) -> np.ndarray:
    """One chunk's embeddings reduced as in one ``transform`` of every chunk of its batch.

    PCA reduces each paper on its own. UMAP's ``transform`` does not: it scales the
    batch's edge weights (new papers to training papers) by the batch's heaviest edge and
    optimises for a number of epochs that depends on the batch's size
    (:data:`UMAP_SMALL_BATCH`). So the chunk is transformed with one of the reducer's
    training papers appended (its row dropped): its edge to itself has UMAP's largest
    weight, 1, so every chunk is scaled alike, as a batch large enough to hold a copy of
    a training paper would be; and for ``epochs``, those of one batch of all the chunks
    (:func:`transform_epochs`). A paper is then reduced as in one batch, exactly where
    UMAP's neighbour search is exact (fitted on fewer than 4,096 papers); above,
    pynndescent's search draws random starting points in sequence through a batch, so a
    few papers may find other neighbours. Each paper's neighbours are searched once.

    Parameters
    ----------
    reducer
        A reducer :func:`make_reducer` built and fitted, or None: the embeddings as they are.
    embeddings
        The chunk's embeddings.
    epochs
        :func:`transform_epochs` of the whole batch (None for PCA or no reducer).
    """
    if reducer is None:
        return embeddings
    if epochs is None:
        return _finite(reducer.transform(embeddings))
    # umap-learn keeps the papers it was fitted on (its neighbour search needs them).
    anchor = np.asarray(reducer._raw_data[:1], dtype=embeddings.dtype)
    # A set n_epochs makes transform run n_epochs // 3 epochs, whatever the batch's size.
    with _set(reducer, n_epochs=3 * epochs):
        return _finite(reducer.transform(np.vstack([embeddings, anchor])))[:-1]


@contextmanager
def _set(reducer: UMAP, **attributes: Any) -> Iterator[None]:
    """The fitted reducer with ``attributes`` set, restored on exit."""
    saved = {name: getattr(reducer, name) for name in attributes}
    for name, value in attributes.items():
        setattr(reducer, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(reducer, name, value)


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
