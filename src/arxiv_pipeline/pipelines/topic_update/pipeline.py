"""The topic_update pipeline: a new snapshot placed on the saved topic map, without new studies.

``kedro run --pipelines ingestion,embeddings,topic_update,topic_views`` reads the saved
``topic_model`` and the previous ``topic_assignments`` (as
``topic_assignments_before_update``, the same file), assigns only the new and revised
papers, and writes ``topic_assignments`` and ``topic_update_report``.
"""

from kedro.pipeline import Node, Pipeline

from arxiv_pipeline.corpus.splitting import SPLITS

from .nodes import update_topic_assignments

UPDATE_NODE = "update_topic_assignments"


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                update_topic_assignments,
                inputs={
                    "topic_model": "topic_model",
                    "previous_assignments": "topic_assignments_before_update",
                    "paper_splits": "paper_splits",
                    **{f"{split}_texts": f"{split}_texts" for split in SPLITS},
                    **{f"{split}_embeddings": f"{split}_embeddings" for split in SPLITS},
                    "text_template": "params:embeddings.text_template",
                    "assign_chunk_size": "params:topic_tuning.assign_chunk_size",
                    "topic_update": "params:topic_update",
                },
                outputs=["topic_assignments", "topic_update_report"],
                name=UPDATE_NODE,
            ),
        ]
    )
