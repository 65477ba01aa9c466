"""Project commands for the Kedro CLI: ``kedro studies list`` and ``kedro studies dashboard``.

Kedro adds the commands of this module's ``cli`` group to its own, and takes ``run``
from here for ``python -m arxiv_pipeline``: it is Kedro's own. Kedro imports this module
for every command, so the commands import Optuna and the dashboard only when they run.
"""

from __future__ import annotations

import socket
from pathlib import Path

import click
from kedro.framework.cli.project import run
from kedro.framework.startup import ProjectMetadata

__all__ = ["cli", "run"]

#: Where the project's tuning pipelines keep their studies.
STUDY_FOLDER = "data/06_models"


@click.group(name="arxiv_pipeline")
def cli() -> None:
    """Commands of the arxiv_pipeline project."""


@cli.group()
def studies() -> None:
    """The Optuna studies of this project, read-only."""


def _folder(metadata: ProjectMetadata, folder: str) -> Path:
    return metadata.project_path / folder


@studies.command("list")
@click.option(
    "--folder", default=STUDY_FOLDER, show_default=True, help="Folder searched for storages."
)
@click.option(
    "--storage",
    "urls",
    multiple=True,
    help="A storage URL (e.g. postgresql://...) or file to list as well; may be repeated.",
)
@click.pass_obj
def list_studies(metadata: ProjectMetadata, folder: str, urls: tuple[str, ...]) -> None:
    """One row per study in the SQLite and journal files under FOLDER.

    A storage that cannot be read (empty, damaged) is named with its error after the
    table, on stderr; the others are listed all the same.
    """
    from arxiv_pipeline.studies import find_storages, format_table, read_storages
    from arxiv_pipeline.tuning.store import hide_password

    root = metadata.project_path
    paths = find_storages(_folder(metadata, folder))
    labelled = [(path, str(path.relative_to(root))) for path in paths]
    labelled += [(url, hide_password(url)) for url in urls]
    if not labelled:
        click.echo(f"No study storages under {folder}: run a tuning pipeline first.")
        return
    summaries, unreadable = read_storages(labelled)
    click.echo(format_table([summary.row() for summary in summaries]))
    for label, error in unreadable:
        click.echo(f"unreadable storage {label}: {error}", err=True)


@studies.command()
@click.argument("name", required=False)
@click.option(
    "--folder", default=STUDY_FOLDER, show_default=True, help="Folder searched for storages."
)
@click.option("--port", default=8080, show_default=True, help="Port; a free one if it is taken.")
@click.pass_obj
def dashboard(metadata: ProjectMetadata, name: str | None, folder: str, port: int) -> None:
    """Serve the storage holding study NAME in optuna-dashboard, on 127.0.0.1.

    NAME is a study name, the name of a storage file under FOLDER, or the path of a
    storage file (relative to the project, as `kedro studies list` prints it, or to the
    working directory); without it, the most recently written storage. The storage is
    opened read-only: the dashboard shows studies, live while they run, and changes none.
    """
    from optuna_dashboard import run_server

    from arxiv_pipeline.studies import find_storages, locate, open_read_only

    root = metadata.project_path
    # `kedro studies list` prints paths relative to the project, wherever kedro runs in it.
    if name is not None and not Path(name).is_file() and (root / name).is_file():
        name = str(root / name)
    try:
        path, study_id = locate(find_storages(_folder(metadata, folder)), name)
    except LookupError as error:
        raise click.ClickException(str(error)) from error
    port = _free_port(port)
    url = f"http://127.0.0.1:{port}/dashboard/"
    if study_id is not None:
        url += f"studies/{study_id}"
    shown = path.relative_to(root) if path.is_relative_to(root) else path
    click.echo(f"optuna-dashboard on {shown}: {url}")
    click.echo("Stop it with Ctrl+C.")
    run_server(open_read_only(path), host="127.0.0.1", port=port)


def _free_port(port: int) -> int:
    """``port`` if nothing listens on it on 127.0.0.1, else one the system picks."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
