"""TF-IDF + truncated SVD (LSA): fitted once, on a sample of the training split, then applied
to every split.

The embeddings pipeline fits it in a node of its own (:func:`fit_stale_tfidf_svd`) and
saves the fit; each split's node transforms its texts with that fit, a chunk at a time.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from arxiv_pipeline.text.templates import SplitTexts

from .specs import EmbeddingModelError, ModelSpec, TfidfSvdSpec

if TYPE_CHECKING:
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

logger = logging.getLogger(__name__)


def _check_fit_texts(spec: TfidfSvdSpec, n_texts: int, model_key: str) -> None:
    """Refuse more components than the texts the SVD is fitted on, before anything is encoded.

    An SVD of ``n`` texts has at most ``n`` components: scikit-learn would silently return
    fewer, and the vectors would be narrower than the width declared for the matrix.
    """
    fit_texts = min(n_texts, spec.max_fit_documents)
    if fit_texts < spec.n_components:
        raise EmbeddingModelError(
            f"embeddings.models.{model_key}.n_components={spec.n_components} is more than "
            f"the {fit_texts} training texts the TF-IDF + SVD is fitted on (an SVD of "
            f"{fit_texts} texts has at most {fit_texts} components): set it to {fit_texts} or "
            f"fewer, e.g. `--params embeddings.models.{model_key}.n_components={fit_texts}`, "
            "or ingest more papers."
        )


def tfidf_svd_identity(spec: TfidfSvdSpec, train_fingerprint: str) -> dict[str, Any]:
    """The identity of a TF-IDF + SVD model: its settings and the texts it is fitted on.

    The fit is deterministic (seeded sample and SVD), so these determine the vectors, and
    are known before fitting.
    """
    settings = json.dumps(dataclasses.asdict(spec), sort_keys=True)
    return {
        "backend": "tfidf_svd",
        "model": "tfidf_svd",
        "model_hash": hashlib.blake2b(
            f"{settings}|train:{train_fingerprint}".encode(), digest_size=16
        ).hexdigest(),
        "normalize_embeddings": spec.normalize_embeddings,
        "max_seq_length": None,
    }


@dataclass(frozen=True)
class TfidfSvdFit:
    """A fitted TF-IDF + SVD model: what every split is transformed with.

    Attributes
    ----------
    spec
        The settings it was fitted with.
    identity
        :func:`tfidf_svd_identity` of those settings and the training texts.
    vectorizer, svd
        The fitted :class:`~sklearn.feature_extraction.text.TfidfVectorizer` and
        :class:`~sklearn.decomposition.TruncatedSVD`.
    fit_documents
        The training texts they were fitted on (at most ``spec.max_fit_documents``).
    """

    spec: TfidfSvdSpec
    identity: dict[str, Any]
    vectorizer: TfidfVectorizer
    svd: TruncatedSVD
    fit_documents: int


def fit_tfidf_svd(model_key: str, spec: TfidfSvdSpec, train: SplitTexts) -> TfidfSvdFit:
    """Fit ``embeddings.models.<model_key>`` on a seeded sample of the training texts.

    Raises
    ------
    EmbeddingModelError
        If there are fewer training texts or terms than ``n_components``.
    """
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

    _check_fit_texts(spec, len(train.texts), model_key)
    texts = train.texts
    if len(texts) > spec.max_fit_documents:
        rng = np.random.default_rng(spec.seed)
        rows = np.sort(rng.choice(len(texts), spec.max_fit_documents, replace=False))
        texts = texts.take(pa.array(rows))
    vectorizer = TfidfVectorizer(dtype=np.float32, **spec.vectorizer)
    counts = vectorizer.fit_transform(texts.to_pylist())
    if counts.shape[1] < spec.n_components:
        raise EmbeddingModelError(
            f"embeddings.models.{model_key}: n_components={spec.n_components} is more than the "
            f"{counts.shape[1]} terms of the {len(texts)} training texts; lower "
            "n_components or loosen the vectorizer settings (min_df, max_df)."
        )
    # The terms that min_df, max_df and max_features cut: kept for introspection only, and
    # on the full snapshot far more than the vocabulary, so not saved with the fit.
    vectorizer.stop_words_ = None
    svd = TruncatedSVD(spec.n_components, random_state=spec.seed).fit(counts)
    identity = tfidf_svd_identity(spec, train.fingerprint)
    return TfidfSvdFit(spec, identity, vectorizer, svd, len(texts))


def fit_stale_tfidf_svd(
    models: Mapping[str, ModelSpec],
    train: SplitTexts,
    stored: Mapping[str, TfidfSvdFit],
    refit: bool = True,
) -> dict[str, TfidfSvdFit]:
    """The TF-IDF + SVD models of ``models`` that ``stored`` lacks, fitted on ``train``.

    A stored fit of the same settings and training texts (:func:`tfidf_svd_identity`) is
    kept; with ``refit=False`` (``embeddings.tfidf_svd_refit``), a stored fit of the same
    settings is kept whatever texts it was fitted on, so that its cached vectors stay
    valid. The others are fitted once here, and every split is transformed with them.
    """
    fits = {}
    for model_key, spec in models.items():
        if not isinstance(spec, TfidfSvdSpec):
            continue
        identity = tfidf_svd_identity(spec, train.fingerprint)
        if model_key in stored and stored[model_key].identity == identity:
            logger.info("%s: TF-IDF + SVD fitted on these training texts already, kept.", model_key)
            continue
        if not refit and model_key in stored and stored[model_key].spec == spec:
            logger.info(
                "%s: TF-IDF + SVD fitted on an earlier snapshot's %d training texts, kept "
                "(embeddings.tfidf_svd_refit is false): only new and revised texts are encoded.",
                model_key,
                stored[model_key].fit_documents,
            )
            continue
        started = time.perf_counter()
        fits[model_key] = fit_tfidf_svd(model_key, spec, train)
        logger.info(
            "%s: TF-IDF + SVD fitted on %d of %d training texts in %.1f s.",
            model_key,
            fits[model_key].fit_documents,
            len(train.texts),
            time.perf_counter() - started,
        )
    return fits


class TfidfSvdEncoder:
    """Transforms texts with a :class:`TfidfSvdFit`: the same fit for every split.

    Validation and test texts are only transformed, so nothing about them leaks into the
    model.
    """

    #: A refit replaces the stored fit: vectors of the older fits are never asked for again.
    supersedes_other_caches = True

    def __init__(self, fit: TfidfSvdFit) -> None:
        self._fit = fit

    @property
    def identity(self) -> dict[str, Any]:
        return self._fit.identity

    @property
    def dim(self) -> int:
        return self._fit.spec.n_components

    def encode(self, texts: list[str], progress: Callable[[int], object] | None = None) -> np.ndarray:
        """One float32 row per text, in order; ``progress(len(texts))`` when done (one fast batch)."""
        from sklearn.preprocessing import normalize

        fit = self._fit
        vectors = fit.svd.transform(fit.vectorizer.transform(texts)).astype(np.float32)
        if progress is not None:
            progress(len(texts))
        return normalize(vectors) if fit.spec.normalize_embeddings else vectors

    def run_info(self) -> dict[str, Any]:
        import sklearn

        fit = self._fit
        return {
            "fit_documents": fit.fit_documents,
            "terms": len(fit.vectorizer.vocabulary_),
            "explained_variance_ratio": round(float(fit.svd.explained_variance_ratio_.sum()), 6),
            "scikit_learn": sklearn.__version__,
        }
