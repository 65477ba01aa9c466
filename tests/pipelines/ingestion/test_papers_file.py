"""The Parquet datasets of the snapshot and the papers: written from batches, read lazily."""

from pathlib import Path

import numpy as np
import pyarrow as pa

from arxiv_pipeline.datasets import ArrowParquetDataset


def test_reading_batches_keeps_nothing_of_what_was_read(tmp_path: Path):
    """A pre-buffering ParquetFile kept every column chunk it had read until it was closed:
    1.4 GB after one pass over the texts of 2.5 million papers."""
    words = np.random.default_rng(0).choice(["alpha", "beta", "gamma", "delta", "eta"], (20, 1000, 150))
    dataset = ArrowParquetDataset(str(tmp_path / "papers.parquet"))
    dataset.save(pa.table({"abstract": [" ".join(row) for row in group]}) for group in words)
    papers = dataset.load()
    assert papers.metadata.num_row_groups == 20
    stored = papers.metadata.row_group(0).column(0).total_compressed_size * 20
    before = pa.total_allocated_bytes()
    assert sum(len(batch) for batch in papers.iter_batches(batch_size=1000)) == 20_000
    assert pa.total_allocated_bytes() - before < stored / 10
