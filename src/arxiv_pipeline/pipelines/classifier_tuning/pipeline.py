"""The classifier_tuning pipeline: an Optuna study of the classifier, then the final model."""

from kedro.pipeline import Node, Pipeline

from arxiv_pipeline.embedding.wiring import configured_model_keys
from arxiv_pipeline.topics.corpus import embedding_inputs

from .nodes import SPLITS, train_final_classifier, tune_classifier


def create_pipeline(**kwargs) -> Pipeline:
    shared = {
        "papers": "papers",
        "paper_splits": "paper_splits",
        "label_vocabulary": "label_vocabulary",
        "classifier_tuning": "params:classifier_tuning",
        # Every configured model is an input; only those the trials use are read.
        **embedding_inputs(configured_model_keys(), SPLITS),
    }
    return Pipeline(
        [
            Node(
                tune_classifier,
                inputs={"classifier_study": "classifier_study_store", **shared},
                outputs="classifier_study",
                name="tune_classifier",
            ),
            Node(
                train_final_classifier,
                inputs={
                    "classifier_study": "classifier_study",
                    "text_template": "params:embeddings.text_template",
                    **shared,
                },
                outputs=["classifier", "classifier_training"],
                name="train_final_classifier",
            ),
        ]
    )
