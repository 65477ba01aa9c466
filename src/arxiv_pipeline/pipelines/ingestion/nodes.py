"""Nodes of the ingestion pipeline: snapshot -> validated papers, labels and splits."""

from __future__ import annotations

import itertools
import json
import logging
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from tqdm.auto import tqdm

from arxiv_pipeline.corpus.categories import flatten_category_map
from arxiv_pipeline.corpus.cleaning import CLEAN_SCHEMA
from arxiv_pipeline.corpus.config import IngestionParams
from arxiv_pipeline.corpus.parsing import PARSED_SCHEMA, parse_block
from arxiv_pipeline.corpus.splitting import split_papers, splits_fingerprint
from arxiv_pipeline.datasets.snapshot_dataset import SnapshotSource

logger = logging.getLogger(__name__)

PAPERS_SCHEMA = CLEAN_SCHEMA
QUARANTINE_COLUMNS = ["line_number", "reject_reason", "raw_line"]
_QUARANTINE_SCHEMA = pa.schema([PARSED_SCHEMA.field(name) for name in QUARANTINE_COLUMNS])


class RejectedShareError(ValueError):
    """More snapshot lines were rejected than the configured share allows."""


def parse_snapshot(
    snapshot: SnapshotSource,
    ingestion: IngestionParams,
    category_map: dict[str, dict[str, str]],
) -> Iterator[pa.Table]:
    """Stream the snapshot as parsed, cleaned blocks: one row per line, valid or rejected.

    Blocks are parsed on ``ingestion.parse_threads`` threads (all cores when null):
    pyarrow releases the GIL, so they run in parallel, and results come back in file
    order. The source's path travels in the schema metadata for later nodes to report.

    Raises
    ------
    SnapshotReadError
        If the snapshot is empty (raised here, naming the file), or breaks off while
        the stream is saved (then Kedro names ``parsed_snapshot`` before the file).
    """
    mapping = flatten_category_map(category_map)
    metadata = {"source": str(snapshot.path), "is_demo": json.dumps(snapshot.is_demo)}
    threads = ingestion.parse_threads or os.cpu_count() or 1
    # Read the first block now, so that an empty file fails this node, not the save.
    line_blocks = snapshot.iter_line_blocks(ingestion.block_bytes)
    first_block = next(line_blocks)

    def blocks() -> Iterator[pa.Table]:
        progress = tqdm(total=snapshot.size_bytes, unit="B", unit_scale=True, desc="Parsing snapshot")
        with progress, ThreadPoolExecutor(threads) as pool:
            # At most two blocks per thread in flight keeps memory bounded.
            pending: deque[tuple[Future[pa.Table], int]] = deque()
            for block in itertools.chain([first_block], line_blocks):
                pending.append((pool.submit(parse_block, block, mapping), len(block.data)))
                if len(pending) >= 2 * threads:
                    yield _finish(pending, progress, metadata)
            while pending:
                yield _finish(pending, progress, metadata)

    return blocks()


def _finish(pending: deque, progress: tqdm, metadata: dict[str, str]) -> pa.Table:
    future, size = pending.popleft()
    table = future.result().replace_schema_metadata(metadata)
    progress.update(size)
    return table


def collect_rejected_lines(parsed_snapshot: pq.ParquetFile) -> pd.DataFrame:
    """The quarantine: every rejected line with its number, reason and (truncated) text."""
    rejected = pa.Table.from_batches(
        [
            batch.filter(pc.is_valid(batch["reject_reason"]))
            for batch in parsed_snapshot.iter_batches(columns=QUARANTINE_COLUMNS)
        ],
        schema=_QUARANTINE_SCHEMA,
    )
    return rejected.to_pandas().rename(columns={"reject_reason": "reason"})


def audit_rejections(
    parsed_snapshot: pq.ParquetFile, quarantine: pd.DataFrame, ingestion: IngestionParams
) -> dict[str, Any]:
    """Count the rejected lines by reason and stop the run if there are too many.

    Raises
    ------
    RejectedShareError
        If the share of rejected lines exceeds ``ingestion.max_rejected_share``, or no
        line at all is valid (whatever the share allows: a run without papers is no
        run). The quarantine has been saved by then, so the bad lines can be inspected.
    """
    metadata = parsed_snapshot.schema_arrow.metadata
    source = metadata[b"source"].decode()
    reasons = parsed_snapshot.read(columns=["reject_reason"])["reject_reason"]
    counts = sorted(
        (item["values"], item["counts"]) for item in pc.value_counts(reasons.drop_null()).to_pylist()
    )
    lines_read, rejected = len(reasons), len(reasons) - reasons.null_count
    share = rejected / lines_read if lines_read else 0.0
    audit = {
        "source": source,
        "is_demo": json.loads(metadata[b"is_demo"]),
        "lines_read": lines_read,
        "lines_rejected": rejected,
        "rejected_share": share,
        "rejected_by_reason": dict(counts),
    }
    limit = ingestion.max_rejected_share
    if share > limit or rejected == lines_read:
        examples = "; ".join(
            f"line {row.line_number}: {row.reason}" for row in quarantine.head(3).itertuples()
        )
        verdict = (
            "no valid paper is left"
            if rejected == lines_read
            else f"{share:.2%} > max_rejected_share {limit:.2%}"
        )
        advice = (
            "is this an arXiv snapshot?"
            if rejected == lines_read
            else "raise ingestion.max_rejected_share to accept them."
        )
        raise RejectedShareError(
            f"{rejected} of {lines_read} lines of '{source}' were rejected ({verdict}). "
            f"By reason: {audit['rejected_by_reason']}. First: {examples}. Every rejected "
            f"line is in the quarantine file; {advice}"
        )
    return audit


def build_papers(
    parsed_snapshot: pq.ParquetFile, rejection_audit: dict[str, Any]
) -> Iterator[pa.Table]:
    """Stream the kept papers: valid lines, one per id.

    When an id appears on several lines the most recent version wins: the record with
    the most versions, then the latest ``update_date`` (a missing or invalid date loses
    to any real one), then the last line.
    """
    keep = _latest_version_mask(parsed_snapshot)
    expected = rejection_audit["lines_read"] - rejection_audit["lines_rejected"]

    def batches() -> Iterator[pa.Table]:
        start = 0
        with tqdm(total=expected, unit="papers", desc="Writing papers") as progress:
            # Small batches: this pass holds one batch of text at a time.
            for batch in parsed_snapshot.iter_batches(batch_size=8192, columns=PAPERS_SCHEMA.names):
                rows = batch.filter(pa.array(keep[start : start + batch.num_rows]))
                start += batch.num_rows
                yield pa.Table.from_batches([rows]).cast(PAPERS_SCHEMA)
                progress.update(rows.num_rows)

    return batches()


def _latest_version_mask(parsed_snapshot: pq.ParquetFile) -> np.ndarray:
    """True for the rows to keep: valid, and the latest version of their id."""
    table = parsed_snapshot.read(
        columns=["id", "n_versions", "update_date", "line_number", "reject_reason"]
    )
    frame = table.to_pandas()
    valid = frame[frame["reject_reason"].isna()]
    # Missing dates sort first, so that with keep="last" any real date beats them.
    latest = valid.sort_values(
        ["id", "n_versions", "update_date", "line_number"], na_position="first"
    ).drop_duplicates("id", keep="last")
    keep = np.zeros(table.num_rows, dtype=bool)
    keep[latest.index.to_numpy()] = True
    return keep


def build_label_vocabulary(papers: pq.ParquetFile, ingestion: IngestionParams) -> dict[str, Any]:
    """The label set for classification: canonical labels on at least ``min_label_count`` papers.

    Returns
    -------
    dict
        ``labels`` (most frequent first, ties by name), ``counts`` per kept label,
        ``min_label_count``, and ``dropped`` (rarer labels with their counts).
    """
    labels = pc.list_flatten(papers.read(columns=["categories"])["categories"])
    counts = pc.value_counts(labels).to_pylist()  # a label appears once per paper
    ranked = sorted(
        ((item["values"], item["counts"]) for item in counts), key=lambda item: (-item[1], item[0])
    )
    minimum = ingestion.min_label_count
    return {
        "labels": [label for label, n in ranked if n >= minimum],
        "counts": {label: n for label, n in ranked if n >= minimum},
        "min_label_count": minimum,
        "dropped": {label: n for label, n in ranked if n < minimum},
    }


def assign_splits(papers: pq.ParquetFile, ingestion: IngestionParams) -> pd.DataFrame:
    """Disjoint, nested splits, one row per paper (id, split, size_fraction), each placed by
    its id and the seed alone (see :func:`~arxiv_pipeline.corpus.splitting.split_papers`)."""
    split = ingestion.split
    return split_papers(
        ids=papers.read(columns=["id"])["id"].to_pylist(),
        fractions=split.fractions,
        size_fractions=split.size_fractions,
        seed=split.seed,
    )


def summarise_ingestion(
    rejection_audit: dict[str, Any],
    papers: pq.ParquetFile,
    label_vocabulary: dict[str, Any],
    paper_splits: pd.DataFrame,
) -> dict[str, Any]:
    """What ingestion read, kept, rejected and deduplicated, and how the papers were split."""
    n_papers = papers.metadata.num_rows
    valid = rejection_audit["lines_read"] - rejection_audit["lines_rejected"]
    # Nested subsets: the subset of size f holds every paper with size_fraction <= f.
    sizes = (
        paper_splits.groupby(["split", "size_fraction"]).size().unstack(fill_value=0).cumsum(axis=1)
    )
    summary = {
        **rejection_audit,
        "duplicates_removed": valid - n_papers,
        "papers": n_papers,
        "labels": len(label_vocabulary["labels"]),
        "labels_dropped": len(label_vocabulary["dropped"]),
        "papers_per_split_and_size": {
            split: {str(size): int(n) for size, n in row.items()}
            for split, row in sizes.iterrows()
        },
        # What the evaluation's metrics are compared with: are they of these papers?
        "splits_fingerprint": splits_fingerprint(paper_splits),
    }
    logger.log(
        logging.WARNING if summary["is_demo"] else logging.INFO,
        "Ingested %s%s: %d lines read, %d papers kept, %d rejected (%s), %d duplicates removed, "
        "%d labels.",
        summary["source"],
        " (the SYNTHETIC demo corpus, not arXiv data)" if summary["is_demo"] else "",
        summary["lines_read"],
        n_papers,
        summary["lines_rejected"],
        summary["rejected_by_reason"] or "none",
        summary["duplicates_removed"],
        summary["labels"],
    )
    return summary
