"""The document map: a seeded sample of training papers placed by their embeddings, coloured by archive."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sklearn.decomposition import PCA

from arxiv_pipeline.embedding.vectors import Embeddings
from arxiv_pipeline.topics.views import topic_labels

POINT_COLUMNS = ["id", "x", "y", "archive", "title", "topic"]


def model_embeddings(train_embeddings: Mapping[str, Embeddings], key: str) -> Embeddings:
    """The training embeddings of model ``key`` (the one the topic model was built on).

    Raises
    ------
    ValueError
        If no train embeddings are stored for ``key``.
    """
    if key not in train_embeddings:
        raise ValueError(
            f"The topic model was built on the '{key}' embeddings, but train_embeddings holds "
            f"{sorted(train_embeddings)}: run `kedro run --pipelines embeddings` (or topic_tuning) again."
        )
    return train_embeddings[key]


def sample_rows(n_rows: int, n_papers: int, seed: int) -> np.ndarray:
    """``min(n_papers, n_rows)`` row numbers drawn without replacement under ``seed``, ascending."""
    rng = np.random.default_rng(seed)
    return np.sort(rng.choice(n_rows, size=min(n_papers, n_rows), replace=False))


def document_points(
    embeddings: Embeddings,
    topic_assignments: pd.DataFrame,
    papers: pq.ParquetFile,
    topic_table: pd.DataFrame,
    n_papers: int,
    seed: int,
) -> pd.DataFrame:
    """A seeded sample of the embedded papers: PCA position, primary archive, title and topic label.

    ``topic`` is the paper's topic's label in ``topic_table`` (its number if it has none).

    PCA, not UMAP: exact, needs no seed, and fitting UMAP on 100k papers of 768
    dimensions takes minutes for a figure (the topic model's own UMAP has 5 dimensions,
    not 2, so its output cannot be reused either).

    Raises
    ------
    ValueError
        If a sampled paper has no topic in ``topic_assignments`` or is not in ``papers``
        (ingestion or the embeddings ran again after topic_tuning).
    """
    rows = sample_rows(len(embeddings.ids), n_papers, seed)
    ids = pa.array(embeddings.ids[rows].tolist(), pa.string())
    topics = topic_assignments.set_index("id")["topic"].reindex(ids.to_pylist())
    table = papers.read(columns=["id", "archive", "title"])
    found = pc.index_in(ids, value_set=table["id"])
    if topics.isna().any() or found.null_count:
        missing = ids.filter(pc.or_(pc.is_null(found), pa.array(topics.isna().to_numpy())))
        raise ValueError(
            f"{len(missing)} sampled papers of train_embeddings (e.g. '{missing[0]}') are not in "
            "topic_assignments or papers: run topic_tuning again after ingestion and embeddings."
        )
    table = table.take(found)
    labels = topic_labels(topic_table)
    vectors = np.asarray(embeddings.vectors[rows], dtype=np.float64)
    # One paper has no spread to project: it sits at the origin.
    xy = PCA(n_components=2, svd_solver="full").fit_transform(vectors) if len(rows) > 1 else np.zeros((len(rows), 2))
    return pd.DataFrame(
        {
            "id": ids.to_pylist(),
            "x": xy[:, 0],
            "y": xy[:, 1],
            "archive": table["archive"].to_pandas().astype(str).to_numpy(),
            "title": table["title"].to_pandas().astype(str).to_numpy(),
            "topic": [labels.get(int(topic), str(int(topic))) for topic in topics],
        }
    )[POINT_COLUMNS]


def plot_document_map(points: pd.DataFrame) -> go.Figure:
    """One trace per primary archive (in name order), titles and topics in the hover."""
    figure = px.scatter(
        points,
        x="x",
        y="y",
        color="archive",
        category_orders={"archive": sorted(points["archive"].unique())},
        hover_name="title",
        hover_data={"topic": True, "x": False, "y": False},
        labels={"archive": "primary archive", "x": "PC 1", "y": "PC 2"},
        opacity=0.6,
    )
    figure.update_traces(marker={"size": 4})
    figure.update_layout(
        title=f"Document map by arXiv archive: {len(points)} training papers (seeded sample), "
        "embeddings reduced by PCA, colour = the paper's primary archive"
    )
    return figure
