"""Shared fixtures: a throwaway copy of the Kedro project and the real arXiv sample."""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

import pytest
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project

REPO_ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
ARXIV_SAMPLE = SHARED_DATA / "arxiv_sample_2007.jsonl"

# Tests never reach the network: no telemetry, no model hub.
os.environ.setdefault("KEDRO_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


@pytest.fixture(scope="session")
def arxiv_sample() -> Path:
    """The 2,000 real papers of ``../shared/data`` (skipped where that folder is absent)."""
    if not ARXIV_SAMPLE.is_file():
        pytest.skip(f"real arXiv sample not found at {ARXIV_SAMPLE} (../shared/data is absent)")
    return ARXIV_SAMPLE


def copy_project(folder: Path) -> Path:
    """A copy of the project's configuration in ``folder``, bootstrapped for a KedroSession.

    Runs write their data there (with ``folder`` as the working directory), never into
    the repository's own ``data/``.
    """
    for name in ("pyproject.toml", ".telemetry"):
        shutil.copy(REPO_ROOT / name, folder / name)
    shutil.copytree(REPO_ROOT / "conf" / "base", folder / "conf" / "base")
    (folder / "conf" / "local").mkdir()
    shutil.copy(REPO_ROOT / "conf" / "logging.yml", folder / "conf" / "logging.yml")
    (folder / "src").mkdir()  # Kedro wants it; the package is imported from the venv
    bootstrap_project(folder)
    return folder


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the project's configuration in a temporary folder, as the working directory."""
    monkeypatch.chdir(tmp_path)
    return copy_project(tmp_path)


def run_pipelines(project: Path, pipelines: list[str], **params: Any) -> dict[str, Any]:
    """Run pipelines through a real ``KedroSession`` with runtime parameters."""
    with KedroSession.create(project_path=project, runtime_params=params) as session:
        return session.run(pipeline_names=pipelines)


def load_dataset(project: Path, name: str, **params: Any) -> Any:
    """Load a catalog entry of the project, as a user would in a notebook."""
    with KedroSession.create(project_path=project, runtime_params=params) as session:
        return session.load_context().catalog.load(name)
