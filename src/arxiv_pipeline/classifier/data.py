"""What the classifier learns from: embeddings and multi-hot targets of the labelled papers.

Nothing here copies a split's embeddings: a network reads them from the memory-mapped
matrix a batch at a time (:class:`LabelledVectors`), and the targets are sparse, made
dense a batch at a time. On the full snapshot the training split's embeddings are
gigabytes and its dense targets hundreds of megabytes; its sparse targets are a few tens.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import scipy.sparse as sp

from arxiv_pipeline.corpus.splitting import nested_subset
from arxiv_pipeline.embedding.vectors import Embeddings


@dataclass(frozen=True)
class LabelledSplit:
    """The papers of one split that carry at least one vocabulary label.

    Papers whose labels are all too rare for the vocabulary have no target to learn or
    score (a ranking metric would count them as perfect), so they are left out.

    Attributes
    ----------
    split
        ``train``, ``validation`` or ``test``.
    ids
        Paper ids, in the split's order in ``paper_splits``.
    rows
        Position of each paper among the split's rows of ``paper_splits``: the row of
        its embedding (see ``Embeddings.aligned_to``) and of its text.
    targets
        ``(len(ids), n_labels)`` sparse uint8 multi-hot matrix (``scipy.sparse.csr_array``),
        columns in vocabulary order.
    unlabelled
        Papers of the split (subset) left out for having no vocabulary label.
    """

    split: str
    ids: np.ndarray
    rows: np.ndarray
    targets: sp.csr_array
    unlabelled: int


def multi_hot(categories: pa.Array | pa.ChunkedArray, labels: Sequence[str]) -> sp.csr_array:
    """A sparse uint8 matrix with a 1 where a paper (a list of labels) carries a label of ``labels``.

    Built in Arrow, without a Python loop over papers; labels outside ``labels`` are ignored.
    """
    flat = pc.list_flatten(categories)
    papers = pc.list_parent_indices(categories)
    column = pc.index_in(flat, value_set=pa.array(list(labels), pa.string()))
    known = column.is_valid()
    coordinates = (papers.filter(known).to_numpy(), column.filter(known).to_numpy())
    ones = np.ones(len(coordinates[0]), dtype=np.uint8)
    matrix = sp.csr_array((ones, coordinates), shape=(len(categories), len(labels)))
    # A label listed twice on a paper is summed into a 2 by the conversion: still a 1.
    matrix.data[:] = 1
    return matrix


def labelled_splits(
    papers: pq.ParquetFile,
    paper_splits: pd.DataFrame,
    labels: Sequence[str],
    splits: Sequence[str],
    size_fraction: float,
) -> dict[str, LabelledSplit]:
    """The labelled papers of each split's nested subset of ``size_fraction``.

    Raises
    ------
    ValueError
        If ``paper_splits`` names papers that ``papers`` does not hold.
    """
    table = papers.read(columns=["id", "categories"])
    paper_ids = table["id"].combine_chunks()
    result = {}
    for split in splits:
        rows_of_split = paper_splits[paper_splits["split"] == split]
        in_subset = nested_subset(paper_splits, split, size_fraction)
        ids = rows_of_split["id"].to_numpy(dtype=object)
        positions = pc.index_in(pa.array(ids[in_subset], pa.string()), value_set=paper_ids)
        if positions.null_count:
            raise ValueError(
                f"{positions.null_count} papers of split '{split}' in paper_splits are not in "
                "papers: run `kedro run --pipelines ingestion` again."
            )
        targets = multi_hot(table["categories"].take(positions), labels)
        labelled = np.diff(targets.indptr) > 0
        rows = np.flatnonzero(in_subset)[labelled]
        result[split] = LabelledSplit(
            split=split,
            ids=ids[rows],
            rows=rows,
            targets=targets[labelled],
            unlabelled=int((~labelled).sum()),
        )
    return result


@dataclass(frozen=True)
class LabelledVectors:
    """The labelled papers of a split as a network reads them: a batch of rows at a time.

    Indexing reads the papers' embeddings from the split's stored (memory-mapped) matrix,
    so no copy of the split's embeddings is ever made, and :meth:`labels` makes the same
    papers' targets dense; a slice or sorted positions read the file in order.

    Attributes
    ----------
    vectors
        ``(papers in the split, dim)``: every row of the split's stored embeddings.
    rows
        Which of its rows the labelled papers are (:attr:`LabelledSplit.rows`), in order.
    targets
        Sparse ``(len(rows), n_labels)`` multi-hot targets of those papers.
    """

    vectors: np.ndarray
    rows: np.ndarray
    targets: sp.csr_array

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, papers: slice | np.ndarray) -> np.ndarray:
        """float32 embeddings of ``papers`` (positions among the labelled papers)."""
        return np.asarray(self.vectors[self.rows[papers]], dtype=np.float32)

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    @property
    def n_labels(self) -> int:
        return int(self.targets.shape[1])

    def labels(self, papers: slice | np.ndarray) -> np.ndarray:
        """Dense uint8 targets of ``papers`` (positions among the labelled papers)."""
        return self.targets[papers].toarray()


@dataclass
class ClassifierData:
    """The labelled papers of each split and their embeddings by every model, read on demand.

    Parameters
    ----------
    splits
        :func:`labelled_splits` of the splits needed.
    embeddings
        ``{split: {model_key: Embeddings}}``: each split's ``<split>_embeddings``.
    paper_splits
        To check that the embeddings belong to the current splits.
    """

    splits: Mapping[str, LabelledSplit]
    embeddings: Mapping[str, Mapping[str, Embeddings]]
    paper_splits: pd.DataFrame
    _vectors: dict[tuple[str, str], LabelledVectors] = field(default_factory=dict, repr=False)

    @property
    def model_keys(self) -> list[str]:
        return sorted(self.embeddings["train"])

    def vectors(self, model_key: str, split: str) -> LabelledVectors:
        """The split's labelled papers by ``model_key``, read from the memory map a batch at a time.

        Only the models that trials use are opened; each is checked against
        ``paper_splits`` once.

        Raises
        ------
        StaleEmbeddingsError
            If the stored embeddings belong to other papers than ``paper_splits``.
        """
        key = (model_key, split)
        if key not in self._vectors:
            stored = self.embeddings[split][model_key].aligned_to(self.paper_splits)
            labelled = self.splits[split]
            self._vectors[key] = LabelledVectors(stored.vectors, labelled.rows, labelled.targets)
        return self._vectors[key]
