"""The documents and embeddings a topic model is fitted and scored on."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from arxiv_pipeline.datasets.embeddings_dataset import Embeddings
from arxiv_pipeline.text.templates import build_embedding_texts

MEASURES = ("c_npmi", "c_v")


def embedding_inputs(model_keys: list[str], splits: tuple[str, ...]) -> dict[str, str]:
    """Node inputs for the embeddings of each model and split: ``{"minilm__train": "minilm.train_embeddings"}``."""
    return {f"{key}__{split}": f"{key}.{split}_embeddings" for key in model_keys for split in splits}


def _embeddings_of(embeddings: Mapping[str, Embeddings], split: str) -> dict[str, Embeddings]:
    suffix = f"__{split}"
    return {name.removesuffix(suffix): value for name, value in embeddings.items() if name.endswith(suffix)}


class TopicCorpus:
    """The documents and embeddings of one tuning run, restricted to the nested subset."""

    def __init__(
        self,
        papers: pq.ParquetFile,
        paper_splits: pd.DataFrame,
        text_template: str,
        embeddings: Mapping[str, Embeddings],
        size_fraction: float,
    ) -> None:
        texts = build_embedding_texts(papers, paper_splits, text_template)
        self.size_fraction = size_fraction
        self._paper_splits = paper_splits
        self._texts = texts
        self._embeddings = embeddings

    def _subset(self, split: str) -> np.ndarray:
        rows = self._paper_splits[self._paper_splits["split"] == split]
        return (rows["size_fraction"] <= self.size_fraction).to_numpy()

    def ids(self, split: str) -> np.ndarray:
        return self._texts[split].ids.to_numpy(zero_copy_only=False)[self._subset(split)]

    def documents(self, split: str) -> list[str]:
        texts = self._texts[split].texts.to_pylist()
        return [text for text, keep in zip(texts, self._subset(split), strict=True) if keep]

    def vectors(self, split: str) -> dict[str, np.ndarray]:
        """Each model's embeddings of the split's subset, checked against ``paper_splits``."""
        return {
            key: np.asarray(
                value.aligned_to(self._paper_splits, self.size_fraction).vectors, dtype=np.float32
            )
            for key, value in _embeddings_of(self._embeddings, split).items()
        }

    def fingerprint(self) -> str:
        """What the study's trials depend on: the texts (via the embeddings' keys) and the subset."""
        keys = sorted(
            (name, value.metadata["cache_key"]["text_fingerprint"])
            for name, value in self._embeddings.items()
        )
        return f"size_fraction={self.size_fraction};" + ";".join(f"{n}:{f}" for n, f in keys)
