"""Topics against the arXiv taxonomy: crosstabs, each topic's dominant categories, and figures."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from sklearn.decomposition import PCA

if TYPE_CHECKING:
    from bertopic import BERTopic


def paper_labels(papers: pq.ParquetFile, ids: pd.Series, columns: list[str]) -> pd.DataFrame:
    """``id`` and the ``columns`` of ``papers`` for each of ``ids``, in order (missing: NaN).

    The papers are looked up in Arrow and the labels kept categorical (one string per
    label, a small integer per paper): no column of every paper becomes Python strings.
    """
    table = papers.read(columns=["id", *columns])
    rows = pc.index_in(pa.array(ids, pa.string()), value_set=table["id"])
    found = table.select(columns).take(rows)
    return pd.DataFrame(
        {"id": ids.to_numpy(), **{column: found[column].dictionary_encode().to_pandas() for column in columns}}
    )


def topic_crosstab(topic_assignments: pd.DataFrame, labels: pd.DataFrame, column: str) -> pd.DataFrame:
    """Papers per topic (rows, column ``topic``) and value of ``labels[column]`` (columns).

    ``labels`` holds ``id`` and ``column`` (``archive`` or ``primary_category``) per paper.

    Raises
    ------
    ValueError
        If an assigned paper is not in ``labels`` (the papers were ingested again after
        the topic model was built).
    """
    merged = topic_assignments[["id", "topic"]].merge(labels[["id", column]], on="id", how="left")
    missing = merged[column].isna()
    if missing.any():
        raise ValueError(
            f"{int(missing.sum())} papers of topic_assignments (e.g. '{merged.loc[missing, 'id'].iloc[0]}') "
            f"have no {column} in papers: run topic_tuning again after ingestion."
        )
    table = pd.crosstab(merged["topic"].astype(int), merged[column].astype(str))
    table.columns = table.columns.astype(str)
    table.columns.name = None
    return table.reset_index()


def dominant_labels(crosstab: pd.DataFrame, top: int) -> pd.DataFrame:
    """Each topic's ``top`` most frequent labels and their shares of the topic's papers.

    Ties are broken by label name, so the order is the same on every run.
    """
    counts = crosstab.set_index("topic")
    rows = []
    for topic, row in counts.iterrows():
        ranked = row[row > 0].sort_index().sort_values(ascending=False, kind="stable").head(top)
        rows.append(
            {
                "topic": int(topic),
                "labels": ranked.index.tolist(),
                "shares": (ranked / row.sum()).round(6).tolist(),
            }
        )
    return pd.DataFrame(rows)


def taxonomy_table(
    topic_table: pd.DataFrame, archive_crosstab: pd.DataFrame, category_crosstab: pd.DataFrame, top: int
) -> pd.DataFrame:
    """``topic_table`` with each topic's dominant archive and its ``top`` primary categories.

    Columns added: ``dominant_archive`` and ``dominant_archive_share`` (of the topic's
    assigned papers, all splits), ``top_categories`` and ``top_category_shares``.
    """
    archives = dominant_labels(archive_crosstab, 1)
    categories = dominant_labels(category_crosstab, top)
    table = topic_table.merge(
        pd.DataFrame(
            {
                "topic": archives["topic"],
                "dominant_archive": archives["labels"].str[0],
                "dominant_archive_share": archives["shares"].str[0],
            }
        ),
        on="topic",
        how="left",
    )
    return table.merge(
        categories.rename(columns={"labels": "top_categories", "shares": "top_category_shares"}),
        on="topic",
        how="left",
    )


def plot_archive_heatmap(archive_crosstab: pd.DataFrame, topic_table: pd.DataFrame) -> go.Figure:
    """Share of each topic's papers in each primary archive (rows sum to 1)."""
    counts = archive_crosstab.set_index("topic")
    counts = counts[counts.sum().sort_values(ascending=False).index]
    shares = counts.div(counts.sum(axis=1), axis=0)
    labels = dict(zip(topic_table["topic"], topic_table["label"], strict=True))
    figure = px.imshow(
        shares.to_numpy(),
        x=list(shares.columns),
        y=[str(labels.get(topic, topic)) for topic in shares.index],
        color_continuous_scale="Blues",
        zmin=0.0,
        zmax=1.0,
        aspect="auto",
        labels={"x": "primary archive", "y": "topic", "color": "share of topic"},
    )
    figure.update_layout(
        title=f"Topics against arXiv archives: share of each topic's papers "
        f"({int(counts.to_numpy().sum())} assigned papers, all splits)"
    )
    return figure


def topic_positions(model: BERTopic) -> pd.DataFrame:
    """2-d positions of the topics (outliers left out): PCA of BERTopic's topic embeddings.

    ``topic_embeddings_`` has one row per topic in ascending order, -1 first where the
    model has outliers. PCA (not UMAP) because it is exact and needs no seed; the
    document embeddings are not needed.
    """
    topics = sorted(int(topic) for topic in model.get_topics())
    embeddings = np.asarray(model.topic_embeddings_)
    if len(embeddings) != len(topics):
        raise ValueError(
            f"The topic model has {len(topics)} topics but {len(embeddings)} topic embeddings."
        )
    keep = [index for index, topic in enumerate(topics) if topic != -1]
    kept = embeddings[keep]
    # One topic has no spread to project: it sits at the origin.
    xy = PCA(n_components=2, svd_solver="full").fit_transform(kept) if len(kept) > 1 else np.zeros((len(kept), 2))
    return pd.DataFrame({"topic": [topics[index] for index in keep], "x": xy[:, 0], "y": xy[:, 1]})


def plot_topic_map(model: BERTopic, topic_taxonomy: pd.DataFrame) -> go.Figure:
    """The topics placed by their embeddings, sized by papers, coloured by dominant archive."""
    points = topic_positions(model).merge(topic_taxonomy, on="topic", how="left")
    figure = px.scatter(
        points,
        x="x",
        y="y",
        size="size",
        color="dominant_archive",
        hover_name="label",
        hover_data={"dominant_archive_share": ":.0%", "top_categories": True, "x": False, "y": False},
        labels={"dominant_archive": "dominant archive", "x": "PC 1", "y": "PC 2"},
    )
    figure.update_layout(
        title="Topic map by arXiv archive: topic embeddings (PCA), size = training papers, "
        "colour = the archive most of the topic's assigned papers (all splits) belong to"
    )
    return figure
