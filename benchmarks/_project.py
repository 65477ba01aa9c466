"""A throwaway copy of the project for benchmarks: its configuration, none of its data."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

import yaml

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE = REPO_ROOT.parent / "shared" / "data" / "arxiv_sample_2007.jsonl"


def project_copy(prefix: str, folder: Path | None = None) -> Path:
    """Copy ``conf`` (its environments, not a user's ``conf/local``) into a new folder and enter it.

    Returns the folder, bootstrapped as the Kedro project of this process.
    """
    from kedro.framework.startup import bootstrap_project

    project = folder or Path(tempfile.mkdtemp(prefix=prefix))
    for item in ("pyproject.toml", ".telemetry"):
        shutil.copy(REPO_ROOT / item, project / item)
    for environment in (REPO_ROOT / "conf").iterdir():
        if environment.is_dir() and environment.name != "local":
            shutil.copytree(environment, project / "conf" / environment.name)
    shutil.copy(REPO_ROOT / "conf" / "logging.yml", project / "conf" / "logging.yml")
    (project / "conf" / "local").mkdir()
    (project / "src").mkdir()  # Kedro wants it; the package is imported from the venv
    os.chdir(project)
    bootstrap_project(project)
    return project


def keep_embedding_models(project: Path, keys: list[str]) -> None:
    """Leave only these models in the copy's ``embeddings.models``."""
    path = project / "conf/base/parameters_embeddings.yml"
    parameters = yaml.safe_load(path.read_text())
    models = parameters["embeddings"]["models"]
    parameters["embeddings"]["models"] = {key: models[key] for key in keys}
    path.write_text(yaml.safe_dump(parameters))
