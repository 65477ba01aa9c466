"""Snapshot lines for the ingestion tests: a valid record and one line per kind of fault."""

import json
from pathlib import Path


def record(**fields) -> str:
    """One snapshot line; a field given as ``...`` is left out."""
    base = {
        "id": "0704.0001",
        "title": "A title",
        "abstract": "  An abstract.\n",
        "categories": "hep-th",
        "update_date": "2008-11-26",
        "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}],
    }
    base.update(fields)
    return json.dumps({key: value for key, value in base.items() if value is not ...})


def nested(depth: int) -> str:
    """A JSON value ``depth`` arrays deep: deeper than Python's json can decode."""
    return "[" * depth + "]" * depth


def with_deep_field(name: str, depth: int = 1000) -> str:
    """A valid record with a ``depth``-deep value in field ``name``."""
    return record()[:-1] + f', "{name}": {nested(depth)}}}'


BROKEN_LINES = {
    "invalid_json": "{not json at all}",
    "truncated_json": record()[:40],
    "invalid_utf8": record(title="caf\udce9"),  # replaced below by raw invalid bytes
    "blank_line": "   ",
    "not_an_object": '["a", "list"]',
    "too_deep": with_deep_field("title"),
    "missing_field:id": record(id=...),
    "missing_field:abstract": record(abstract=None),
    "missing_field:categories": record(categories=...),
    "empty_abstract": record(abstract=" \n  "),
    "empty_field:id": record(id=" \t"),
    "empty_field:title": record(title=""),
    "empty_field:categories": record(categories="  "),
    "wrong_type:id": record(id=704.0001),
    "wrong_type:categories": record(categories=["hep-th"]),
    "wrong_type:versions": record(versions="v1"),
}


def encode(reason: str, line: str) -> bytes:
    if reason == "invalid_utf8":
        return record(title="caf").encode().replace(b'"caf"', b'"caf\xe9"')
    return line.encode()


def write_snapshot(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path
