"""Every notebook of ``notebooks/`` runs top to bottom on a trained copy of the project.

The notebooks load everything through the catalog (``%load_ext kedro.ipython``), so they
run against the copy as a user's run against their own project: copied into its
``notebooks/`` folder and executed there, where Kedro finds the project by searching
upwards.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.conftest import REPO_ROOT, copy_project
from tests.workflows import reported_copy

NOTEBOOKS = sorted((REPO_ROOT / "notebooks").glob("*.ipynb"))

@pytest.fixture(scope="module")
def reported_project(tmp_path_factory: pytest.TempPathFactory, arxiv_sample: Path) -> Path:
    """A trained copy of the project (real sample) with every report the notebooks read."""
    project = reported_copy(copy_project(tmp_path_factory.mktemp("notebooks")), arxiv_sample)
    (project / "notebooks").mkdir()
    return project


def test_the_project_ships_its_notebooks_without_outputs():
    assert {path.stem for path in NOTEBOOKS} >= {"topic_model", "studies", "classifier"}
    for path in NOTEBOOKS:
        cells = nbformat.read(path, as_version=4).cells
        code = [cell for cell in cells if cell.cell_type == "code"]
        assert not [cell.source for cell in code if cell.outputs or cell.execution_count]
        # Everything comes from the catalog: no data paths in the notebooks, and no change
        # of working directory (the catalog's files are under the project wherever it is).
        assert "%load_ext kedro.ipython" in code[0].source
        assert not [cell.source for cell in cells if "data/" in cell.source]
        assert not [cell.source for cell in cells if "chdir" in cell.source]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[path.stem for path in NOTEBOOKS])
def test_notebook_runs_top_to_bottom(reported_project: Path, path: Path):
    notebook = shutil.copy(path, reported_project / "notebooks" / path.name)
    executed = nbformat.read(notebook, as_version=4)
    # A cell that raises fails the test (CellExecutionError names the cell and the error).
    NotebookClient(
        executed, timeout=300, resources={"metadata": {"path": str(Path(notebook).parent)}}
    ).execute()
    errors = [
        output
        for cell in executed.cells
        for output in cell.get("outputs", [])
        if output.output_type == "error"
    ]
    assert not errors
    # Each figure cell rendered a plotly figure.
    figures = [
        output
        for cell in executed.cells
        for output in cell.get("outputs", [])
        if "application/vnd.plotly.v1+json" in output.get("data", {})
    ]
    assert figures
