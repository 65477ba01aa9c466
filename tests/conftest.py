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


#: The modules whose tests copy the session's trained project (tests/workflows.py:
#: trained_copy, reported_copy), which is built once per pytest process. Under pytest-xdist
#: they are one unit of work, so that one worker builds it for them all.
TRAINED_PROJECT_MODULES = {
    "tests/pipelines/evaluation/test_model_lineage.py",
    "tests/pipelines/evaluation/test_pipeline.py",
    "tests/pipelines/predict/test_pipeline.py",
    "tests/pipelines/topic_update/test_pipeline.py",
    "tests/pipelines/topic_views/test_in_memory.py",
    "tests/pipelines/topic_views/test_pipeline.py",
    "tests/test_notebooks.py",
}
#: The fixtures those modules copy it with.
TRAINED_PROJECT_FIXTURES = {"trained_project", "reported_project"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Refuse a test of the trained project outside TRAINED_PROJECT_MODULES, and run those
    modules first.

    A test elsewhere would build the project a second time on another xdist worker (a
    minute of CPU).
    """
    for item in items:
        module = item.nodeid.split("::", 1)[0]
        uses = TRAINED_PROJECT_FIXTURES & set(getattr(item, "fixturenames", ()))
        if uses and module not in TRAINED_PROJECT_MODULES:
            raise pytest.UsageError(
                f"{item.nodeid} uses {', '.join(sorted(uses))}: add {module} to "
                "TRAINED_PROJECT_MODULES in tests/conftest.py"
            )
    # The trained project's tests first: under --dist loadscope they are the largest unit
    # of work, and a worker that starts it last keeps the other waiting at the end.
    items.sort(key=lambda item: item.nodeid.split("::", 1)[0] not in TRAINED_PROJECT_MODULES)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    """``--dist loadscope`` (each module's tests on one worker), with the modules of
    TRAINED_PROJECT_MODULES as one scope."""
    if config.getvalue("dist") != "loadscope":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class Scheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            if module in TRAINED_PROJECT_MODULES:
                return "trained-project"
            return super()._split_scope(nodeid)

    return Scheduling(config, log)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto``: a worker per CPU this process may use, at most 3.

    The trained project's modules are one unit of work, a third of the suite: more workers
    would each import BERTopic and build their own copies of the other projects for
    little gain.
    """
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return max(1, min(3, cpus or 1))


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


def run_pipelines(
    project: Path, pipelines: list[str], *, to_outputs: list[str] | None = None, **params: Any
) -> dict[str, Any]:
    """Run pipelines through a real ``KedroSession`` with runtime parameters.

    ``to_outputs``: only the nodes these datasets need (``kedro run --to-outputs``).
    """
    with KedroSession.create(project_path=project, runtime_params=params) as session:
        return session.run(pipeline_names=pipelines, to_outputs=to_outputs)


def load_dataset(project: Path, name: str, **params: Any) -> Any:
    """Load a catalog entry of the project, as a user would in a notebook."""
    with KedroSession.create(project_path=project, runtime_params=params) as session:
        return session.load_context().catalog.load(name)
