"""The tuning kit on real Optuna storages: resumed draws, one SQLite run at a time, orphans, secrets."""

from __future__ import annotations

import fcntl
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import optuna
import pandas as pd
import pytest
from optuna.trial import TrialState

from arxiv_pipeline.corpus.splitting import splits_fingerprint
from arxiv_pipeline.datasets.optuna_study_dataset import OptunaStudyDataset
from arxiv_pipeline.tuning.components import sampler_factory
from arxiv_pipeline.tuning.store import StorageInUseError, StudyStore, hide_password
from arxiv_pipeline.tuning.study import ProvenanceMismatchError, check_data, check_splits, run_study


def _objective(trial: optuna.Trial) -> float:
    return trial.suggest_float("x", 0.0, 1.0) + trial.suggest_int("n", 0, 1000)


def _run(store: StudyStore, n_trials: int, seed: int = 42, fingerprint: str = "data-a") -> optuna.Study:
    return run_study(
        store,
        _objective,
        directions=["minimize"],
        sampler=sampler_factory({"type": "tpe"}, "test.sampler", {}),
        seed=seed,
        pruner=optuna.pruners.NopPruner(),
        n_trials=n_trials,
        provenance={"data_fingerprint": fingerprint},
    )


def _params(study: optuna.Study) -> list[dict]:
    return [trial.params for trial in study.trials]


def test_a_resumed_sqlite_study_draws_new_parameters_reproducibly(tmp_path):
    first = StudyStore(f"sqlite:///{tmp_path / 'a.db'}", "s")
    _run(first, 2)
    resumed = _params(_run(first, 4))
    # TPE restarted from seed 42 drew trials 2 and 3 as copies of 0 and 1 (its first
    # trials are random draws from the same RNG state).
    assert resumed[2] not in resumed[:2] and resumed[3] not in resumed[:2]
    # The same seed on the same history gives the same trials.
    second = StudyStore(f"sqlite:///{tmp_path / 'b.db'}", "s")
    _run(second, 2)
    assert _params(_run(second, 4)) == resumed


@contextmanager
def _held_elsewhere(database: Path) -> Iterator[None]:
    """The storage's lock, held by another process as a running ``kedro run`` holds it."""
    code = (
        "import fcntl, sys, time\n"
        f"lock = open({str(database) + '.lock'!r}, 'a')\n"
        "fcntl.flock(lock, fcntl.LOCK_EX)\n"
        "print('held', flush=True)\n"
        "time.sleep(120)\n"
    )
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "held"
        yield
    finally:
        holder.kill()
        holder.wait(timeout=30)


def test_a_second_run_on_one_sqlite_storage_is_refused_pointing_to_journal(tmp_path):
    database = tmp_path / "fresh.db"
    store = StudyStore(f"sqlite:///{database}", "s")
    with _held_elsewhere(database), pytest.raises(StorageInUseError, match="storage to journal"):
        _run(store, 1)
    assert not store.exists()  # refused before touching the storage
    assert [trial.state for trial in _run(store, 1).trials] == [TrialState.COMPLETE]
    # The lock went with the run: it is free again.
    with open(f"{database}.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)


class _Timeout(Exception):
    pass


@contextmanager
def _at_most(seconds: int) -> Iterator[None]:
    """Fail instead of hanging: SIGALRM interrupts the wait inside the study."""

    def expire(signum, frame):
        raise _Timeout(f"still waiting after {seconds} s")

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def test_a_trial_killed_before_its_first_heartbeat_is_failed_and_the_study_ends(tmp_path):
    store = StudyStore(f"sqlite:///{tmp_path / 'study.db'}", "s", heartbeat_interval=1)
    study = store.create_or_resume(["minimize"])
    study.enqueue_trial({"x": 0.5, "n": 1})
    study.optimize(_objective, n_trials=1)
    # What a SIGKILL right after Optuna created the trial leaves: RUNNING, no heartbeat row,
    # no worker recorded. 1 complete + 1 "running" = n_trials: nothing else would end it.
    orphan = study.ask()
    study.set_user_attr("provenance", {"data_fingerprint": "data-a"})
    started = time.monotonic()
    with _at_most(60):
        resumed = _run(store, 2)
    assert time.monotonic() - started < 30
    assert resumed.trials[orphan.number].state == TrialState.FAIL
    assert len(resumed.get_trials(states=(TrialState.COMPLETE,))) == 2
    assert not resumed.get_trials(states=(TrialState.RUNNING,))


def test_other_data_is_refused_before_any_work_naming_the_one_command_fix(tmp_path):
    store = StudyStore(f"sqlite:///{tmp_path / 'study.db'}", "topic_tuning")
    _run(store, 1, fingerprint="size_fraction=1.0;demo")
    check_data(store, "size_fraction=1.0;demo", "topic_tuning")  # same data: fine
    with pytest.raises(ProvenanceMismatchError) as error:
        check_data(store, "size_fraction=1.0;real", "topic_tuning")
    message = str(error.value)
    assert "kedro run --params topic_tuning.study_name=topic_tuning-" in message
    # Following the advice keeps the old study and starts a new one beside it.
    name = message.rsplit("topic_tuning.study_name=", 1)[1].split()[0]
    new = store.named(name)
    check_data(new, "size_fraction=1.0;real", "topic_tuning")
    _run(new, 1, fingerprint="size_fraction=1.0;real")
    assert sorted(optuna.get_all_study_names(store.open_storage())) == sorted(["topic_tuning", name])
    # The dataset accepts a study the node named, in one of its storages.
    OptunaStudyDataset(store.storage, "topic_tuning").save(optuna.load_study(study_name=name, storage=store.storage))


SPLITS = pd.DataFrame(
    {"id": ["a", "b", "c"], "split": ["train", "validation", "test"], "size_fraction": 1.0}
)


def test_other_splits_are_refused_and_studies_without_a_splits_fingerprint_pass(tmp_path):
    store = StudyStore(f"sqlite:///{tmp_path / 'study.db'}", "classifier_tuning")
    check_splits(store, SPLITS, "classifier_tuning")  # no study yet: fine
    other = SPLITS.assign(split=["train", "train", "test"])
    # A study recorded before provenance held the splits: check_data decides, later.
    _run(store, 1)
    check_splits(store, other, "classifier_tuning")
    store.load().set_user_attr(
        "provenance", {"data_fingerprint": "data-a", "splits_fingerprint": splits_fingerprint(SPLITS)}
    )
    check_splits(store, SPLITS.copy(), "classifier_tuning")  # the same splits: fine
    with pytest.raises(ProvenanceMismatchError, match="was run on splits") as error:
        check_splits(store, other, "classifier_tuning")
    assert "kedro run --params classifier_tuning.study_name=classifier_tuning-" in str(error.value)


@pytest.mark.parametrize(
    ("url", "hidden"),
    [
        ("postgresql+psycopg://db/optuna?password=s3cret&sslmode=require", "password=***&sslmode=require"),
        ("postgresql://user:s3cret@db:5432/optuna", "postgresql://user:***@db:5432/optuna"),
        ("postgresql://user:s3cret@db/optuna?api_token=s3cret", "user:***@db/optuna?api_token=***"),
        ("mysql://user@db/optuna?passwd=s3cret", "passwd=***"),
    ],
)
def test_passwords_are_hidden_in_the_user_part_and_the_query_string(url, hidden):
    assert "s3cret" not in hide_password(url) and hidden in hide_password(url)
    assert "s3cret" not in str(OptunaStudyDataset(url, "s")._describe())


def test_run_study_logs_its_storage_without_the_password(tmp_path, caplog):
    store = StudyStore(f"sqlite:///{tmp_path / 'study.db'}", "s")
    with caplog.at_level("INFO", logger="arxiv_pipeline.tuning.study"):
        _run(store, 1)
    assert f"in 'sqlite:///{tmp_path / 'study.db'}'" in caplog.text and "sampler seed 42" in caplog.text
