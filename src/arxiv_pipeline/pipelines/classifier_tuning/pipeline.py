"""The classifier_tuning pipeline: an Optuna study of the classifier, then the final model."""

from kedro.pipeline import Node, Pipeline

from .nodes import (
    TUNING_SPLITS,
    check_classifier_study_data,
    train_final_classifier,
    tune_classifier,
)


def create_pipeline(**kwargs) -> Pipeline:
    shared = {
        "papers": "papers",
        "paper_splits": "paper_splits",
        "label_vocabulary": "label_vocabulary",
        "classifier_tuning": "params:classifier_tuning",
        # Each split's embeddings by every stored model; only those the trials use are read.
        **{f"{split}_embeddings": f"{split}_embeddings" for split in TUNING_SPLITS},
    }
    return Pipeline(
        [
            # Right after ingestion, before the embeddings pipeline computes anything.
            Node(
                check_classifier_study_data,
                inputs=["classifier_study_store", "paper_splits", "params:classifier_tuning"],
                outputs="classifier_study_checked",
                name="check_classifier_study_data",
            ),
            Node(
                tune_classifier,
                inputs={"classifier_study": "classifier_study_checked", **shared},
                outputs="classifier_study",
                name="tune_classifier",
            ),
            Node(
                train_final_classifier,
                inputs={
                    "classifier_study": "classifier_study",
                    "embeddings": "params:embeddings",
                    **shared,
                },
                outputs=["classifier", "classifier_training"],
                name="train_final_classifier",
            ),
        ]
    )
