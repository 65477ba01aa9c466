"""The ingestion pipeline: the arXiv snapshot to ``papers``, ``label_vocabulary`` and ``paper_splits``."""

from kedro.pipeline import Node, Pipeline

from .nodes import (
    assign_splits,
    audit_rejections,
    build_label_vocabulary,
    build_papers,
    collect_rejected_lines,
    parse_snapshot,
    summarise_ingestion,
)


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                parse_snapshot,
                inputs=["arxiv_snapshot", "params:ingestion", "params:category_map"],
                outputs="parsed_snapshot",
                name="parse_snapshot",
            ),
            Node(
                collect_rejected_lines,
                inputs="parsed_snapshot",
                outputs="quarantine",
                name="collect_rejected_lines",
            ),
            Node(
                audit_rejections,
                inputs=["parsed_snapshot", "quarantine", "params:ingestion"],
                outputs="rejection_audit",
                name="audit_rejections",
            ),
            Node(
                build_papers,
                inputs=["parsed_snapshot", "rejection_audit"],
                outputs="papers",
                name="build_papers",
            ),
            Node(
                build_label_vocabulary,
                inputs=["papers", "params:ingestion"],
                outputs="label_vocabulary",
                name="build_label_vocabulary",
            ),
            Node(
                assign_splits,
                inputs=["papers", "params:ingestion"],
                outputs="paper_splits",
                name="assign_splits",
            ),
            Node(
                summarise_ingestion,
                inputs=["rejection_audit", "papers", "label_vocabulary", "paper_splits"],
                outputs="ingestion_summary",
                name="summarise_ingestion",
            ),
        ]
    )
