"""The log of a run: node lines and our own, no per-dataset chatter, no dataset-name warning."""

from __future__ import annotations

import logging
import warnings

import yaml
from kedro.framework.project import LOGGING
from kedro.framework.startup import bootstrap_project
from kedro.pipeline import Node

from arxiv_pipeline.pipeline_registry import register_pipelines
from tests.conftest import REPO_ROOT, run_pipelines

#: Where Kedro records that it gave its dotted-dataset-name warning (once per process).
DOTTED_NAME_WARNED = "__dotted_dataset_name_warned__"


def test_no_dataset_name_takes_kedro_namespace_dots(monkeypatch):
    """A dotted name outside a namespace made Kedro warn "... contain '.' characters" on every command."""
    bootstrap_project(REPO_ROOT)
    monkeypatch.setattr(Node, DOTTED_NAME_WARNED, False, raising=False)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        register_pipelines()
    assert [str(warning.message) for warning in caught if "'.' characters" in str(warning.message)] == []


def test_the_log_keeps_node_lines_and_drops_dataset_loads(project, arxiv_sample, caplog):
    LOGGING.configure(yaml.safe_load((REPO_ROOT / "conf/logging.yml").read_text()))
    # The configuration replaced the root handlers, caplog's among them.
    root = logging.getLogger()
    root.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.DEBUG)
    try:
        run_pipelines(project, ["ingestion"], snapshot_path=str(arxiv_sample))
    finally:
        root.removeHandler(caplog.handler)
    messages = [record.getMessage() for record in caplog.records]
    assert not [message for message in messages if message.startswith(("Loading data", "Saving data"))]
    assert sum(message.startswith("Running node") for message in messages) == 7
    assert sum(message.startswith("Completed node") for message in messages) == 7
    assert any(message.startswith("Ingested ") for message in messages)
    assert any(record.name == "arxiv_pipeline.hooks" for record in caplog.records)
