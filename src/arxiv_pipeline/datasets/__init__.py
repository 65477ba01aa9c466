"""Custom Kedro datasets: streamed Parquet, the snapshot, embeddings caches, studies, models, HTML.

Each class is imported on first use: Kedro imports this package for every command
(`kedro run --pipelines ingestion` too), and BERTopic or torch behind some of these
datasets would add seconds and hundreds of MB to each of them.
"""

from __future__ import annotations

import importlib
from typing import Any

_MODULES = {
    "AbstractsFileDataset": "abstracts_file_dataset",
    "ArrowParquetDataset": "arrow_parquet_dataset",
    "ArxivSnapshotDataset": "snapshot_dataset",
    "BERTopicDataset": "bertopic_dataset",
    "ClassifierDataset": "classifier_dataset",
    "EmbeddingCacheDataset": "embedding_cache_dataset",
    "EmbeddingsDataset": "embeddings_dataset",
    "HTMLDataset": "html_dataset",
    "JSONCacheDataset": "cache_datasets",
    "SplitEmbeddings": "embeddings_dataset",
    "SplitTextsDataset": "texts_dataset",
    "OptunaStudyDataset": "optuna_study_dataset",
    "PickledModelsDataset": "cache_datasets",
    "SnapshotSource": "snapshot_dataset",
}

__all__ = sorted(_MODULES)


def __getattr__(name: str) -> Any:
    if name not in _MODULES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_MODULES[name]}", __name__), name)
