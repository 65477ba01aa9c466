"""The predict pipeline: a file of new abstracts -> categories and topic per abstract.

``kedro run --pipelines predict --params predict_input=new.jsonl`` reads the file named
by ``predict_input`` (JSON lines, a JSON array or CSV) and writes ``predictions``. The command line
``python -m arxiv_pipeline.pipelines.predict "an abstract"`` runs the same node.
"""

from kedro.pipeline import Node, Pipeline

from .nodes import predict_abstracts, read_abstracts

PREDICT_NODE = "predict_abstracts"


def create_pipeline(**kwargs) -> Pipeline:
    return Pipeline(
        [
            Node(
                read_abstracts,
                inputs="predict_input",
                outputs="new_abstracts",
                name="read_abstracts",
            ),
            Node(
                predict_abstracts,
                inputs={
                    "abstracts": "new_abstracts",
                    "classifier": "classifier",
                    "topic_model": "topic_model",
                    # The saved TF-IDF + SVD fits: such a model embeds as for training.
                    "tfidf_svd_fits": "tfidf_svd_fits",
                    "embeddings": "params:embeddings",
                    "predict": "params:predict",
                },
                outputs="predictions",
                name=PREDICT_NODE,
            ),
        ]
    )
