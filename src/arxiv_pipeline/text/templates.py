"""The text embedded for each paper, and the fingerprint that identifies a split's texts."""

from __future__ import annotations

import hashlib
import string
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from arxiv_pipeline.corpus.splitting import SPLITS

TEMPLATE_FIELDS = ("title", "abstract")
# Texts hashed at a time: bounds the Python strings alive while fingerprinting.
_HASH_BLOCK = 65_536


@dataclass(frozen=True)
class SplitTexts:
    """The texts of one split, in the order of its rows in ``paper_splits``.

    Attributes
    ----------
    split
        ``train``, ``validation`` or ``test``.
    ids, texts
        Paper ids and their texts, as Arrow arrays (compact, and cheap to slice).
    fingerprint
        :func:`fingerprint` of the ids, texts and template.
    """

    split: str
    ids: pa.Array
    texts: pa.Array
    fingerprint: str


@dataclass(frozen=True)
class TextChunks(Sequence[str]):
    """Texts of chosen rows of an Arrow array, made Python strings a slice or a row at a time.

    Attributes
    ----------
    texts
        A split's texts (``SplitTexts.texts``).
    rows
        The rows wanted, in order.
    """

    texts: pa.Array
    rows: np.ndarray

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, papers: int | slice) -> str | list[str]:
        if isinstance(papers, slice):
            return self.texts.take(pa.array(self.rows[papers])).to_pylist()
        return self.texts[int(self.rows[papers])].as_py()


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


def text_hashes(texts: pa.Array) -> np.ndarray:
    """A content hash of each text: the 64-bit BLAKE2b digest of its UTF-8 bytes.

    The topic assignments keep it per paper, so a later snapshot's revised papers (same
    id, other text) are told from unchanged ones without the old texts.

    Returns
    -------
    numpy.ndarray
        ``uint64``, one per text, in order.
    """
    hashes = [np.empty(0, dtype="<u8")]
    for start in range(0, len(texts), _HASH_BLOCK):
        block = texts.slice(start, _HASH_BLOCK).to_pylist()
        digests = b"".join(hashlib.blake2b(value.encode(), digest_size=8).digest() for value in block)
        hashes.append(np.frombuffer(digests, dtype="<u8"))
    return np.concatenate(hashes)


def _update(digest: hashlib.blake2b, values: list[bytes]) -> None:
    digest.update(np.fromiter(map(len, values), dtype="<u8", count=len(values)).tobytes())
    digest.update(b"".join(values))


def build_embedding_texts(
    papers: pq.ParquetFile, paper_splits: pd.DataFrame, text_template: str
) -> dict[str, SplitTexts]:
    """The text of every paper of each split, in the split's order in ``paper_splits``.

    The one place the template is applied and the texts are fingerprinted: every later
    node reads the stored ``<split>_texts``.

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
        result[split] = SplitTexts(
            split, ids, split_texts, fingerprint(ids, split_texts, text_template)
        )
    return result
