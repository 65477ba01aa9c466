"""Nodes of the embeddings pipeline: papers and splits -> one embedding job per (model, split).

The nodes only describe the work. Encoding happens when ``EmbeddingsDataset`` saves a
job, and only if its cache does not already hold vectors for the same model and texts.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from arxiv_pipeline.datasets.embeddings_dataset import EmbeddingJob

from .encoders import make_encoder
from .texts import TEMPLATE_FIELDS, SplitTexts, fingerprint, render_texts

SPLITS = ("train", "validation", "test")


def build_embedding_texts(
    papers: pq.ParquetFile, paper_splits: pd.DataFrame, text_template: str
) -> dict[str, SplitTexts]:
    """The text of every paper of each split, in the split's order in ``paper_splits``.

    Raises
    ------
    ValueError
        If ``paper_splits`` does not have exactly the splits train, validation and test,
        or names papers that ``papers`` does not hold (ingestion ran halfway).
    """
    found = set(paper_splits["split"].unique())
    if found != set(SPLITS):
        raise ValueError(f"paper_splits holds the splits {sorted(found)}; expected {list(SPLITS)}.")
    table = papers.read(columns=["id", *TEMPLATE_FIELDS])
    texts = render_texts(table, text_template)
    paper_ids = table["id"].combine_chunks()
    result = {}
    for split in SPLITS:
        ids = pa.array(paper_splits.loc[paper_splits["split"] == split, "id"], pa.string())
        rows = pc.index_in(ids, value_set=paper_ids)
        if rows.null_count:
            raise ValueError(
                f"{rows.null_count} papers of split '{split}' in paper_splits are not in papers: "
                "run `kedro run --pipelines ingestion` again."
            )
        split_texts = texts.take(rows)
        result[split] = SplitTexts(ids, split_texts, fingerprint(ids, split_texts, text_template))
    return result


def prepare_embedding_jobs(
    embedding_texts: dict[str, SplitTexts],
    model: dict[str, Any],
    encoding: dict[str, Any],
    *,
    model_key: str,
) -> dict[str, EmbeddingJob]:
    """One embedding job per split for ``embeddings.models.<model_key>``.

    The model is found here, so a missing one fails before anything is encoded; it is
    loaded (or, for TF-IDF + SVD, fitted on the training split) only by a job that misses
    the cache.
    """
    encoder = make_encoder(model_key, model, encoding, embedding_texts["train"])
    return {
        split: EmbeddingJob(
            model_key=model_key,
            split=split,
            ids=texts.ids,
            texts=texts.texts,
            text_fingerprint=texts.fingerprint,
            encoder=encoder,
            chunk_size=encoding["chunk_size"],
        )
        for split, texts in embedding_texts.items()
    }
