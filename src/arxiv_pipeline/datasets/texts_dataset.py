"""The texts of one split (``train_texts``, ...): what was embedded, with its fingerprint.

The embeddings pipeline renders ``embeddings.text_template`` once per split and stores
the result here; topic tuning, the classifier and evaluation read it instead of
rendering the texts again, and take the fingerprint from the file instead of hashing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq
from kedro.io import AbstractDataset, DatasetError

from arxiv_pipeline.text.templates import SplitTexts

from ._atomic import replace_file

#: Schema metadata key holding the split and the fingerprint.
_METADATA_KEY = b"arxiv_pipeline.split_texts"


class SplitTextsDataset(AbstractDataset[SplitTexts, SplitTexts]):
    """A Parquet file with columns ``id`` and ``text``, in the split's order in ``paper_splits``.

    Parameters
    ----------
    filepath
        The Parquet file; the split and the fingerprint are kept in its schema metadata.

    Examples
    --------
    >>> train = catalog.load("train_texts")      # doctest: +SKIP
    >>> train.fingerprint, train.texts[0]        # doctest: +SKIP
    """

    def __init__(self, filepath: str) -> None:
        self._filepath = Path(filepath)

    def load(self) -> SplitTexts:
        if not self._filepath.is_file():
            raise DatasetError(
                f"No texts at '{self._filepath}': run `kedro run --pipelines embeddings`."
            )
        table = pq.read_table(self._filepath)
        stored = (table.schema.metadata or {}).get(_METADATA_KEY)
        if stored is None:
            raise DatasetError(
                f"'{self._filepath}' has no '{_METADATA_KEY.decode()}' metadata (split, "
                "fingerprint): it was not written by SplitTextsDataset; run "
                "`kedro run --pipelines embeddings` again."
            )
        metadata = json.loads(stored)
        return SplitTexts(
            split=metadata["split"],
            ids=table["id"].combine_chunks(),
            # Large strings: a file written before texts were (a string column) may
            # pass 2 GiB, which a string array cannot hold in one piece.
            texts=table["text"].cast(pa.large_string()).combine_chunks(),
            fingerprint=metadata["fingerprint"],
        )

    def save(self, data: SplitTexts) -> None:
        metadata = json.dumps({"split": data.split, "fingerprint": data.fingerprint})
        table = pa.table({"id": data.ids, "text": data.texts}).replace_schema_metadata(
            {_METADATA_KEY: metadata.encode()}
        )
        self._filepath.parent.mkdir(parents=True, exist_ok=True)
        replace_file(self._filepath, lambda path: pq.write_table(table, path, compression="zstd"))

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}
