"""Tuning that scales out and survives being killed: real topic_tuning runs on Optuna storages.

Several worker processes on one journal-backed study, two on a real PostgreSQL server,
and a run killed with SIGKILL mid-study then started again. Trials are fast (TF-IDF +
SVD embeddings, PCA) so each test takes seconds beyond its processes' start. Every run
goes as far as the study (``topic_study``): what is tested here is the study; the final
model fitted from it is tested in tests/pipelines/topic_tuning.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import optuna
import pytest
import yaml
from optuna.trial import TrialState

from arxiv_pipeline.tuning.store import StudyStore
from arxiv_pipeline.tuning.study import run_study
from tests.conftest import run_pipelines
from tests.workflows import (
    FAST_SPACE,
    UNCONSTRAINED,
    configure_topic_tuning,
    embedded_copy,
)


@pytest.fixture
def fast_project(project: Path, arxiv_sample: Path) -> Path:
    """The project with ingested papers and fast embeddings, its study on FAST_SPACE."""
    embedded_copy(project, arxiv_sample)
    configure_topic_tuning(project, search_space=FAST_SPACE, constraints=UNCONSTRAINED)
    return project


def states(study: optuna.Study) -> dict[TrialState, int]:
    return {state: len(study.get_trials(states=(state,))) for state in TrialState}


def test_four_workers_on_one_journal_study_run_exactly_n_trials(fast_project):
    configure_topic_tuning(fast_project, storage="journal", n_workers=4, n_trials=8)
    run_pipelines(fast_project, ["topic_tuning"], to_outputs=["topic_study"])

    journal = optuna.storages.JournalStorage(
        optuna.storages.journal.JournalFileBackend(
            str(fast_project / "data/06_models/topic_tuning.journal")
        )
    )
    study = optuna.load_study(study_name="topic_tuning", storage=journal)
    counts = states(study)
    assert counts[TrialState.COMPLETE] == 8
    assert counts[TrialState.FAIL] == counts[TrialState.RUNNING] == 0
    # The trials ran in the worker processes, not in the Kedro run's own.
    workers = {trial.user_attrs["worker"] for trial in study.trials}
    assert workers and f"{socket.gethostname()}:{os.getpid()}" not in workers
    # The SQLite storage was left alone.
    assert not (fast_project / "data/06_models/topic_tuning.db").exists()


def test_several_workers_refuse_sqlite(fast_project):
    configure_topic_tuning(fast_project, n_workers=2)
    with pytest.raises(ValueError, match="SQLite is for one"):
        run_pipelines(fast_project, ["topic_tuning"], to_outputs=["topic_study"])


# -- The trial budget, on a journal (no heartbeat) ---------------------------------------


def _quick_study(store: StudyStore, n_trials: int) -> optuna.Study:
    return run_study(
        store,
        lambda trial: trial.suggest_float("x", 0.0, 1.0),
        directions=["minimize"],
        sampler=lambda seed: optuna.samplers.RandomSampler(seed=seed),
        seed=0,
        pruner=optuna.pruners.NopPruner(),
        n_trials=n_trials,
        provenance={"data_fingerprint": "test"},
        catch=(),
    )


def test_a_trial_whose_process_ended_is_failed_on_a_journal(tmp_path):
    store = StudyStore(str(tmp_path / "study.journal"), "quick")
    orphan = store.create_or_resume(["minimize"]).ask()
    ended = subprocess.Popen(["true"])
    ended.wait()
    orphan.set_user_attr("worker", f"{socket.gethostname()}:{ended.pid}")

    study = _quick_study(store, n_trials=3)
    assert study.trials[orphan.number].state == TrialState.FAIL
    assert states(study)[TrialState.COMPLETE] == 3


def test_a_worker_waits_for_trials_running_elsewhere_instead_of_overshooting(tmp_path):
    store = StudyStore(str(tmp_path / "study.journal"), "quick")
    elsewhere = store.create_or_resume(["minimize"])
    running = elsewhere.ask()
    running.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")  # a live process
    threading.Timer(2.0, lambda: elsewhere.tell(running, 0.5)).start()

    study = _quick_study(store, n_trials=2)
    # One trial of its own, then it waited for the other instead of running a third.
    assert states(study)[TrialState.COMPLETE] == 2 and len(study.trials) == 2


# -- PostgreSQL ---------------------------------------------------------------------------

POSTGRES_PASSWORD = "s3cret-in-credentials"


def _postgres_bin() -> Path | None:
    candidates = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    return candidates[-1].parent if candidates else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A throwaway PostgreSQL server on a free local port (Debian's package), as its URL.

    initdb refuses root, so as root (CI) the server runs as the ``postgres`` user the
    package creates. Skipped, saying why, where it cannot start.
    """
    binaries = _postgres_bin()
    if binaries is None:
        pytest.skip("PostgreSQL server not installed (apt-get install postgresql)")
    as_user: list[str] = []
    if os.geteuid() == 0:
        if shutil.which("runuser") is None:
            pytest.skip("running as root without runuser: initdb cannot run as root")
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user for the server")
        as_user = ["runuser", "-u", "postgres", "--"]
    folder = Path(tempfile.mkdtemp(prefix="arxiv-pipeline-pg-"))
    if as_user:
        shutil.chown(folder, "postgres")
    password_file = folder / "password"
    password_file.write_text(POSTGRES_PASSWORD)
    if as_user:
        shutil.chown(password_file, "postgres")
    data, port = folder / "data", _free_port()
    setup = [
        [
            str(binaries / "initdb"),
            "-D",
            str(data),
            "-U",
            "optuna",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            f"--pwfile={password_file}",
        ],
        [
            str(binaries / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(folder / "server.log"),
            "-w",
            "-o",
            f"-p {port} -k {folder} -c listen_addresses=127.0.0.1",
            "start",
        ],
    ]
    for command in setup:
        result = subprocess.run(as_user + command, capture_output=True, text=True, timeout=120)
        if result.returncode != 0:
            shutil.rmtree(folder, ignore_errors=True)
            pytest.skip(f"PostgreSQL did not start: {result.stderr.strip()[-300:]}")
    # "+psycopg": the driver this project installs, whatever SQLAlchemy's default.
    yield f"postgresql+psycopg://optuna:{POSTGRES_PASSWORD}@127.0.0.1:{port}/postgres"
    subprocess.run(
        as_user + [str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
        capture_output=True,
        timeout=60,
    )
    shutil.rmtree(folder, ignore_errors=True)


def test_two_workers_on_postgresql_record_every_trial(fast_project, postgres_url, caplog):
    (fast_project / "conf/local/credentials.yml").write_text(
        yaml.safe_dump({"topic_study_db": {"url": postgres_url}})
    )
    configure_topic_tuning(fast_project, storage="postgresql", n_workers=2, n_trials=6)
    with caplog.at_level("INFO"):
        run_pipelines(fast_project, ["topic_tuning"], to_outputs=["topic_study"])

    study = optuna.load_study(study_name="topic_tuning", storage=postgres_url)
    counts = states(study)
    assert counts[TrialState.COMPLETE] == 6
    assert counts[TrialState.FAIL] == counts[TrialState.RUNNING] == 0
    assert study.user_attrs["provenance"]["search_space"] == FAST_SPACE
    assert "127.0.0.1" in caplog.text and POSTGRES_PASSWORD not in caplog.text


# -- Killed and resumed --------------------------------------------------------------------


def _trials(database: Path) -> list[tuple[int, str, float | None]]:
    """(number, state, value) of each trial, read with plain sqlite3: Optuna's schema."""
    query = (
        "SELECT t.number, t.state, v.value FROM trials t "
        "LEFT JOIN trial_values v ON v.trial_id = t.trial_id ORDER BY t.number"
    )
    with closing(sqlite3.connect(database, timeout=30)) as connection:
        return connection.execute(query).fetchall()


def _trials_so_far(database: Path) -> list[tuple[int, str, float | None]]:
    """:func:`_trials` of a storage being created: none until Optuna has made its tables."""
    try:
        return _trials(database) if database.exists() else []
    except sqlite3.OperationalError as error:
        if "no such table" not in str(error):
            raise
        return []


@pytest.fixture
def kedro_runs() -> Iterator[Callable[[Path], subprocess.Popen]]:
    """Starts ``kedro run``s of topic_tuning's study; kills what is left of them at the end.

    A run goes as far as the study (``--to-outputs topic_study``): the final model fitted
    from a resumed study is tested in-process (tests/pipelines/topic_tuning). Each run is
    its own process group, so that a kill reaches every process of the run (its worker
    processes too), and no test leaves one behind, pass or fail.
    """
    started: list[subprocess.Popen] = []

    def start(project: Path) -> subprocess.Popen:
        run = subprocess.Popen(
            [
                sys.executable, "-m", "kedro", "run",
                "--pipelines", "topic_tuning", "--to-outputs", "topic_study",
            ],  # fmt: skip
            cwd=project,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        started.append(run)
        return run

    yield start
    for run in started:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(run.pid, signal.SIGKILL)
        run.wait(timeout=60)


def test_a_run_killed_mid_study_resumes_to_n_trials(fast_project, kedro_runs):
    catalog = fast_project / "conf/base/catalog_topic_tuning.yml"
    entries = yaml.safe_load(catalog.read_text())
    for name in ("topic_study_store", "topic_study"):
        # A dead run's trial is failed 2 heartbeats after its last one.
        entries[name]["heartbeat_interval"] = 1
    catalog.write_text(yaml.safe_dump(entries))
    configure_topic_tuning(fast_project, n_trials=4)
    database = fast_project / "data/06_models/topic_tuning.db"

    run = kedro_runs(fast_project)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and run.poll() is None:
        trials = _trials_so_far(database)
        states_now = [state for _, state, _ in trials]
        if states_now.count("COMPLETE") >= 2 and "RUNNING" in states_now:
            os.killpg(run.pid, signal.SIGKILL)
            break
        time.sleep(0.05)
    run.wait(timeout=60)
    assert run.returncode == -signal.SIGKILL, run.stderr.read().decode()[-2000:]
    killed = _trials(database)
    complete_before = [trial for trial in killed if trial[1] == "COMPLETE"]
    stale = [number for number, state, _ in killed if state == "RUNNING"]
    assert stale and len(complete_before) < 4

    # Started again: the killed run needed a process of its own, this one does not.
    run_pipelines(fast_project, ["topic_tuning"], to_outputs=["topic_study"])
    after = _trials(database)
    by_number = {number: (state, value) for number, state, value in after}
    assert sum(state == "COMPLETE" for state, _ in by_number.values()) == 4
    # The killed run's trial was marked FAIL (by Optuna's heartbeat, or as a trial with no
    # worker when it was killed before its first heartbeat); no complete trial was lost.
    assert all(by_number[number][0] == "FAIL" for number in stale)
    assert all(by_number[number] == (state, value) for number, state, value in complete_before)
    assert "RUNNING" not in {state for state, _ in by_number.values()}
