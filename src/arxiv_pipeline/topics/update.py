"""A new snapshot's new and revised papers placed on an existing topic map, and the drift.

The ``topic_update`` pipeline keeps the saved topic model and every unchanged paper's
topics, and assigns only the papers that are new or whose text changed, as predict
places new abstracts: the saved model assigns each by the cosine similarity of its
embedding to the topic embeddings (a paper nearest the outlier topic's is an outlier),
then the model's own outlier reduction applies (:func:`.assignment.assign_in_chunks`).
A paper is unchanged when its id is in the previous ``topic_assignments`` and its
text's hash (:func:`~arxiv_pipeline.text.templates.text_hashes`) is the one recorded
there.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from arxiv_pipeline.text.templates import SplitTexts, TextChunks, text_hashes

from .assignment import assign_in_chunks, outlier_share
from .bundle import TopicModelBundle
from .levels import to_coarse
from .model import topic_words
from .settings import TopicUpdate

#: The columns of ``topic_assignments``.
ASSIGNMENT_COLUMNS = ["id", "split", "topic", "coarse_topic", "text_hash"]


@dataclass(frozen=True)
class Placement:
    """The updated assignments and what the update did.

    Attributes
    ----------
    assignments
        ``topic_assignments`` of the current papers, split by split in ``paper_splits``
        order: the unchanged papers' topics as they were, the placed papers' new ones.
    placed
        The placed papers: ``id``, ``split``, ``status`` (``new`` or ``revised``),
        ``topic_before`` (before outlier reduction) and ``topic``.
    kept, dropped
        Papers whose topics were kept, and papers of the previous assignments that are no
        longer in the snapshot.
    """

    assignments: pd.DataFrame
    placed: pd.DataFrame
    kept: int
    dropped: int


def check_previous_assignments(previous: pd.DataFrame) -> None:
    """Refuse assignments that do not record each paper's text hash.

    Raises
    ------
    ValueError
        If ``text_hash`` is missing (assignments written before the topic_update
        pipeline existed): revised papers could not be told from unchanged ones.
    """
    missing = [column for column in ASSIGNMENT_COLUMNS if column not in previous.columns]
    if missing:
        raise ValueError(
            f"topic_assignments has no {', '.join(missing)} (written by an older version): it "
            "cannot tell revised papers from unchanged ones. Run the topic_tuning pipeline "
            "once more; later snapshots can then be placed with topic_update."
        )


def _statuses(previous: pd.DataFrame, ids: np.ndarray, hashes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each current paper's row in ``previous`` (-1: new) and whether its text is unchanged."""
    rows = pd.Index(previous["id"]).get_indexer(ids)
    known = rows >= 0
    unchanged = known.copy()
    unchanged[known] = previous["text_hash"].to_numpy(dtype=np.uint64)[rows[known]] == hashes[known]
    return rows, unchanged


def place_changed_papers(
    bundle: TopicModelBundle,
    previous: pd.DataFrame,
    texts: Mapping[str, SplitTexts],
    vectors: Mapping[str, np.ndarray],
    chunk_size: int,
) -> Placement:
    """Keep the unchanged papers' topics and assign the new and revised ones.

    Parameters
    ----------
    bundle
        The saved topic model: placed papers go through its ``transform`` and its
        trial's outlier reduction (``config["params"]``), and get its coarse topics
        (``config["coarse_of"]``).
    previous
        The previous ``topic_assignments`` (:func:`check_previous_assignments`).
    texts, vectors
        Per split, the current texts and the embeddings of the model's embedding model
        (rows aligned with the texts).
    chunk_size
        Papers assigned at a time; the topics do not depend on it.
    """
    previous_topics = previous["topic"].to_numpy(dtype=np.int64)
    previous_coarse = previous["coarse_topic"].to_numpy(dtype=np.int64)
    coarse_of = np.asarray(bundle.config["coarse_of"], dtype=np.int64)
    frames, placed, kept, seen = [], [], 0, np.zeros(len(previous), dtype=bool)
    for split, split_texts in texts.items():
        ids = split_texts.ids.to_numpy(zero_copy_only=False)
        hashes = text_hashes(split_texts.texts)
        rows, unchanged = _statuses(previous, ids, hashes)
        seen[rows[rows >= 0]] = True
        changed = np.flatnonzero(~unchanged)
        documents = TextChunks(split_texts.texts, np.arange(len(ids)))
        before, after = assign_in_chunks(
            bundle.model, None, documents, vectors[split], bundle.config["params"], chunk_size, changed
        )
        topics, coarse = np.empty(len(ids), dtype=np.int64), np.empty(len(ids), dtype=np.int64)
        topics[unchanged], coarse[unchanged] = previous_topics[rows[unchanged]], previous_coarse[rows[unchanged]]
        topics[changed], coarse[changed] = after, to_coarse(after, coarse_of)
        frames.append(pd.DataFrame({"id": ids, "split": split, "topic": topics, "coarse_topic": coarse, "text_hash": hashes}))
        placed.append(
            pd.DataFrame(
                {
                    "id": ids[changed],
                    "split": split,
                    "status": np.where(rows[changed] >= 0, "revised", "new"),
                    "topic_before": before,
                    "topic": after,
                }
            )
        )
        kept += int(unchanged.sum())
    return Placement(
        pd.concat(frames, ignore_index=True),
        pd.concat(placed, ignore_index=True),
        kept,
        int((~seen).sum()),
    )


def moved_topics(
    placed: np.ndarray, previous: np.ndarray, coarse_of: np.ndarray, words: Mapping[int, list[str]], shown: int
) -> list[dict[str, Any]]:
    """The ``shown`` topics whose share among the placed papers differs most from their
    share among the previous ones (outliers, topic -1, included), largest change first.

    Parameters
    ----------
    placed, previous
        The placed papers' topics (after outlier reduction) and the previous assignments'.
    coarse_of
        Each fine topic's coarse topic.
    words
        Each topic's words (the outlier topic may be absent).
    shown
        How many topics to list; none when no paper was placed.

    Returns
    -------
    list of dict
        ``topic``, ``coarse_topic``, ``words``, ``share_among_placed``,
        ``share_among_previous`` and ``change`` (the first minus the second), ties in
        change by topic.
    """
    if not len(placed):
        return []
    shares = pd.DataFrame(
        {
            "placed": pd.Series(placed).value_counts(normalize=True),
            "previous": pd.Series(previous).value_counts(normalize=True),
        }
    ).fillna(0.0)
    topics = shares.index.to_numpy(dtype=np.int64)
    share_placed, share_previous = shares["placed"].to_numpy(), shares["previous"].to_numpy()
    change = share_placed - share_previous
    # Largest change first; ties by topic, so the report does not depend on the sort.
    order = np.lexsort((topics, -np.abs(change)))[:shown]
    return [
        {
            "topic": int(topics[at]),
            "coarse_topic": int(to_coarse(topics[[at]], coarse_of)[0]),
            "words": words.get(int(topics[at]), []),
            "share_among_placed": round(float(share_placed[at]), 6),
            "share_among_previous": round(float(share_previous[at]), 6),
            "change": round(float(change[at]), 6),
        }
        for at in order
    ]


def drift_report(
    bundle: TopicModelBundle,
    previous: pd.DataFrame,
    placement: Placement,
    lineage: dict[str, Any],
    settings: TopicUpdate,
) -> dict[str, Any]:
    """What the update placed, how well the map fits the placed papers, and whether to refit.

    Parameters
    ----------
    bundle
        The topic model the papers were placed with.
    previous
        The assignments before the update: the shares the placed papers are compared with.
    placement
        :func:`place_changed_papers`'s result.
    lineage
        Which model and which snapshot (recorded as ``lineage``).
    settings
        The refit threshold and how many moved topics to list.

    Returns
    -------
    dict
        ``lineage``; ``papers`` (``kept``, ``new``, ``revised``, ``placed``, ``dropped``);
        ``outlier_share_before`` and ``outlier_share`` (after outlier reduction) of the
        placed papers; ``max_outlier_share_before`` and ``refit_advised`` (the share
        before is above it); ``moved_topics`` (topic, coarse topic, words, its share among
        the placed and among the previous papers, and the change).
    """
    placed = placement.placed
    statuses = placed["status"].value_counts()
    share_before = outlier_share(placed["topic_before"].to_numpy())
    words = {
        topic: values[: bundle.config["top_n_words"]] for topic, values in topic_words(bundle.model).items()
    }
    return {
        "lineage": lineage,
        "papers": {
            "kept": placement.kept,
            "new": int(statuses.get("new", 0)),
            "revised": int(statuses.get("revised", 0)),
            "placed": len(placed),
            "dropped": placement.dropped,
        },
        "outlier_share_before": round(share_before, 6),
        "outlier_share": round(outlier_share(placed["topic"].to_numpy()), 6),
        "max_outlier_share_before": settings.max_outlier_share_before,
        "refit_advised": share_before > settings.max_outlier_share_before,
        "moved_topics": moved_topics(
            placed["topic"].to_numpy(dtype=np.int64),
            previous["topic"].to_numpy(dtype=np.int64),
            np.asarray(bundle.config["coarse_of"], dtype=np.int64),
            words,
            settings.moved_topics,
        ),
    }
