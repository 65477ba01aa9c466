"""``kedro studies list`` and ``kedro studies dashboard`` as a user runs them.

``fixtures/optuna-3.1.1.sql`` is the dump of an SQLite storage that Optuna 3.1.1 wrote
(schema v3.0.0.d, which Optuna 5 refuses to open without migrating it) and
``fixtures/optuna-3.1.1.journal`` a journal it wrote; both were made by
``fixtures/make_optuna3_fixtures.py``. Each holds ``legacy_search`` (4 complete, 1
pruned, 1 failed, 1 running trial) and the two-objective ``legacy_pareto``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import optuna
import pytest
from click.testing import CliRunner
from kedro.framework.startup import bootstrap_project

from arxiv_pipeline.cli import cli
from tests.conftest import copy_project

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def storages(project: Path) -> Path:
    """``data/06_models`` with Optuna 3.1 storages, an Optuna 5 one, and a file that is none."""
    return make_storages(project)


def make_storages(project: Path) -> Path:
    """:func:`storages` in ``project``."""
    models = project / "data/06_models"
    models.mkdir(parents=True)
    with closing(sqlite3.connect(models / "legacy.db")) as connection:
        connection.executescript((FIXTURES / "optuna-3.1.1.sql").read_text())
    shutil.copy(FIXTURES / "optuna-3.1.1.journal", models / "legacy.journal")
    # The same study is in both: the dashboard opens the most recently written.
    an_hour_ago = time.time() - 3600
    os.utime(models / "legacy.journal", (an_hour_ago, an_hour_ago))
    current = optuna.create_study(
        study_name="current", storage=f"sqlite:///{models / 'current.sqlite'}"
    )
    current.optimize(lambda trial: trial.suggest_float("x", 0.0, 1.0), n_trials=2)
    (models / "schema.sql").write_text("CREATE TABLE notes (text TEXT);\n")
    return models


def kedro(project: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kedro", *args],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )


def digests(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` and its SHA-256: what must not change."""
    return {
        str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


#: The tied study of :func:`listing`: three trials share the best value.
TIED = (0.5, -0.5, 0.5, 0.9)


@dataclass(frozen=True)
class Listing:
    """What ``kedro studies list`` printed, and data/06_models before and after it."""

    result: subprocess.CompletedProcess
    models: Path
    before: dict[str, str]
    after: dict[str, str]


@pytest.fixture(scope="module")
def listing(tmp_path_factory: pytest.TempPathFactory) -> Listing:
    """One ``kedro studies list`` (a process, seconds) for the tests of what it lists.

    :func:`storages`, with beside them an empty, a damaged and a non-Optuna file, and a
    single-objective study whose best value three trials share.
    """
    project = copy_project(tmp_path_factory.mktemp("studies-list"))
    models = make_storages(project)
    (models / "empty.db").write_bytes(b"")
    (models / "damaged.db").write_bytes(b"SQLite format 3\x00" + b"\xff" * 600)
    (models / "garbage.sqlite").write_bytes(b"not a database at all")
    study = optuna.create_study(study_name="tied", storage=f"sqlite:///{models / 'tied.db'}")
    for x in TIED:
        study.enqueue_trial({"x": x})
    study.optimize(lambda trial: trial.suggest_float("x", -1.0, 1.0) ** 2, n_trials=len(TIED))
    before = digests(models)
    result = kedro(project, "studies", "list")
    return Listing(result, models, before, digests(models))


def test_list_shows_every_study_of_every_storage_and_changes_nothing(listing):
    result = listing.result
    assert result.returncode == 0, result.stderr
    rows = {
        tuple(line.split()[:2]): line.split()
        for line in result.stdout.splitlines()
        if line.startswith("data/06_models/")
    }
    assert set(rows) == {
        ("data/06_models/current.sqlite", "current"),
        ("data/06_models/legacy.db", "legacy_search"),
        ("data/06_models/legacy.db", "legacy_pareto"),
        ("data/06_models/legacy.journal", "legacy_search"),
        ("data/06_models/legacy.journal", "legacy_pareto"),
        ("data/06_models/tied.db", "tied"),
    }
    for storage in ("legacy.db", "legacy.journal"):
        search = rows[(f"data/06_models/{storage}", "legacy_search")]
        # direction, complete, pruned, failed, running, best value, best params
        assert search[2:8] == ["minimize", "4", "1", "1", "1", "3.038"]
        assert " ".join(search[8:]) == "x=0.1953, depth=3, kind=a"
        assert rows[(f"data/06_models/{storage}", "legacy_pareto")][2] == "minimize,maximize"
    assert "Pareto-optimal" in result.stdout
    assert "schema.sql" not in result.stdout
    # Read-only: not a byte written, no file added (not even a lock or journal).
    assert listing.after == listing.before


def test_an_empty_or_damaged_storage_is_named_and_the_others_are_listed(listing):
    result = listing.result
    assert result.returncode == 0, result.stderr
    listed = {line.split()[0] for line in result.stdout.splitlines() if line.startswith("data/")}
    assert listed == {
        "data/06_models/current.sqlite",
        "data/06_models/legacy.db",
        "data/06_models/legacy.journal",
        "data/06_models/tied.db",
    }
    unreadable = {
        line.split()[2].rstrip(":"): line
        for line in result.stderr.splitlines()
        if line.startswith("unreadable storage")
    }
    assert set(unreadable) == {
        "data/06_models/empty.db",
        "data/06_models/damaged.db",
        "data/06_models/garbage.sqlite",
    }
    assert "empty (0 bytes)" in unreadable["data/06_models/empty.db"]
    assert "DatabaseError" in unreadable["data/06_models/damaged.db"]
    assert "not an Optuna storage" in unreadable["data/06_models/garbage.sqlite"]


def test_a_single_objective_study_with_ties_is_not_called_pareto(listing):
    tied = optuna.load_study(study_name="tied", storage=f"sqlite:///{listing.models / 'tied.db'}")
    assert len(tied.best_trials) == 3  # what the summary used to call "1 of 3 Pareto-optimal"
    result = listing.result
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if " tied " in line)
    assert "0.25" in row and "Pareto" not in row


def test_list_prints_only_the_table_on_stdout(listing):
    """A log line ("Using 'conf/logging.yml' as logging configuration") came above the table."""
    result = listing.result
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split()[:3] == ["storage", "study", "direction"]
    assert all(line.startswith("data/06_models/") for line in lines[1:])


@dataclass(frozen=True)
class Served:
    """A ``kedro studies dashboard`` running: the line it printed with its URL, and its port."""

    line: str
    port: int


@dataclass(frozen=True)
class Dashboards:
    """The dashboards of :func:`dashboards`, by the storage file each serves."""

    storages: Path
    before: dict[str, str]
    served: dict[str, Served]


def _free_ports(count: int) -> list[int]:
    """``count`` distinct ports nothing listens on, on 127.0.0.1."""
    with contextlib.ExitStack() as stack:
        probes = [stack.enter_context(socket.socket()) for _ in range(count)]
        for probe in probes:
            probe.bind(("127.0.0.1", 0))
        return [probe.getsockname()[1] for probe in probes]


@pytest.fixture(scope="module")
def dashboards(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dashboards]:
    """Two ``kedro studies dashboard`` processes (seconds each to start, so started at once)
    on :func:`storages`, for the tests of what they serve.

    ``legacy_search`` by its study name (in both storages: the most recently written,
    legacy.db, is served) and ``data/06_models/legacy.journal`` by the path ``kedro studies
    list`` prints. Stopping them writes nothing either.
    """
    project = copy_project(tmp_path_factory.mktemp("studies-dashboard"))
    storages = make_storages(project)
    before = digests(storages)
    names = {"legacy.db": "legacy_search", "legacy.journal": "data/06_models/legacy.journal"}
    ports = dict(zip(names, _free_ports(len(names)), strict=True))
    servers: dict[str, subprocess.Popen] = {}
    try:
        for storage, name in names.items():
            command = ["studies", "dashboard", name, "--port", str(ports[storage])]
            servers[storage] = subprocess.Popen(
                [sys.executable, "-m", "kedro", *command],
                cwd=project,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                text=True,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
            )
        served = {storage: Served(_url_line(servers[storage]), ports[storage]) for storage in names}
        yield Dashboards(storages, before, served)
    finally:
        for server in servers.values():
            server.terminate()
            server.wait(timeout=30)
    assert digests(storages) == before


def _url_line(server: subprocess.Popen) -> str:
    """The line a ``kedro studies dashboard`` prints with its URL."""
    line = ""
    while "http://" not in line:
        line = server.stdout.readline()
        assert line or server.poll() is None, "the dashboard command ended without a URL"
    return line


def test_dashboard_serves_the_study_on_localhost_read_only(dashboards):
    line, port = dashboards.served["legacy.db"].line, dashboards.served["legacy.db"].port
    assert line.startswith("optuna-dashboard on data/06_models/legacy.db: ")
    url = line.split(": ", 1)[1].strip()
    assert url.startswith(f"http://127.0.0.1:{port}/dashboard/studies/")
    studies = json.loads(_get(f"http://127.0.0.1:{port}/api/studies"))
    assert {study["study_name"] for study in studies["study_summaries"]} == {
        "legacy_search",
        "legacy_pareto",
    }
    assert "<html" in _get(url).lower()
    assert digests(dashboards.storages) == dashboards.before


def _get(url: str) -> str:
    """The body at ``url``, retried while the server starts."""
    deadline = time.monotonic() + 60
    while True:
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                return response.read().decode()
        except urllib.error.URLError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_an_unknown_study_names_those_there_are(project, storages):
    # The command's own error path, in this process: the other tests start kedro's CLI.
    result = CliRunner().invoke(
        cli, ["studies", "dashboard", "no_such_study"], obj=bootstrap_project(project)
    )
    assert result.exit_code != 0
    assert (
        "No study or storage file 'no_such_study'" in result.stderr
        and "legacy_pareto" in result.stderr
    )


def test_the_package_runs_kedro_own_run_command(project):
    result = subprocess.run(
        [sys.executable, "-m", "arxiv_pipeline", "--help"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0 and "--pipelines" in result.stdout


def _request(url: str, method: str) -> int:
    request = urllib.request.Request(url, method=method)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.parametrize("storage", ["legacy.db", "legacy.journal"])
def test_the_dashboard_refuses_to_delete_a_study(dashboards, storage):
    api = f"http://127.0.0.1:{dashboards.served[storage].port}/api/studies"
    studies = json.loads(_get(api))["study_summaries"]
    search = next(study for study in studies if study["study_name"] == "legacy_search")
    status = _request(f"{api}/{search['study_id']}", "DELETE")
    assert status >= 400, f"DELETE answered {status}"
    after = json.loads(_get(api))["study_summaries"]
    assert "legacy_search" in {study["study_name"] for study in after}
    assert digests(dashboards.storages) == dashboards.before


def test_the_dashboard_opens_a_storage_by_the_path_list_prints(dashboards):
    """``kedro studies dashboard data/06_models/topic_tuning.journal`` was refused."""
    served = dashboards.served["legacy.journal"]
    url = f"http://127.0.0.1:{served.port}/dashboard/"
    assert served.line == f"optuna-dashboard on data/06_models/legacy.journal: {url}\n"


def test_a_storage_file_anywhere_is_located_by_its_path(project, storages, tmp_path_factory):
    from arxiv_pipeline.studies import find_storages, locate

    elsewhere = tmp_path_factory.mktemp("elsewhere")
    shutil.copy(storages / "legacy.journal", elsewhere / "other.journal")
    found = find_storages(storages)
    assert locate(found, "data/06_models/legacy.db") == ((storages / "legacy.db").resolve(), None)
    # By its file name alone: the storage of that name among those found.
    assert locate(found, "legacy.db") == (storages / "legacy.db", None)
    other = elsewhere / "other.journal"
    assert locate(found, str(other)) == (other.resolve(), None)
    (elsewhere / "notes.txt").write_text("not a study\n")
    refusal = r"notes\.txt cannot be opened as an Optuna storage: .*not an Optuna storage"
    with pytest.raises(LookupError, match=refusal):
        locate(found, str(elsewhere / "notes.txt"))
