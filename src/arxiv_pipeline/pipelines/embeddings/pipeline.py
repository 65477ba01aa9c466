"""The embeddings pipeline: one namespaced job node per model of ``embeddings.models``.

Kedro pipelines are static, so the model keys are read from the project's parameters
when the pipeline is built: ``conf/base`` and the run environment (``conf/local``, or
``$KEDRO_ENV``). ``kedro run --params`` can change a listed model's settings, but a model
must be listed in a parameters file to get nodes and datasets.
"""

from __future__ import annotations

import os
from functools import partial, update_wrapper
from pathlib import Path

from kedro.framework.project import settings
from kedro.pipeline import Node, Pipeline
from kedro.utils import find_kedro_project

from .nodes import SPLITS, build_embedding_texts, prepare_embedding_jobs


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


def configured_model_keys() -> list[str]:
    """The keys of ``embeddings.models`` in the parameters of the project in the working folder.

    Raises
    ------
    RuntimeError
        If the working folder is not inside a Kedro project.
    ValueError
        If a key is not a Python identifier: keys become namespaces and file names.
    """
    project = find_kedro_project(Path.cwd())
    if project is None:
        raise RuntimeError(
            f"'{Path.cwd()}' is not inside a Kedro project: the embeddings pipeline reads its "
            "models from the project's conf/ folder."
        )
    loader = settings.CONFIG_LOADER_CLASS(
        conf_source=str(project / settings.CONF_SOURCE),
        env=os.environ.get("KEDRO_ENV"),
        **settings.CONFIG_LOADER_ARGS,
    )
    keys = list(loader["parameters"]["embeddings"]["models"])
    invalid = [key for key in keys if not key.isidentifier()]
    if invalid:
        raise ValueError(
            f"embeddings.models keys {invalid} must be Python identifiers (letters, digits, _)."
        )
    return keys
