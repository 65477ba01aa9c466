"""The text embedded for each paper, and the fingerprint that identifies a split's texts."""

from __future__ import annotations

import hashlib
import string
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

TEMPLATE_FIELDS = ("title", "abstract")
# Texts hashed at a time: bounds the Python strings alive while fingerprinting.
_HASH_BLOCK = 65_536


@dataclass(frozen=True)
class SplitTexts:
    """The texts of one split, in the order of its rows in ``paper_splits``.

    Attributes
    ----------
    ids, texts
        Paper ids and their texts, as Arrow arrays (compact, and cheap to slice).
    fingerprint
        :func:`fingerprint` of the ids, texts and template.
    """

    ids: pa.Array
    texts: pa.Array
    fingerprint: str


def render_texts(table: pa.Table, template: str) -> pa.Array:
    """Fill ``template`` (Python format syntax, fields ``{title}`` and ``{abstract}``) per row.

    Done column-wise in Arrow: no Python string per paper.

    Raises
    ------
    ValueError
        If the template uses another field, a format spec or a conversion, or no field.
    """
    parts: list[pa.ChunkedArray | str] = []
    for literal, field, format_spec, conversion in string.Formatter().parse(template):
        if literal:
            parts.append(literal)
        if field is None:
            continue
        if field not in TEMPLATE_FIELDS or format_spec or conversion:
            raise ValueError(
                f"embeddings.text_template {template!r}: only the plain fields "
                f"{', '.join('{' + name + '}' for name in TEMPLATE_FIELDS)} are allowed."
            )
        parts.append(table[field])
    if not any(isinstance(part, pa.ChunkedArray) for part in parts):
        raise ValueError(
            f"embeddings.text_template {template!r} uses neither {{title}} nor {{abstract}}."
        )
    return pc.binary_join_element_wise(*parts, "").combine_chunks()


def fingerprint(ids: pa.Array, texts: pa.Array, template: str) -> str:
    """A hash (blake2b) of the template and of the ids and texts, in order.

    Every value is hashed with its length, so no two different sequences hash alike by
    moving bytes from one value to the next.
    """
    digest = hashlib.blake2b(digest_size=16)
    _update(digest, [template.encode()])
    for start in range(0, len(ids), _HASH_BLOCK):
        for column in (ids, texts):
            block = column.slice(start, _HASH_BLOCK).to_pylist()
            _update(digest, [value.encode() for value in block])
    return digest.hexdigest()


def _update(digest: hashlib.blake2b, values: list[bytes]) -> None:
    digest.update(np.fromiter(map(len, values), dtype="<u8", count=len(values)).tobytes())
    digest.update(b"".join(values))
