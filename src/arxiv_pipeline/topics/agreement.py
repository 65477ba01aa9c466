"""Topic assignments against arXiv's own taxonomy: NMI and ARI (design.md §3).

Two label sets are scored: the primary category (``math.CO``) and the archive
(``math``; ``hep-th`` stays ``hep-th``), both from the ``papers`` dataset.

How outliers count
------------------
The headline values (``nmi_primary``, ``ari_primary``, ``nmi_archive``, ``ari_archive``)
score **every** paper, the outlier topic -1 counting as one more cluster. A model cannot
raise them by calling its hard papers outliers: the -1 cluster mixes every category and
pulls both scores down, and LDA (which has no outliers) is scored on the same papers.
The ``*_assigned`` values score only the papers with a topic, to be read beside the
outlier share; they are 0.0 when fewer than two papers have a topic.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

#: The label sets topics are compared with: the ``papers`` column of each.
TAXONOMY_LEVELS = {"primary": "primary_category", "archive": "archive"}

#: Every agreement metric name, headline values first.
AGREEMENT_METRICS = tuple(
    f"{score}_{level}{suffix}"
    for suffix in ("", "_assigned")
    for level in TAXONOMY_LEVELS
    for score in ("nmi", "ari")
)


def taxonomy_labels(papers: pq.ParquetFile, ids: Mapping[str, np.ndarray]) -> dict[str, dict[str, np.ndarray]]:
    """Per split, each taxonomy level's label of every paper of ``ids[split]``, in that order.

    Object arrays whose items are the few distinct labels, shared (8 bytes a paper): the
    papers are looked up in Arrow, never made a Python string each.

    Raises
    ------
    ValueError
        If a paper is not in ``papers`` (ingestion ran again since the splits were read).
    """
    table = papers.read(columns=["id", *TAXONOMY_LEVELS.values()])
    labels = {}
    for split, split_ids in ids.items():
        wanted = pa.array(split_ids, pa.string())
        rows = pc.index_in(wanted, value_set=table["id"])
        if rows.null_count:
            missing = wanted.filter(pc.is_null(rows))
            raise ValueError(
                f"{len(missing)} {split} papers (e.g. '{missing[0]}') are not in papers: "
                "run `kedro run --pipelines ingestion,embeddings` to bring the data up to date."
            )
        found = table.take(rows)
        labels[split] = {
            level: found[column].dictionary_encode().to_pandas().to_numpy(dtype=object)
            for level, column in TAXONOMY_LEVELS.items()
        }
    return labels


def taxonomy_agreement(topics: np.ndarray, labels: Mapping[str, np.ndarray]) -> dict[str, float]:
    """NMI (arithmetic normalisation) and ARI of ``topics`` against each taxonomy level.

    Parameters
    ----------
    topics
        Each paper's topic, -1 for an outlier.
    labels
        ``{"primary": ..., "archive": ...}``, aligned with ``topics``.

    Returns
    -------
    dict
        The names of :data:`AGREEMENT_METRICS` (see the module docstring for outliers).
    """
    topics = np.asarray(topics)
    assigned = topics != -1
    scores = {}
    for level in TAXONOMY_LEVELS:
        truth = np.asarray(labels[level])
        scores[f"nmi_{level}"] = float(normalized_mutual_info_score(truth, topics))
        scores[f"ari_{level}"] = float(adjusted_rand_score(truth, topics))
        enough = int(assigned.sum()) >= 2
        scores[f"nmi_{level}_assigned"] = (
            float(normalized_mutual_info_score(truth[assigned], topics[assigned])) if enough else 0.0
        )
        scores[f"ari_{level}_assigned"] = (
            float(adjusted_rand_score(truth[assigned], topics[assigned])) if enough else 0.0
        )
    return {name: scores[name] for name in AGREEMENT_METRICS}
