"""The configured embedding models, read while pipelines are built."""

from __future__ import annotations

import os
from pathlib import Path

from kedro.framework.project import settings
from kedro.utils import find_kedro_project


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
