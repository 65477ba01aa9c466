"""New abstracts from a JSON-lines or CSV file, each row checked on its own.

A row that cannot be used (not JSON, not an object, no abstract, an abstract that is
not text or is blank) gets an ``error`` and the other rows go on: one bad line never
stops a batch.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass
from typing import Any

import pandas as pd

COLUMNS = ["row", "id", "title", "abstract", "error"]


@dataclass(frozen=True)
class _Unreadable:
    """A record that could not even be read, and why."""

    reason: str


def parse_abstracts(text: str) -> pd.DataFrame:
    """The rows of a JSON-lines file (objects) or a CSV file (with a header).

    A file whose first non-blank character is ``{`` is JSON lines; any other is CSV.
    Fields: ``abstract`` (required), ``title`` and ``id`` (optional); others are ignored.

    Returns
    -------
    pandas.DataFrame
        ``row`` (1-based record number: the line of a JSON-lines file, the record
        after the header of a CSV file), ``id``, ``title``, ``abstract`` and ``error``
        (``None`` for a usable row).
    """
    if not text.strip():
        return _frame([])
    records = _json_lines(text) if text.lstrip().startswith("{") else _csv_records(text)
    return _frame([_checked(row, record) for row, record in records])


def abstracts_from_texts(abstracts: list[str], title: str | None = None) -> pd.DataFrame:
    """Rows for abstracts given directly (the command line), numbered from 1."""
    return _frame(
        [
            _checked(row, {"abstract": abstract, "title": title})
            for row, abstract in enumerate(abstracts, 1)
        ]
    )


def _frame(rows: list[dict[str, Any]]) -> pd.DataFrame:
    # Object columns keep None as None (pandas would turn text columns into strings with NaN).
    return pd.DataFrame(rows, columns=COLUMNS, dtype=object)


def _json_lines(text: str) -> list[tuple[int, Any]]:
    records = []
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            records.append((number, json.loads(line)))
        except json.JSONDecodeError as error:
            records.append(
                (
                    number,
                    _Unreadable(f"line is not valid JSON: {error.msg} at column {error.colno}"),
                )
            )
    return records


def _csv_records(text: str) -> list[tuple[int, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or "abstract" not in reader.fieldnames:
        # Without the column no row can be used: one row says why.
        return [
            (1, _Unreadable(f"the CSV header {reader.fieldnames or []} has no 'abstract' column"))
        ]
    return list(enumerate(reader, 1))


def _checked(row: int, record: Any) -> dict[str, Any]:
    """One output row: the fields, or the reason the record cannot be classified."""
    result = {"row": row, "id": None, "title": None, "abstract": None, "error": None}
    if isinstance(record, _Unreadable):
        return {**result, "error": record.reason}
    if not isinstance(record, dict):
        return {**result, "error": f"record must be a JSON object, not {type(record).__name__}"}
    identifier = record.get("id")
    result["id"] = None if identifier is None else str(identifier)
    title, abstract = record.get("title"), record.get("abstract")
    if title is not None and not isinstance(title, str):
        return {**result, "error": f"'title' must be text, not {type(title).__name__}"}
    result["title"] = title or ""
    if abstract is None:
        result["error"] = "no 'abstract' given"
    elif not isinstance(abstract, str):
        result["error"] = f"'abstract' must be text, not {type(abstract).__name__}"
    elif not abstract.strip():
        result["error"] = "'abstract' is empty"
    else:
        result["abstract"] = abstract
    return result
