"""The text embedded for each paper, and the fingerprint that identifies a split's texts."""

from __future__ import annotations

import hashlib
import string
from collections.abc import Iterator, Sequence
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
#: Papers read from ``papers`` at a time by :func:`texts_of_papers`.
READ_BATCH = 65_536
# Texts are Arrow large strings (64-bit offsets): the texts of a split pass 2 GiB at the
# whole snapshot (2 million training papers of about 1.4 KB), where a string array of
# them can no longer be concatenated or taken from.
_TEXT_TYPE = pa.large_string()


@dataclass(frozen=True)
class SplitTexts:
    """The texts of one split, in the order of its rows in ``paper_splits``.

    Attributes
    ----------
    split
        ``train``, ``validation`` or ``test``.
    ids, texts
        Paper ids and their texts, as Arrow arrays (compact, and cheap to slice); the
        texts are large strings.
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


def render_texts(table: pa.Table | pa.RecordBatch, template: str) -> pa.Array:
    """Fill ``template`` (Python format syntax, fields ``{title}`` and ``{abstract}``) per row.

    Done column-wise in Arrow: no Python string per paper. The result is a large string
    array, whatever the size.

    Raises
    ------
    ValueError
        If the template uses another field, a format spec or a conversion, or no field.
    """
    parts: list[pa.ChunkedArray | pa.Array | pa.Scalar] = []
    for literal, field, format_spec, conversion in string.Formatter().parse(template):
        if literal:
            parts.append(pa.scalar(literal, _TEXT_TYPE))
        if field is None:
            continue
        if field not in TEMPLATE_FIELDS or format_spec or conversion:
            raise ValueError(
                f"embeddings.text_template {template!r}: only the plain fields "
                f"{', '.join('{' + name + '}' for name in TEMPLATE_FIELDS)} are allowed."
            )
        parts.append(table[field].cast(_TEXT_TYPE))
    if all(isinstance(part, pa.Scalar) for part in parts):
        raise ValueError(
            f"embeddings.text_template {template!r} uses neither {{title}} nor {{abstract}}."
        )
    texts = pc.binary_join_element_wise(*parts, pa.scalar("", _TEXT_TYPE))
    return texts.combine_chunks() if isinstance(texts, pa.ChunkedArray) else texts


def texts_of_papers(
    papers: pq.ParquetFile, ids: pa.Array, template: str, batch_size: int = READ_BATCH
) -> pa.Array:
    """The text (:func:`render_texts`) of each paper of ``ids``, in the order of ``ids``.

    ``papers`` is read twice, ``batch_size`` papers at a time, and only the wanted rows
    are rendered: the first pass measures each text, the second copies it into its place
    in one buffer. So memory holds the texts once and one batch. (Collecting the batches'
    texts and putting them in order would hold them three times: the batches, their
    concatenation and the reordered copy. At the whole snapshot that was 8 GB.)

    Returns
    -------
    pyarrow.Array
        Large strings, one per id; null where ``papers`` holds no such id.
    """
    lengths = np.full(len(ids), -1, dtype=np.int64)
    for rows, texts in _wanted_texts(papers, ids, template, batch_size):
        lengths[rows] = pc.binary_length(texts).to_numpy()
    found = lengths >= 0
    offsets = np.zeros(len(ids) + 1, dtype=np.int64)
    np.cumsum(np.where(found, lengths, 0), out=offsets[1:])
    data = np.empty(offsets[-1], dtype=np.uint8)
    for rows, texts in _wanted_texts(papers, ids, template, batch_size):
        _, source_offsets, source_data = texts.buffers()
        starts = np.frombuffer(source_offsets, dtype=np.int64)[texts.offset : texts.offset + len(texts) + 1]
        source = np.frombuffer(source_data, dtype=np.uint8)
        for row, start, stop in zip(rows.tolist(), starts[:-1].tolist(), starts[1:].tolist()):
            data[offsets[row] : offsets[row] + stop - start] = source[start:stop]
    validity = None if found.all() else pa.py_buffer(np.packbits(found, bitorder="little"))
    return pa.LargeStringArray.from_buffers(
        len(ids), pa.py_buffer(offsets), pa.py_buffer(data), validity, int((~found).sum())
    )


def _wanted_texts(
    papers: pq.ParquetFile, ids: pa.Array, template: str, batch_size: int
) -> Iterator[tuple[np.ndarray, pa.Array]]:
    """Per batch of ``papers`` holding wanted papers: their positions in ``ids`` and texts."""
    # One hash table of the wanted ids, looked up by every batch.
    wanted = pd.Index(ids.to_pandas())
    for batch in papers.iter_batches(batch_size=batch_size, columns=["id", *TEMPLATE_FIELDS]):
        rows = wanted.get_indexer(batch.column("id").to_pandas())
        kept = rows >= 0
        if kept.any():
            yield rows[kept], render_texts(batch.filter(pa.array(kept)), template)


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
    node reads the stored ``<split>_texts``. The papers are read from ``papers`` a batch at
    a time (:func:`texts_of_papers`), so memory holds the texts once, not every column of
    every paper.

    Raises
    ------
    ValueError
        If ``paper_splits`` does not have exactly the splits train, validation and test,
        or names papers that ``papers`` does not hold (ingestion ran halfway).
    """
    found = set(paper_splits["split"].unique())
    if found != set(SPLITS):
        raise ValueError(f"paper_splits holds the splits {sorted(found)}; expected {list(SPLITS)}.")
    # The texts of all splits in one buffer, split after split: each split's is a slice.
    ids = {
        split: pa.array(paper_splits.loc[paper_splits["split"] == split, "id"], pa.string())
        for split in SPLITS
    }
    texts = texts_of_papers(papers, pa.concat_arrays(list(ids.values())), text_template)
    result, start = {}, 0
    for split, split_ids in ids.items():
        split_texts = texts.slice(start, len(split_ids))
        start += len(split_ids)
        if split_texts.null_count:
            raise ValueError(
                f"{split_texts.null_count} papers of split '{split}' in paper_splits are not "
                "in papers: run `kedro run --pipelines ingestion` again."
            )
        result[split] = SplitTexts(
            split, split_ids, split_texts, fingerprint(split_ids, split_texts, text_template)
        )
    return result
