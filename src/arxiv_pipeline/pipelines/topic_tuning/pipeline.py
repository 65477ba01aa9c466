"""The topic_tuning pipeline: an Optuna study of BERTopic, then the final topic model and its figures."""

from kedro.pipeline import Node, Pipeline

from arxiv_pipeline.corpus.splitting import SPLITS
from arxiv_pipeline.topics.figures import plot_topic_model

from .nodes import check_topic_study_data, fit_final_topic_model, tune_topic_model


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            # Right after ingestion, before the embeddings pipeline computes anything.
            Node(
                check_topic_study_data,
                inputs=["topic_study_store", "paper_splits", "params:topic_tuning", "params:embeddings"],
                outputs="topic_study_checked",
                name="check_topic_study_data",
            ),
            Node(
                tune_topic_model,
                inputs={
                    "topic_study": "topic_study_checked",
                    "papers": "papers",
                    "paper_splits": "paper_splits",
                    "train_texts": "train_texts",
                    "validation_texts": "validation_texts",
                    "train_embeddings": "train_embeddings",
                    "validation_embeddings": "validation_embeddings",
                    "topic_tuning": "params:topic_tuning",
                },
                outputs="topic_study",
                name="tune_topic_model",
            ),
            Node(
                fit_final_topic_model,
                inputs={
                    "topic_study": "topic_study",
                    "papers": "papers",
                    "paper_splits": "paper_splits",
                    **{f"{split}_texts": f"{split}_texts" for split in SPLITS},
                    **{f"{split}_embeddings": f"{split}_embeddings" for split in SPLITS},
                    "embeddings": "params:embeddings",
                    "topic_tuning": "params:topic_tuning",
                },
                outputs=[
                    "topic_model",
                    "topic_table",
                    "coarse_topic_table",
                    "topic_assignments",
                    "final_topic_metrics",
                ],
                name="fit_final_topic_model",
            ),
            Node(
                plot_topic_model,
                inputs="topic_model",
                outputs=["topic_barchart", "topic_distance_map", "topic_hierarchy"],
                name="plot_topic_model",
            ),
        ]
    )
