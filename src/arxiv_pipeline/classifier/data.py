"""What the classifier learns from: embeddings and multi-hot targets of the labelled papers."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

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
        ``(len(ids), n_labels)`` uint8 multi-hot matrix, columns in vocabulary order
        (a quarter of float32's memory on the full snapshot; batches are converted).
    unlabelled
        Papers of the split (subset) left out for having no vocabulary label.
    """

    split: str
    ids: np.ndarray
    rows: np.ndarray
    targets: np.ndarray
    unlabelled: int


def multi_hot(categories: pa.Array | pa.ChunkedArray, labels: Sequence[str]) -> np.ndarray:
    """A uint8 matrix with a 1 where a paper (a list of labels) carries a label of ``labels``.

    Built in Arrow, without a Python loop over papers; labels outside ``labels`` are ignored.
    """
    flat = pc.list_flatten(categories)
    papers = pc.list_parent_indices(categories)
    column = pc.index_in(flat, value_set=pa.array(list(labels), pa.string()))
    known = column.is_valid()
    matrix = np.zeros((len(categories), len(labels)), dtype=np.uint8)
    matrix[papers.filter(known).to_numpy(), column.filter(known).to_numpy()] = 1
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
        labelled = targets.any(axis=1)
        rows = np.flatnonzero(in_subset)[labelled]
        result[split] = LabelledSplit(
            split=split,
            ids=ids[rows],
            rows=rows,
            targets=targets[labelled],
            unlabelled=int((~labelled).sum()),
        )
    return result


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
    _vectors: dict[tuple[str, str], np.ndarray] = field(default_factory=dict, repr=False)

    @property
    def model_keys(self) -> list[str]:
        return sorted(self.embeddings["train"])

    def vectors(self, model_key: str, split: str) -> np.ndarray:
        """float32 rows of the split's labelled papers, read once and then kept.

        Only the models that trials use are read: the others' files are not even opened.
        """
        key = (model_key, split)
        if key not in self._vectors:
            stored = self.embeddings[split][model_key].aligned_to(self.paper_splits)
            self._vectors[key] = np.asarray(
                stored.vectors[self.splits[split].rows], dtype=np.float32
            )
        return self._vectors[key]

    def targets(self, split: str) -> np.ndarray:
        return self.splits[split].targets
