"""Project hooks: runtime parameters checked by name, Arrow's freed memory returned after
each node, and the summary a ``kedro run`` ends with."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from kedro.framework.context import KedroContext
from kedro.framework.hooks import hook_impl
from kedro.io import CatalogProtocol
from kedro.pipeline import Pipeline

from arxiv_pipeline.cli import STUDY_FOLDER
from arxiv_pipeline.runtime_params import check_runtime_params, known_names

logger = logging.getLogger(__name__)
#: The end-of-run summary's own logger: conf/logging.yml prints it as written, unwrapped.
summary_logger = logging.getLogger("arxiv_pipeline.run_summary")

#: The folders whose files the summary names, relative to the project.
RESULT_FOLDERS = ("data/08_reporting", "data/07_model_output", STUDY_FOLDER)


def _load_if_exists(catalog: CatalogProtocol, name: str) -> Any:
    """The dataset's data, or None where the catalog has no such entry or it was never written."""
    return catalog.load(name) if name in catalog and catalog.exists(name) else None


def _written_path(catalog: CatalogProtocol, name: str, project_path: Path) -> str | None:
    """The file of a dataset with a ``filepath`` (relative to the project where inside it), if written."""
    if name not in catalog or not catalog.exists(name):
        return None
    path = Path(catalog[name].filepath)
    return str(path.relative_to(project_path)) if path.is_relative_to(project_path) else str(path)


def _folders(project_path: Path) -> dict[str, list[str]]:
    """Each result folder's entries (a folder with a trailing ``/``), hidden files left out."""
    found = {}
    for folder in RESULT_FOLDERS:
        path = project_path / folder
        if path.is_dir():
            found[folder] = sorted(
                entry.name + ("/" if entry.is_dir() else "")
                for entry in path.iterdir()
                if not entry.name.startswith(".") and not entry.name.endswith(".lock")
            )
    return found


def _study_names(project_path: Path) -> list[str]:
    """The studies in the study folder's SQLite and journal files (read-only; unreadable ones logged)."""
    from arxiv_pipeline.studies import find_storages, read_storages

    paths = find_storages(project_path / STUDY_FOLDER)
    summaries, unreadable = read_storages([(path, str(path.relative_to(project_path))) for path in paths])
    for label, error in unreadable:
        logger.warning("Study storage %s cannot be read: %s", label, error)
    return sorted({summary.study_name for summary in summaries})


class RuntimeParamsHooks:
    """Refuse a ``--params`` name that no parameters file and no catalog entry reads.

    Checked when the context is created, before the catalog is built or any node runs.
    """

    @hook_impl
    def after_context_created(self, context: KedroContext) -> None:
        loader = context.config_loader
        if not loader.runtime_params:
            return
        conf = Path(loader.conf_source)
        if not conf.is_dir():  # a packaged conf archive: its names cannot be listed here
            return
        envs = {loader.base_env, loader.env or loader.default_run_env}
        patterns = loader.config_patterns["parameters"]
        known = known_names((conf / env for env in envs if env), patterns)
        check_runtime_params(loader.runtime_params, known)


class ArrowMemoryHooks:
    """Return the memory Arrow's allocator holds free to the system after each node.

    Arrow allocates through mimalloc, which keeps freed memory for its own reuse: after a
    node that read or joined gigabytes of Arrow data, that memory stays with the process
    while the next nodes allocate through NumPy. Reading 1.1 GB of texts from Parquet left
    2.9 GB resident, 1.3 GB once released.
    """

    @hook_impl
    def after_node_run(self) -> None:
        # Import here: pyarrow is loaded by then; the settings module stays cheap to import.
        import pyarrow as pa

        pa.default_memory_pool().release_unused()


class RunSummaryHooks:
    """Log what the run read, found and measured, and the commands that open the results.

    Only data that exists is loaded, so a partial run (``--pipelines ingestion``) tells
    what it has and names the pipelines still to run.
    """

    @hook_impl
    def after_pipeline_run(
        self, run_params: dict[str, Any], run_result: dict[str, Any], pipeline: Pipeline, catalog: CatalogProtocol
    ) -> None:
        # Late: it imports scikit-learn and plotly (seconds), which Kedro would import for
        # every command (this module is loaded with the settings), `kedro studies` too.
        from arxiv_pipeline.reporting.run_summary import render_summary

        project_path = Path(run_params["project_path"])
        summary_logger.info(
            render_summary(
                ingestion=_load_if_exists(catalog, "ingestion_summary"),
                topic_table=_load_if_exists(catalog, "topic_table"),
                evaluation_metrics=_load_if_exists(catalog, "evaluation_metrics"),
                atlas=_written_path(catalog, "topic_atlas", project_path),
                folders=_folders(project_path),
                study_names=_study_names(project_path),
                # Only the run that placed a snapshot: an older report may describe a replaced model.
                topic_update=_load_if_exists(catalog, "topic_update_report")
                if "topic_update_report" in pipeline.all_outputs()
                else None,
            )
        )
