"""Custom Kedro datasets: streamed Parquet, the snapshot, embeddings caches, studies, models."""

from .arrow_parquet_dataset import ArrowParquetDataset
from .bertopic_dataset import BERTopicDataset
from .embeddings_dataset import Embeddings, EmbeddingsDataset
from .optuna_study_dataset import OptunaStudyDataset, StudyStore
from .snapshot_dataset import ArxivSnapshotDataset, SnapshotSource

__all__ = [
    "ArrowParquetDataset",
    "ArxivSnapshotDataset",
    "BERTopicDataset",
    "Embeddings",
    "EmbeddingsDataset",
    "OptunaStudyDataset",
    "SnapshotSource",
    "StudyStore",
]
