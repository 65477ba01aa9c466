"""The layout rules of the project: pipelines talk only through the catalog.

A pipeline package holds its nodes and its pipeline; what two pipelines need lives in a
domain package beneath them (corpus, text, embedding, topics, classifier, tuning,
reporting). These tests read the source, so a new cross-pipeline import fails CI.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "arxiv_pipeline"
PIPELINES = sorted(path for path in (PACKAGE / "pipelines").iterdir() if (path / "pipeline.py").is_file())
#: What a pipeline package may hold; predict also has its command line.
PIPELINE_MODULES = {"__init__.py", "nodes.py", "pipeline.py"}
EXTRA_MODULES = {"predict": {"__main__.py"}}


def imported_modules(path: Path) -> set[str]:
    """Absolute names of the modules ``path`` imports (relative imports resolved)."""
    package = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts[:-1])
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package.rsplit(".", node.level - 1)[0] if node.level else ""
            module = ".".join(part for part in (base, node.module) if part)
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def test_every_pipeline_is_found() -> None:
    names = {path.name for path in PIPELINES}
    assert {"ingestion", "embeddings", "topic_tuning", "classifier_tuning"} <= names


@pytest.mark.parametrize("pipeline", PIPELINES, ids=lambda path: path.name)
def test_a_pipeline_imports_no_other_pipeline(pipeline: Path) -> None:
    own = f"arxiv_pipeline.pipelines.{pipeline.name}"
    crossing = {
        f"{source.name}: {name}"
        for source in pipeline.rglob("*.py")
        for name in imported_modules(source)
        if name.startswith("arxiv_pipeline.pipelines.")
        and name != own
        and not name.startswith(own + ".")
    }
    assert not crossing, f"{pipeline.name} imports other pipelines: {sorted(crossing)}"


@pytest.mark.parametrize("pipeline", PIPELINES, ids=lambda path: path.name)
def test_a_pipeline_package_holds_only_its_nodes_and_pipeline(pipeline: Path) -> None:
    allowed = PIPELINE_MODULES | EXTRA_MODULES.get(pipeline.name, set())
    modules = {path.name for path in pipeline.glob("*.py")}
    assert modules <= allowed, f"move {sorted(modules - allowed)} into a domain package"


def test_domain_packages_import_no_pipeline() -> None:
    crossing = {
        f"{path.relative_to(PACKAGE)}: {name}"
        for path in PACKAGE.rglob("*.py")
        if "pipelines" not in path.relative_to(PACKAGE).parts
        and path.name not in {"pipeline_registry.py", "settings.py"}
        for name in imported_modules(path)
        if name.startswith("arxiv_pipeline.pipelines")
    }
    assert not crossing, f"domain code imports pipelines: {sorted(crossing)}"
