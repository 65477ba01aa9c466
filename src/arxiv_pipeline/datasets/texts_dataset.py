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
from kedro.io import AbstractDataset, DatasetError

from arxiv_pipeline.text.templates import SplitTexts

from ._atomic import replace_file

#: Schema metadata key holding the split and the fingerprint.
_METADATA_KEY = b"arxiv_pipeline.split_texts"


class SplitTextsDataset(AbstractDataset[SplitTexts, SplitTexts]):
    """An Arrow IPC file with columns ``id`` and ``text``, in the split's order in
    ``paper_splits``, loaded memory-mapped.

    Uncompressed and in one record batch, so loading copies nothing: the texts are read
    from the file as they are used, and their pages belong to the page cache, which the
    system can reclaim, not to the process. At the whole snapshot the training texts
    are about 3 GB, which a Parquet file would decompress into memory (twice, while its
    pages are joined) in every pipeline that reads them.

    Parameters
    ----------
    filepath
        The ``.arrow`` file; the split and the fingerprint are kept in its schema metadata.

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
        try:
            table = pa.ipc.open_file(pa.memory_map(str(self._filepath))).read_all()
        except pa.ArrowInvalid as error:
            raise DatasetError(
                f"'{self._filepath}' is not an Arrow IPC file of texts ({error}): run "
                "`kedro run --pipelines embeddings` again."
            ) from None
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
            ids=_one_array(table["id"]),
            texts=_one_array(table["text"]),
            fingerprint=metadata["fingerprint"],
        )

    def save(self, data: SplitTexts) -> None:
        metadata = json.dumps({"split": data.split, "fingerprint": data.fingerprint})
        table = pa.table({"id": data.ids, "text": data.texts}).replace_schema_metadata(
            {_METADATA_KEY: metadata.encode()}
        )
        self._filepath.parent.mkdir(parents=True, exist_ok=True)

        def write(path: Path) -> None:
            with pa.OSFile(str(path), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
                writer.write_table(table)

        replace_file(self._filepath, write)

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}


def _one_array(column: pa.ChunkedArray) -> pa.Array:
    """The column as one array: its single memory-mapped chunk, not a copy."""
    return column.chunk(0) if column.num_chunks == 1 else column.combine_chunks()
