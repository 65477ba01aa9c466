"""Nodes of the topic_views pipeline: the final topic model seen over time and against the taxonomy."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import pyarrow.parquet as pq

from arxiv_pipeline.datasets.embeddings_dataset import SplitEmbeddings
from arxiv_pipeline.topics.atlas import build_atlas
from arxiv_pipeline.topics.bundle import TopicModelBundle
from arxiv_pipeline.topics.document_map import document_points, model_embeddings, plot_document_map
from arxiv_pipeline.topics.taxonomy import (
    paper_labels,
    plot_topic_map,
    taxonomy_table,
    topic_crosstab,
)
from arxiv_pipeline.topics.views import (
    TopicViews,
    assigned_papers,
    topic_shares_over_time,
    topic_trends,
    trends_report,
)


def track_topic_shares(
    topic_model: TopicModelBundle,
    topic_assignments: pd.DataFrame,
    papers: pq.ParquetFile,
    topic_views: TopicViews,
) -> pd.DataFrame:
    """Each topic's share of each month's assigned papers, and its words in that month (from
    at most ``topic_views.month_topic_papers`` of its papers there, their texts read
    ``topic_views.chunk_size`` at a time)."""
    assigned = assigned_papers(
        papers,
        topic_assignments,
        topic_model.config["text_template"],
        topic_views.month_topic_papers,
        topic_views.seed,
    )
    return topic_shares_over_time(
        topic_model.model, assigned, topic_views.min_month_papers, topic_views.chunk_size
    )


def report_trends(
    topic_shares_over_time: pd.DataFrame, topic_table: pd.DataFrame, topic_views: TopicViews
) -> tuple[pd.DataFrame, str]:
    """Each topic's trend over the last ``trend_months`` months, and the rising and falling topics."""
    trends = topic_trends(topic_shares_over_time, topic_views.trend_months)
    return trends, trends_report(trends, topic_shares_over_time, topic_table, topic_views.n_trending)


def cross_topics_with_taxonomy(
    topic_assignments: pd.DataFrame, papers: pq.ParquetFile
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Assigned papers per topic and primary archive, and per topic and primary category."""
    labels = paper_labels(papers, topic_assignments["id"], ["archive", "primary_category"])
    return (
        topic_crosstab(topic_assignments, labels, "archive"),
        topic_crosstab(topic_assignments, labels, "primary_category"),
    )


def describe_topics_in_taxonomy(
    topic_table: pd.DataFrame,
    topic_archive_crosstab: pd.DataFrame,
    topic_category_crosstab: pd.DataFrame,
    topic_views: TopicViews,
) -> pd.DataFrame:
    """The topic table with each topic's dominant archive and primary categories."""
    return taxonomy_table(
        topic_table, topic_archive_crosstab, topic_category_crosstab, topic_views.top_categories
    )


def plot_topics_by_archive(topic_model: TopicModelBundle, topic_taxonomy: pd.DataFrame) -> go.Figure:
    """The topic map, each topic coloured by its dominant archive."""
    return plot_topic_map(topic_model.model, topic_taxonomy)


def plot_documents_by_archive(
    topic_model: TopicModelBundle,
    train_embeddings: SplitEmbeddings,
    topic_assignments: pd.DataFrame,
    topic_table: pd.DataFrame,
    papers: pq.ParquetFile,
    topic_views: TopicViews,
) -> go.Figure:
    """A seeded sample of training papers placed by the topic model's embeddings (PCA), coloured by archive."""
    embeddings = model_embeddings(train_embeddings, topic_model.config["embedding_model"])
    points = document_points(
        embeddings, topic_assignments, papers, topic_table, topic_views.document_map_papers, topic_views.seed
    )
    return plot_document_map(points)


def build_topic_atlas(
    topic_table: pd.DataFrame,
    coarse_topic_table: pd.DataFrame,
    topic_assignments: pd.DataFrame,
    papers: pq.ParquetFile,
    topic_views: TopicViews,
) -> str:
    """The topic atlas: one self-contained HTML page of the coarse and fine topics."""
    return build_atlas(
        topic_table,
        coarse_topic_table,
        topic_assignments,
        papers,
        topic_views.min_month_papers,
        topic_views.top_categories,
    )
