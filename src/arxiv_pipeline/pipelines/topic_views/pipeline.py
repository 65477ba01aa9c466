"""The topic_views pipeline: topics over time, topics against the arXiv taxonomy, and the topic atlas."""

from kedro.pipeline import Node, Pipeline

from arxiv_pipeline.topics.taxonomy import plot_archive_heatmap
from arxiv_pipeline.topics.views import plot_topic_shares

from .nodes import (
    build_topic_atlas,
    cross_topics_with_taxonomy,
    describe_topics_in_taxonomy,
    plot_documents_by_archive,
    plot_topics_by_archive,
    report_trends,
    track_topic_shares,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                track_topic_shares,
                inputs=["topic_model", "topic_assignments", "papers", "params:topic_views"],
                outputs="topic_shares_over_time",
                name="track_topic_shares",
            ),
            Node(
                report_trends,
                inputs=["topic_shares_over_time", "topic_table", "params:topic_views"],
                outputs=["topic_trends", "rising_and_falling_topics"],
                name="report_trends",
            ),
            Node(
                plot_topic_shares,
                inputs=["topic_shares_over_time", "topic_table"],
                outputs="topics_over_time_figure",
                name="plot_topics_over_time",
            ),
            Node(
                cross_topics_with_taxonomy,
                inputs=["topic_assignments", "papers"],
                outputs=["topic_archive_crosstab", "topic_category_crosstab"],
                name="cross_topics_with_taxonomy",
            ),
            Node(
                describe_topics_in_taxonomy,
                inputs=["topic_table", "topic_archive_crosstab", "topic_category_crosstab", "params:topic_views"],
                outputs="topic_taxonomy",
                name="describe_topics_in_taxonomy",
            ),
            Node(
                plot_archive_heatmap,
                inputs=["topic_archive_crosstab", "topic_table"],
                outputs="topic_archive_heatmap",
                name="plot_topic_archive_heatmap",
            ),
            Node(
                plot_topics_by_archive,
                inputs=["topic_model", "topic_taxonomy"],
                outputs="topic_map_by_archive",
                name="plot_topics_by_archive",
            ),
            Node(
                plot_documents_by_archive,
                inputs=[
                    "topic_model",
                    "train_embeddings",
                    "topic_assignments",
                    "topic_table",
                    "papers",
                    "params:topic_views",
                ],
                outputs="document_map_by_archive",
                name="plot_documents_by_archive",
            ),
            Node(
                build_topic_atlas,
                inputs=[
                    "topic_table",
                    "coarse_topic_table",
                    "topic_assignments",
                    "papers",
                    "params:topic_views",
                ],
                outputs="topic_atlas",
                name="build_topic_atlas",
            ),
        ]
    )
