"""A file of new abstracts to classify, read as bytes; one that holds nothing is an error."""

from __future__ import annotations

from typing import Any

from kedro.io import DatasetError
from kedro.io.core import get_filepath_str
from kedro_datasets.text import TextDataset

_UTF8_BOM = b"\xef\xbb\xbf"


class AbstractsFileDataset(TextDataset):
    """``text.TextDataset`` read as bytes (each row is decoded on its own), read-only.

    A 0-byte or blank file is refused naming it: it has no row to classify or to report
    as bad, so the predictions would be an empty file and the run would end as if all
    went well.
    """

    DEFAULT_FS_ARGS: dict[str, Any] = {"open_args_load": {"mode": "rb"}}

    def load(self) -> bytes:
        data = super().load()
        if not data.removeprefix(_UTF8_BOM).strip():
            path = get_filepath_str(self._get_load_path(), self._protocol)
            what = "empty (0 bytes)" if not data else "blank (white space only)"
            raise DatasetError(
                f"The file of abstracts to classify '{path}' is {what}: give a JSON-lines, "
                "JSON-array or CSV file with an 'abstract' field, e.g. `kedro run "
                "--pipelines predict --params predict_input=new.jsonl`."
            )
        return data

    def save(self, data: bytes) -> None:
        raise DatasetError("The file of abstracts to classify is read-only input.")
