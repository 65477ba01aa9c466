"""The study_reports pipeline: figures of the topic and classifier studies, and how many topics."""

from kedro.pipeline import Node, Pipeline

from arxiv_pipeline.reporting.topic_count_report import write_topic_count_report
from arxiv_pipeline.reporting.topic_counts import plot_topic_counts, summarize_topic_counts

from .nodes import (
    open_study,
    plot_intermediate_values,
    plot_optimization_history,
    plot_parallel_coordinate,
    plot_param_importances,
    plot_slice,
)

#: The studies reported on: namespace -> (study dataset, the key of its tuning parameters).
STUDIES = {
    "topic_report": ("topic_study", "topic_tuning"),
    "classifier_report": ("classifier_study", "classifier_tuning"),
}

FIGURES = {
    "optimization_history": plot_optimization_history,
    "intermediate_values": plot_intermediate_values,
    "param_importances": plot_param_importances,
    "parallel_coordinate": plot_parallel_coordinate,
    "slice": plot_slice,
}


def study_figures(namespace: str, study: str, tuning: str) -> list[Node]:
    """Open one study, then draw each of :data:`FIGURES` as ``<namespace>.<figure>``."""
    opened = f"{namespace}.study"
    return [
        Node(
            open_study,
            inputs={
                "study": study,
                "storage": f"params:{tuning}.storage",
                "study_name": f"params:{tuning}.study_name",
            },
            outputs=opened,
            name="open_study",
            namespace=namespace,
        ),
        *(
            Node(
                draw,
                inputs=opened,
                outputs=f"{namespace}.{figure}",
                name=f"plot_{figure}",
                namespace=namespace,
            )
            for figure, draw in FIGURES.items()
        ),
    ]


def topic_count_nodes() -> list[Node]:
    """The "how many categories?" figure, numbers and markdown of the topic study."""
    namespace = "topic_report"
    return [
        Node(
            plot_topic_counts,
            inputs=[f"{namespace}.study", "params:topic_tuning"],
            outputs=f"{namespace}.topic_counts_figure",
            name="plot_topic_counts",
            namespace=namespace,
        ),
        Node(
            summarize_topic_counts,
            inputs=[
                f"{namespace}.study",
                "params:topic_tuning",
                "params:study_reports",
                "paper_splits",
                "final_topic_metrics",
            ],
            outputs=f"{namespace}.topic_counts",
            name="summarize_topic_counts",
            namespace=namespace,
        ),
        Node(
            write_topic_count_report,
            inputs=f"{namespace}.topic_counts",
            outputs=f"{namespace}.how_many_categories",
            name="write_topic_count_report",
            namespace=namespace,
        ),
    ]


def create_pipeline(**kwargs) -> Pipeline:
    figures = [
        node
        for namespace, (study, tuning) in STUDIES.items()
        for node in study_figures(namespace, study, tuning)
    ]
    return Pipeline([*figures, *topic_count_nodes()])
