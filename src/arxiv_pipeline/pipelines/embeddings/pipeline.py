"""The embeddings pipeline: one namespaced job node per model of ``embeddings.models``.

Kedro pipelines are static, so the model keys are read from the project's parameters
when the pipeline is built: ``conf/base`` and the run environment (``conf/local``, or
``$KEDRO_ENV``). ``kedro run --params`` can change a listed model's settings, but a model
must be listed in a parameters file to get nodes and datasets.
"""

from __future__ import annotations

from functools import partial, update_wrapper

from kedro.pipeline import Node, Pipeline

from arxiv_pipeline.corpus.splitting import SPLITS
from arxiv_pipeline.embedding.wiring import configured_model_keys
from arxiv_pipeline.text.templates import build_embedding_texts

from .nodes import prepare_embedding_jobs


def create_pipeline(**kwargs) -> Pipeline:
    texts = Pipeline(
        [
            Node(
                build_embedding_texts,
                inputs=["papers", "paper_splits", "params:embeddings.text_template"],
                outputs="embedding_texts",
                name="build_embedding_texts",
            )
        ]
    )
    return sum((model_pipeline(key) for key in configured_model_keys()), texts)


def model_pipeline(model_key: str) -> Pipeline:
    """The jobs of one model, namespaced: outputs ``<model_key>.<split>_embeddings``."""
    model = f"params:embeddings.models.{model_key}"
    # update_wrapper gives the partial the function's name, for Kedro's logs and viz.
    jobs = update_wrapper(
        partial(prepare_embedding_jobs, model_key=model_key), prepare_embedding_jobs
    )
    return Pipeline(
        [
            Node(
                jobs,
                inputs=["embedding_texts", model, "params:embeddings.encoding"],
                outputs={split: f"{split}_embeddings" for split in SPLITS},
                name="prepare_embedding_jobs",
            )
        ],
        namespace=model_key,
        inputs={"embedding_texts"},
        parameters={model, "params:embeddings.encoding"},
    )
