"""Custom Kedro datasets for data that must stream rather than sit in memory."""

from .arrow_parquet_dataset import ArrowParquetDataset
from .snapshot_dataset import ArxivSnapshotDataset, SnapshotSource

__all__ = ["ArrowParquetDataset", "ArxivSnapshotDataset", "SnapshotSource"]
