"""The topic_tuning pipeline: an Optuna study of BERTopic, then the final topic model and its figures."""

from kedro.pipeline import Node, Pipeline

from arxiv_pipeline.embedding.wiring import configured_model_keys
from arxiv_pipeline.topics.corpus import embedding_inputs
from arxiv_pipeline.topics.figures import plot_topic_model

from .nodes import fit_final_topic_model, tune_topic_model

#: Inputs of a node that builds a ``TopicCorpus`` (with its embeddings inputs beside).
CORPUS_INPUTS = {
    "papers": "papers",
    "paper_splits": "paper_splits",
    "text_template": "params:embeddings.text_template",
    "topic_tuning": "params:topic_tuning",
}


def create_pipeline(**kwargs) -> Pipeline:
    model_keys = configured_model_keys()
    return Pipeline(
        [
            Node(
                tune_topic_model,
                inputs={"topic_study": "topic_study_store", **CORPUS_INPUTS, **embedding_inputs(model_keys, ("train",))},
                outputs="topic_study",
                name="tune_topic_model",
            ),
            Node(
                fit_final_topic_model,
                inputs={
                    "topic_study": "topic_study",
                    **CORPUS_INPUTS,
                    **embedding_inputs(model_keys, ("train", "validation", "test")),
                },
                outputs=["topic_model", "topic_table", "topic_assignments", "final_topic_metrics"],
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
