"""``kedro viz build`` exports every pipeline, readable node names and previews of the reports."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import arxiv_pipeline.pipelines
from tests.conftest import run_pipelines
from tests.pipelines.study_reports.test_pipeline import make_studies

#: A node's name as kedro-viz shows it: words joined by underscores, not Kedro's generated
#: "func([inputs]) -> [outputs]".
READABLE = re.compile(r"^[a-z][a-z0-9_]*$")


def test_viz_build_exports_every_pipeline_and_previews_the_reports(project):
    make_studies(project)
    run_pipelines(project, ["study_reports"])
    result = subprocess.run(
        [sys.executable, "-m", "kedro", "viz", "build", "--include-previews"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]

    # Every pipeline package, as find_pipelines registers them, and their sum.
    packages = Path(arxiv_pipeline.pipelines.__file__).parent
    registered = {path.parent.name for path in packages.glob("*/pipeline.py")} | {"__default__"}
    api = project / "build/api"
    main = json.loads((api / "main").read_text())
    assert {pipeline["id"] for pipeline in main["pipelines"]} == registered
    assert {path.name for path in (api / "pipelines").iterdir()} == registered
    tasks = [node for node in main["nodes"] if node["type"] == "task"]
    unreadable = [node["name"] for node in tasks if not READABLE.match(node["name"])]
    assert tasks and not unreadable

    datasets = {node["name"]: node["id"] for node in main["nodes"] if node["type"] == "data"}
    for figure in ("topic_report.optimization_history", "topic_report.topic_counts_figure"):
        details = json.loads((api / "nodes" / datasets[figure]).read_text())
        assert details["preview_type"] == "PlotlyPreview" and details["preview"]["data"]
