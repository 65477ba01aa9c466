"""The log of a run: node lines and our own, no per-dataset chatter, no dataset-name warning."""

from __future__ import annotations

import logging
import warnings

import yaml
from kedro.framework.project import LOGGING
from kedro.framework.startup import bootstrap_project
from kedro.io import DataCatalog
from kedro.pipeline import Node, Pipeline

from arxiv_pipeline.hooks import RunSummaryHooks, summary_logger
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
    # The configuration replaced the root handlers, caplog's among them; the run summary's
    # logger does not pass its record on to the root.
    loggers = (logging.getLogger(), summary_logger)
    for logger in loggers:
        logger.addHandler(caplog.handler)
    caplog.handler.setLevel(logging.DEBUG)
    try:
        run_pipelines(project, ["ingestion"], snapshot_path=str(arxiv_sample))
    finally:
        for logger in loggers:
            logger.removeHandler(caplog.handler)
    messages = [record.getMessage() for record in caplog.records]
    assert not [message for message in messages if message.startswith(("Loading data", "Saving data"))]
    assert sum(message.startswith("Running node") for message in messages) == 7
    assert sum(message.startswith("Completed node") for message in messages) == 7
    assert any(message.startswith("Ingested ") for message in messages)
    assert any(record.name == "arxiv_pipeline.run_summary" for record in caplog.records)


def test_the_run_summary_is_printed_as_written_not_wrapped(project, capsys):
    """The rich handler wrapped the summary into a 40-character column beside time and level."""
    config = yaml.safe_load((REPO_ROOT / "conf/logging.yml").read_text())
    LOGGING.configure(config)  # its handlers write to this test's captured stdout
    reports = [f"a_report_with_a_long_descriptive_name_{index}.md" for index in range(6)]
    (project / "data/08_reporting").mkdir(parents=True)
    for name in reports:
        (project / "data/08_reporting" / name).touch()
    try:
        RunSummaryHooks().after_pipeline_run(
            run_params={"project_path": str(project)},
            run_result={},
            pipeline=Pipeline([]),
            catalog=DataCatalog(),
        )
        lines = capsys.readouterr().out.splitlines()
    finally:
        with capsys.disabled():  # back onto the streams outside this test
            LOGGING.configure(config)
    assert lines[0] == "Run finished. Results:"
    assert f"data/08_reporting: {', '.join(reports)}" in lines
