"""New abstracts from a JSON-lines, JSON-array or CSV file, each row checked on its own.

A row that cannot be used (not UTF-8, not JSON, nested too deeply, not an object, no
abstract, an abstract that is not text or is blank) gets an ``error`` and the other rows
go on: one bad line never stops a batch.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

COLUMNS = ["row", "id", "title", "abstract", "error"]
#: ``jsonl``: one JSON object per line; ``json``: one JSON array of objects; ``csv``: a header, then records.
FORMATS = ("jsonl", "json", "csv")
_SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".csv": "csv"}
# Bytes that are not UTF-8 are decoded to these lone surrogates ("surrogateescape"), so
# that each row can be told apart from the others instead of the whole file failing.
_UNDECODABLE = re.compile("[\udc80-\udcff]")
_BOM = "\ufeff"


@dataclass(frozen=True)
class _Unreadable:
    """A record that could not even be read, and why."""

    reason: str


def format_of(path: Path) -> str | None:
    """The format a file's extension names (``.jsonl``, ``.ndjson``, ``.csv``); None for others."""
    return _SUFFIXES.get(path.suffix.lower())


def parse_abstracts(data: bytes | str, file_format: str | None = None) -> pd.DataFrame:
    """The rows of a JSON-lines file (objects), a JSON array of objects, or a CSV file (with a header).

    The format is ``file_format`` (one of :data:`FORMATS`, e.g. from :func:`format_of`)
    or else the first non-blank character after a UTF-8 byte order mark: ``{`` is JSON
    lines, ``[`` a JSON array, any other CSV. Fields: ``abstract`` (required), ``title``
    and ``id`` (optional); others are ignored.

    Returns
    -------
    pandas.DataFrame
        ``row`` (1-based record number: the line of a JSON-lines file, the element of a
        JSON array, the record after the header of a CSV file), ``id``, ``title``,
        ``abstract`` and ``error`` (``None`` for a usable row).
    """
    text = data.decode("utf-8", errors="surrogateescape") if isinstance(data, bytes) else data
    text = text.removeprefix(_BOM)
    if not text.strip():
        return _frame([])
    if file_format is None:
        first = text.lstrip()[0]
        file_format = {"{": "jsonl", "[": "json"}.get(first, "csv")
    read = {"jsonl": _json_lines, "json": _json_array, "csv": _csv_records}[file_format]
    return _frame([_checked(row, record) for row, record in read(text)])


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


def _undecodable(text: str) -> str | None:
    """Where ``text`` holds a byte that is not UTF-8: ``byte 0xff at character 12``; None if nowhere."""
    found = _UNDECODABLE.search(text)
    if found is None:
        return None
    return f"byte 0x{ord(found.group()) - 0xDC00:02x} at character {found.start() + 1}"


def _loaded(document: str, what: str) -> Any:
    """``document`` parsed as JSON, or the reason it cannot be (named after ``what`` it is)."""
    try:
        return json.loads(document)
    except json.JSONDecodeError as error:
        where = (
            f"line {error.lineno} column {error.colno}"
            if what == "file"
            else f"column {error.colno}"
        )
        return _Unreadable(f"{what} is not valid JSON: {error.msg} at {where}")
    except RecursionError:
        # json recurses once per nesting level: a hostile depth must not end the batch.
        return _Unreadable(f"{what} is nested too deeply to read (too_deep)")


def _json_lines(text: str) -> list[tuple[int, Any]]:
    records = []
    # Only "\n" ends a line: splitlines() would also break at U+2028 and other characters
    # that JSON strings may hold unescaped.
    for number, line in enumerate(text.split("\n"), 1):
        if not line.strip():
            continue
        undecodable = _undecodable(line)
        if undecodable:
            records.append((number, _Unreadable(f"line is not valid UTF-8: {undecodable}")))
        else:
            records.append((number, _loaded(line, "line")))
    return records


def _json_array(text: str) -> list[tuple[int, Any]]:
    document = _loaded(text, "file")
    if isinstance(document, _Unreadable):
        return [(1, document)]
    if not isinstance(document, list):
        reason = f"a JSON file must hold an array of objects, not {type(document).__name__}"
        return [(1, _Unreadable(reason))]
    return list(enumerate(document, 1))


def _csv_records(text: str) -> list[tuple[int, Any]]:
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None or "abstract" not in reader.fieldnames:
        # Without the column no row can be used: one row says why.
        return [
            (1, _Unreadable(f"the CSV header {reader.fieldnames or []} has no 'abstract' column"))
        ]
    records: list[tuple[int, Any]] = []
    while True:
        try:
            record = next(reader)
        except StopIteration:
            return records
        except csv.Error as error:
            # A record the csv module refuses (e.g. a field over its size limit) is that
            # record's problem only: the reader goes on with the next line.
            record = _Unreadable(f"CSV record is unreadable: {error}")
        records.append((len(records) + 1, record))


def _checked(row: int, record: Any) -> dict[str, Any]:
    """One output row: the fields, or the reason the record cannot be classified."""
    result = {"row": row, "id": None, "title": None, "abstract": None, "error": None}
    if isinstance(record, _Unreadable):
        return {**result, "error": record.reason}
    if not isinstance(record, dict):
        return {**result, "error": f"record must be a JSON object, not {type(record).__name__}"}
    for name in ("id", "title", "abstract"):
        value = record.get(name)
        undecodable = _undecodable(value) if isinstance(value, str) else None
        if undecodable:
            return {**result, "error": f"'{name}' is not valid UTF-8: {undecodable}"}
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
