"""The documents and embeddings a topic model is fitted and scored on."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence

import numpy as np
import pandas as pd

from arxiv_pipeline.corpus.splitting import nested_subset
from arxiv_pipeline.embedding.vectors import Embeddings, check_split_ids
from arxiv_pipeline.text.templates import SplitTexts, TextChunks

MEASURES = ("c_npmi", "c_v")


def select(documents: Sequence[str], keep: np.ndarray) -> list[str]:
    """The documents where ``keep`` (a boolean mask over them) is true, in order."""
    return [documents[row] for row in np.flatnonzero(keep)]


class TopicCorpus:
    """The documents and embeddings of one tuning run, restricted to the nested subset.

    Parameters
    ----------
    paper_splits
        The ``paper_splits`` dataset: which papers are in each split and subset.
    texts
        ``{split: <split>_texts}`` of the splits used.
    embeddings
        ``{split: <split>_embeddings}`` (``{model_key: Embeddings}``) of the splits whose
        vectors are used; only the models asked for are read.
    size_fraction
        Keep the papers with ``size_fraction`` at most this (the nested subset): one
        value for every split, or one per split (``{"train": 0.1}``; a split left out
        is whole).

    Raises
    ------
    StaleEmbeddingsError
        If the texts are not those of the current ``paper_splits`` (ingestion ran again
        without the embeddings pipeline).
    """

    def __init__(
        self,
        paper_splits: pd.DataFrame,
        texts: Mapping[str, SplitTexts],
        embeddings: Mapping[str, Mapping[str, Embeddings]],
        size_fraction: float | Mapping[str, float],
    ) -> None:
        self._fractions = (
            {split: size_fraction.get(split, 1.0) for split in texts}
            if isinstance(size_fraction, Mapping)
            else dict.fromkeys(texts, size_fraction)
        )
        self._paper_splits = paper_splits
        self._texts = texts
        self._embeddings = embeddings
        self._subsets = {split: self._subset(split) for split in texts}

    def _subset(self, split: str) -> np.ndarray:
        ids = self._texts[split].ids.to_numpy(zero_copy_only=False)
        check_split_ids(ids, self._paper_splits, split, f"The stored {split}_texts")
        return nested_subset(self._paper_splits, split, self._fractions[split])

    def size_fraction(self, split: str) -> float:
        """The nested subset of ``split`` this corpus holds."""
        return self._fractions[split]

    def nested(self, split: str, size_fraction: float) -> np.ndarray:
        """Which of the split's papers held here (in order) are in the nested subset ``size_fraction``."""
        return nested_subset(self._paper_splits, split, size_fraction)[self._subsets[split]]

    def ids(self, split: str) -> np.ndarray:
        return self._texts[split].ids.to_numpy(zero_copy_only=False)[self._subsets[split]]

    def documents(self, split: str) -> list[str]:
        return self.texts(split)[:]

    def texts(self, split: str) -> TextChunks:
        """The split's subset's texts, made Python strings as they are read (a chunk at a time)."""
        return TextChunks(self._texts[split].texts, np.flatnonzero(self._subsets[split]))

    def vectors(self, split: str, model_key: str) -> np.ndarray:
        """A model's float32 embeddings of the split's subset, checked against ``paper_splits``.

        A whole split's are the stored (memory-mapped) matrix itself, not a copy.
        """
        stored = self._embeddings[split][model_key]
        whole = self._subsets[split].all()
        aligned = stored.aligned_to(self._paper_splits, None if whole else self._fractions[split])
        return np.asarray(aligned.vectors, dtype=np.float32)

    def vectors_by_model(self, split: str, model_keys: Iterable[str]) -> Mapping[str, np.ndarray]:
        """``{model_key: vectors(split, model_key)}``, each read on first access and kept."""
        return _LazyVectors(self, split, list(model_keys))


class _LazyVectors(Mapping[str, np.ndarray]):
    """The models' vectors of one split: a trial reads only its model's (gigabytes at scale)."""

    def __init__(self, corpus: TopicCorpus, split: str, model_keys: list[str]) -> None:
        self._corpus, self._split, self._keys = corpus, split, model_keys
        self._read: dict[str, np.ndarray] = {}

    def __getitem__(self, model_key: str) -> np.ndarray:
        if model_key not in self._keys:
            raise KeyError(model_key)
        if model_key not in self._read:
            self._read[model_key] = self._corpus.vectors(self._split, model_key)
        return self._read[model_key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._keys)

    def __len__(self) -> int:
        return len(self._keys)
