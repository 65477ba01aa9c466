"""TF-IDF + truncated SVD (LSA) as an encoder, fitted on the training split only."""

from __future__ import annotations

import dataclasses
import hashlib
import json
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np
import pyarrow as pa

from arxiv_pipeline.text.templates import SplitTexts

from .specs import EmbeddingModelError, TfidfSvdSpec

if TYPE_CHECKING:
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer


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


class TfidfSvdEncoder:
    """TF-IDF + truncated SVD, fitted on the training texts on first use.

    Validation and test texts are only transformed, so nothing about them leaks into the
    model. The fit is deterministic (seeded sample and SVD), so every split's node fits
    the same model from the same training texts, and its identity (the settings and the
    training texts' fingerprint) is known before fitting.
    """

    def __init__(self, spec: TfidfSvdSpec, train: SplitTexts, model_key: str) -> None:
        self._spec = spec
        self._train = train
        _check_fit_texts(spec, len(train.texts), model_key)
        settings = json.dumps(dataclasses.asdict(spec), sort_keys=True)
        self._identity = {
            "backend": "tfidf_svd",
            "model": "tfidf_svd",
            "model_hash": hashlib.blake2b(
                f"{settings}|train:{train.fingerprint}".encode(), digest_size=16
            ).hexdigest(),
            "normalize_embeddings": spec.normalize_embeddings,
            "max_seq_length": None,
        }

    @property
    def identity(self) -> dict[str, Any]:
        return self._identity

    @property
    def dim(self) -> int:
        return self._spec.n_components

    @cached_property
    def fitted(self) -> tuple[TfidfVectorizer, TruncatedSVD, int]:
        """The vectorizer, the SVD, and how many training texts they were fitted on."""
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = self._train.texts
        if len(texts) > self._spec.max_fit_documents:
            rng = np.random.default_rng(self._spec.seed)
            rows = np.sort(rng.choice(len(texts), self._spec.max_fit_documents, replace=False))
            texts = texts.take(pa.array(rows))
        vectorizer = TfidfVectorizer(dtype=np.float32, **self._spec.vectorizer)
        counts = vectorizer.fit_transform(texts.to_pylist())
        if counts.shape[1] < self._spec.n_components:
            raise EmbeddingModelError(
                f"tfidf_svd: n_components={self._spec.n_components} is more than the "
                f"{counts.shape[1]} terms of the {len(texts)} training texts; lower "
                "n_components or loosen the vectorizer settings (min_df, max_df)."
            )
        svd = TruncatedSVD(self._spec.n_components, random_state=self._spec.seed)
        svd.fit(counts)
        return vectorizer, svd, len(texts)

    def encode(self, texts: list[str], progress: Callable[[int], object] | None = None) -> np.ndarray:
        """One float32 row per text, in order; ``progress(len(texts))`` when done (one fast batch)."""
        from sklearn.preprocessing import normalize

        vectorizer, svd, _ = self.fitted
        vectors = svd.transform(vectorizer.transform(texts)).astype(np.float32)
        if progress is not None:
            progress(len(texts))
        return normalize(vectors) if self._spec.normalize_embeddings else vectors

    def run_info(self) -> dict[str, Any]:
        import sklearn

        vectorizer, svd, fit_documents = self.fitted
        return {
            "fit_documents": fit_documents,
            "terms": len(vectorizer.vocabulary_),
            "explained_variance_ratio": round(float(svd.explained_variance_ratio_.sum()), 6),
            "scikit_learn": sklearn.__version__,
        }
