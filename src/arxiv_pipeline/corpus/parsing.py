"""Parse and validate blocks of snapshot lines into Arrow tables.

A block goes through pyarrow's multithreaded JSON reader when every line in it is a
well-formed record: that is the fast path, and on the real snapshot nearly every block
takes it. A block that pyarrow rejects (a broken line anywhere in it) is parsed again
line by line to find which lines are bad and why. Both paths end in the same
vectorised cleaning and field checks, made on the cleaned values (a field is empty when
nothing is left of it after cleaning), so a line gets the same verdict and the same
values whichever path it took.
"""

from __future__ import annotations

import io
import json
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pa_json

from arxiv_pipeline.corpus.lines import LineBlock

from .cleaning import CLEAN_SCHEMA, clean_records

REQUIRED_FIELDS = ("id", "title", "abstract", "categories")
OPTIONAL_STRING_FIELDS = ("update_date",)
_STRING_FIELDS = REQUIRED_FIELDS + OPTIONAL_STRING_FIELDS
_VERSION_TYPE = pa.struct([("version", pa.string()), ("created", pa.string())])

#: The snapshot fields ingestion reads; the other nine keys are skipped unparsed.
READ_SCHEMA = pa.schema(
    [(name, pa.string()) for name in _STRING_FIELDS] + [("versions", pa.list_(_VERSION_TYPE))]
)

#: One row per snapshot line: the cleaned record when valid, the reason when not.
PARSED_SCHEMA = pa.schema(
    [("line_number", pa.int64())]
    + list(CLEAN_SCHEMA)
    + [
        ("n_versions", pa.int32()),
        ("reject_reason", pa.string()),
        ("raw_line", pa.string()),
    ]
)

#: Rejected lines are kept in the quarantine up to this many characters.
RAW_LINE_CHARS = 2000

_PARSE_OPTIONS = pa_json.ParseOptions(explicit_schema=READ_SCHEMA, unexpected_field_behavior="ignore")


def parse_block(block: LineBlock, category_map: dict[str, str]) -> pa.Table:
    """Parse one block of snapshot lines into a table with :data:`PARSED_SCHEMA`.

    ``category_map`` replaces alias and retired labels (see ``categories.py``).
    """
    n_lines = block.data.count(b"\n") + (not block.data.endswith(b"\n"))
    records = _read_block(block.data)
    # pyarrow skips blank lines, which would shift every later line number.
    if records is None or records.num_rows != n_lines:
        records, decode_reasons = _decode_lines(block)
    else:
        decode_reasons = np.full(n_lines, None, dtype=object)
    cleaned = clean_records(records, category_map)
    reasons = np.where(
        decode_reasons == None, _field_reasons(records, cleaned), decode_reasons  # noqa: E711
    )
    n_versions = pc.fill_null(pc.list_value_length(records["versions"]), 0).cast(pa.int32())
    columns = {
        "line_number": pa.array(np.arange(n_lines) + block.first_line, pa.int64()),
        **cleaned,
        "n_versions": n_versions,
        "reject_reason": pa.array(reasons, pa.string()),
        "raw_line": pa.array(_raw_lines(block, reasons), pa.string()),
    }
    return pa.table(columns, schema=PARSED_SCHEMA)


def _read_block(data: bytes) -> pa.Table | None:
    """The block's records through pyarrow, or None when any line stops it."""
    try:
        records = pa_json.read_json(
            io.BytesIO(data),
            # 1 MiB chunks let pyarrow parse one block on several threads.
            read_options=pa_json.ReadOptions(block_size=1 << 20),
            parse_options=_PARSE_OPTIONS,
        )
        # pyarrow does not check UTF-8 inside string values; Arrow's validation does.
        for name in _STRING_FIELDS:
            records[name].validate(full=True)
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    return records


def _decode_lines(block: LineBlock) -> tuple[pa.Table, np.ndarray]:
    """The block's records decoded line by line, and why each line could not be decoded.

    A line that decoded cleanly still goes through the field checks of the fast path.
    """
    lines = block.data.split(b"\n")
    if block.data.endswith(b"\n"):
        lines.pop()
    rows: list[dict[str, Any]] = []
    reasons: list[str | None] = []
    for raw in lines:
        record, reason = _decode_line(raw)
        rows.append(record)
        reasons.append(reason)
    return pa.Table.from_pylist(rows, schema=READ_SCHEMA), np.array(reasons, dtype=object)


def _decode_line(raw: bytes) -> tuple[dict[str, Any], str | None]:
    """Return the record's typed fields (empty when unusable) and why it was rejected."""
    # Invalid bytes survive decoding as lone surrogates, so that, as on the fast path,
    # only the fields ingestion reads have to be valid UTF-8.
    text = raw.decode("utf-8", errors="surrogateescape")
    if not text.strip():
        return {}, "blank_line"
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as error:
        truncated = error.pos >= len(text.rstrip()) or error.msg.startswith("Unterminated string")
        return {}, "truncated_json" if truncated else "invalid_json"
    except RecursionError:
        return _decode_deep_line(raw)
    if not isinstance(obj, dict):
        return {}, "not_an_object"
    for name in _STRING_FIELDS:
        if not isinstance(obj.get(name, ""), (str, type(None))):
            return {}, f"wrong_type:{name}"
    if not all(_is_utf8(obj.get(name) or "") for name in _STRING_FIELDS):
        return {}, "invalid_utf8"
    versions = obj.get("versions")
    if not _is_version_list(versions):
        return {}, "wrong_type:versions"
    record = {name: obj.get(name) for name in _STRING_FIELDS}
    record["versions"] = versions and [
        {"version": version.get("version"), "created": version.get("created")}
        for version in versions
    ]
    return record, None


def _decode_deep_line(raw: bytes) -> tuple[dict[str, Any], str | None]:
    """A line nested deeper than Python's recursion limit, read as the fast path reads it.

    pyarrow's reader does not recurse, and skips the fields ingestion does not read, so a
    deep value there leaves the record valid, as it is when its block takes the fast path.
    """
    records = _read_block(raw + b"\n")
    if records is None or records.num_rows != 1:
        return {}, "too_deep"
    return records.to_pylist()[0], None


def _is_utf8(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _is_version_list(versions: Any) -> bool:
    if versions is None:
        return True
    return isinstance(versions, list) and all(
        isinstance(version, dict)
        and all(isinstance(version.get(key), (str, type(None))) for key in ("version", "created"))
        for version in versions
    )


def _field_reasons(records: pa.Table, cleaned: dict[str, pa.Array]) -> np.ndarray:
    """Why each record is unusable (``None`` where it is fine), first failure wins.

    A field is missing when the record lacks it (or holds null), and empty when its
    cleaned value is: whitespace only, or, for ``categories``, no label at all.
    """
    reasons = np.full(records.num_rows, None, dtype=object)
    # Checks run from the least to the most important, so the most important overwrites.
    for name in reversed(REQUIRED_FIELDS):
        value = cleaned[name]
        blank = (
            pc.equal(pc.list_value_length(value), 0)
            if name == "categories"
            else pc.equal(value, "")
        )
        reason = "empty_abstract" if name == "abstract" else f"empty_field:{name}"
        reasons[_true_mask(blank)] = reason
    for name in reversed(REQUIRED_FIELDS):
        reasons[_true_mask(pc.is_null(records[name]))] = f"missing_field:{name}"
    return reasons


def _true_mask(mask: pa.ChunkedArray) -> np.ndarray:
    return pc.fill_null(mask, False).to_numpy(zero_copy_only=False)


def _raw_lines(block: LineBlock, reasons: np.ndarray) -> list[str | None]:
    raw_text: list[str | None] = [None] * len(reasons)
    bad = np.flatnonzero(reasons != None)  # noqa: E711
    if bad.size:
        lines = block.data.split(b"\n")
        for index in bad:
            raw_text[index] = _truncate(lines[index].decode("utf-8", errors="replace"))
    return raw_text


def _truncate(text: str) -> str:
    return text if len(text) <= RAW_LINE_CHARS else text[:RAW_LINE_CHARS] + "…"
