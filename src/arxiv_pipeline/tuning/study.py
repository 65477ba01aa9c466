"""Running an Optuna study to a number of complete trials, resumably, with provenance.

A study may be run by several processes at once: worker processes this run starts
(``n_workers``), other ``kedro run``s on the same machine (journal storage) or on other
machines (PostgreSQL). Optuna's storage hands out the trials; :class:`TrialBudget` only
decides when a worker stops, so that the study ends with exactly ``n_trials`` complete
trials however many workers run it.
"""

from __future__ import annotations

import logging
import os
import socket
import time
import warnings
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from multiprocessing import get_context
from typing import Any

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import FrozenTrial, TrialState

from arxiv_pipeline.datasets.optuna_study_dataset import StudyStore

logger = logging.getLogger(__name__)

#: Seconds between looks at the study while a worker waits for trials other workers run.
POLL_SECONDS = 1.0

#: A worker records itself on its trial within milliseconds of the trial's start; a
#: running trial still without a worker after this long was left by a process that died.
UNRECORDED_GRACE = timedelta(seconds=60)


class ProvenanceMismatchError(ValueError):
    """A study is being resumed on other data than its trials were run on."""


def record_provenance(study: optuna.Study, provenance: dict[str, Any]) -> None:
    """Store provenance on a new study; on a resumed one, refuse other data.

    Trials on different data are not comparable, so resuming with another data
    fingerprint is an error. A new code revision or package versions are allowed but
    recorded under ``resumed_with``, so the study shows what produced each stretch.
    """
    stored = study.user_attrs.get("provenance")
    if stored is None:
        study.set_user_attr("provenance", provenance)
        return
    if stored["data_fingerprint"] != provenance["data_fingerprint"]:
        raise ProvenanceMismatchError(
            f"Study '{study.study_name}' was run on data {stored['data_fingerprint']}, "
            f"now the data is {provenance['data_fingerprint']}. Its trials would not be "
            "comparable: set a new study_name to start another study."
        )
    if stored != provenance:
        history = study.user_attrs.get("resumed_with", [])
        if not history or history[-1] != provenance:
            study.set_user_attr("resumed_with", [*history, provenance])


def count_trials(study: optuna.Study, state: TrialState) -> int:
    return len(study.get_trials(deepcopy=False, states=(state,)))


def _this_worker() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _process_ended(worker: str) -> bool:
    """Whether ``host:pid`` names a process of this host that no longer runs."""
    host, _, pid = worker.rpartition(":")
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:  # another user's process: it runs
        return False
    return False


class TrialBudget:
    """Stops a worker when the study holds ``n_trials`` complete trials, never more.

    Optuna's ``MaxTrialsCallback`` stops a worker once the study holds ``n_trials``
    complete trials, but the trials other workers are running then complete too: four
    workers end up to three trials over. Here a trial goes ahead only while the complete
    trials and the trials running before it (lower numbers: the storage numbers trials
    in the order it creates them) are fewer than ``n_trials``; otherwise it is pruned
    unrun. A worker whose peers' running trials would complete the study waits for them
    rather than stopping, since one of them may still fail.

    A running trial counts only while its worker lives. Optuna's heartbeat fails the
    trials of dead processes on RDB storages (SQLite, PostgreSQL); a journal has no
    heartbeat, so there a trial whose worker (``host:pid``, recorded on the trial) no
    longer runs on this host is failed here.

    Parameters
    ----------
    n_trials
        Complete trials the study should hold.
    heartbeat
        Whether the storage has Optuna's heartbeat (:attr:`StudyStore.has_heartbeat`).
    """

    def __init__(self, n_trials: int, heartbeat: bool) -> None:
        self.n_trials = n_trials
        self.heartbeat = heartbeat

    def counts(self, study: optuna.Study, before: int | None = None) -> tuple[int, int]:
        """Complete trials, and trials running in live workers (numbered below ``before``)."""
        self._fail_orphans(study)
        trials = study.get_trials(deepcopy=False, states=(TrialState.COMPLETE, TrialState.RUNNING))
        if before is not None:
            trials = [trial for trial in trials if trial.number < before]
        complete = sum(trial.state == TrialState.COMPLETE for trial in trials)
        return complete, len(trials) - complete

    def guard(self, objective: Callable[[optuna.Trial], Any]) -> Callable[[optuna.Trial], Any]:
        """``objective``, run only when the study still needs the trial."""

        def guarded(trial: optuna.Trial) -> Any:
            trial.set_user_attr("worker", _this_worker())
            complete, running = self.counts(trial.study, before=trial.number)
            if complete + running >= self.n_trials:
                raise optuna.TrialPruned(
                    f"Not run: {complete} complete and {running} running trials reach "
                    f"n_trials={self.n_trials}."
                )
            return objective(trial)

        return guarded

    def __call__(self, study: optuna.Study, trial: FrozenTrial) -> None:
        """Optuna callback after each trial: stop, go on, or wait for the running trials."""
        waited_since = time.monotonic()
        while True:
            complete, running = self.counts(study)
            if complete >= self.n_trials:
                study.stop()
                return
            if complete + running < self.n_trials:
                return
            if time.monotonic() - waited_since > 60:
                logger.info(
                    "Study '%s': %d complete trials, waiting for %d running in other workers.",
                    study.study_name,
                    complete,
                    running,
                )
                waited_since = time.monotonic()
            time.sleep(POLL_SECONDS)

    def _fail_orphans(self, study: optuna.Study) -> None:
        if self.heartbeat:
            with warnings.catch_warnings():
                # Experimental since Optuna 2.9; Optuna itself calls it before each trial.
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                optuna.storages.fail_stale_trials(study)
            return
        now = datetime.now()
        for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            worker = trial.user_attrs.get("worker")
            unrecorded_too_long = worker is None and now - trial.datetime_start > UNRECORDED_GRACE
            if unrecorded_too_long or (worker is not None and _process_ended(worker)):
                _fail(study, trial)


def _fail(study: optuna.Study, trial: FrozenTrial) -> None:
    try:
        study.tell(trial.number, state=TrialState.FAIL)
    except (ValueError, UpdateFinishedTrialError):
        return  # another worker failed it first
    logger.warning(
        "Study '%s': trial %d was left RUNNING by a process that ended (%s): marked FAIL.",
        study.study_name,
        trial.number,
        trial.user_attrs.get("worker", "unknown worker"),
    )


@dataclass(frozen=True)
class _Work:
    """What a worker needs to run trials of a stored study, sent to worker processes."""

    store: StudyStore
    objective: Callable[[optuna.Trial], Any]
    sampler: optuna.samplers.BaseSampler
    pruner: optuna.pruners.BasePruner
    n_trials: int
    catch: tuple[type[Exception], ...]

    def run(self, study: optuna.Study) -> None:
        """Run trials until the study holds ``n_trials``, or ``2 * n_trials`` attempts here."""
        budget = TrialBudget(self.n_trials, self.store.has_heartbeat)
        complete, _ = budget.counts(study)
        if complete >= self.n_trials:  # a worker that started late: its peers did the work
            return
        if not self.store.is_sqlite:
            # Workers sharing a storage with one seed would draw the same parameters;
            # which worker runs which trial depends on timing anyway.
            study.sampler.reseed_rng()
        study.optimize(
            budget.guard(self.objective),
            n_trials=2 * self.n_trials,
            callbacks=[budget],
            catch=self.catch,
            show_progress_bar=False,
        )


def _run_worker(work: _Work) -> None:
    """Entry point of a worker process: open the study from its storage and run trials."""
    work.run(work.store.load(sampler=work.sampler, pruner=work.pruner))


def _run_workers(work: _Work, n_workers: int) -> None:
    # "spawn": a forked worker would inherit the parent's storage connections and threads.
    with ProcessPoolExecutor(n_workers, mp_context=get_context("spawn")) as pool:
        for future in [pool.submit(_run_worker, work) for _ in range(n_workers)]:
            future.result()


def run_study(
    store: StudyStore,
    objective: Callable[[optuna.Trial], Any],
    directions: list[str],
    sampler: optuna.samplers.BaseSampler,
    pruner: optuna.pruners.BasePruner,
    n_trials: int,
    provenance: dict[str, Any],
    catch: tuple[type[Exception], ...],
    n_workers: int = 1,
) -> optuna.Study:
    """Run ``objective`` in the stored study until it holds ``n_trials`` complete trials.

    Trials already in the study count, so a rerun (or a run killed midway and started
    again) continues where the study is. Several processes may run this on one storage
    at once: each stops when the study as a whole holds ``n_trials`` complete trials.
    Trials that raise one of ``catch`` are recorded FAIL and the study goes on, up to
    ``2 * n_trials`` attempts per worker.

    Parameters
    ----------
    n_workers
        Worker processes to start on the study (``objective``, ``sampler`` and
        ``pruner`` are pickled to them); 1 runs the trials in this process. Several
        need a storage that processes can share: a journal file or a database server.

    Raises
    ------
    ValueError
        If ``n_workers`` is below 1, or above 1 on an SQLite storage.
    """
    if n_workers < 1:
        raise ValueError(f"n_workers must be at least 1, got {n_workers}.")
    if n_workers > 1 and store.is_sqlite:
        raise ValueError(
            f"n_workers={n_workers} needs a storage that several processes can share, and "
            f"SQLite is for one: set the storage to journal (one machine) or postgresql "
            "(several machines)."
        )
    study = store.create_or_resume(directions, sampler=sampler, pruner=pruner)
    record_provenance(study, provenance)
    complete = count_trials(study, TrialState.COMPLETE)
    if complete >= n_trials:
        logger.info("Study '%s' already has %d complete trials.", study.study_name, complete)
        return study
    logger.info(
        "Study '%s' in '%s': %d of %d trials complete, running the rest in %d worker(s).",
        study.study_name,
        store.redacted,
        complete,
        n_trials,
        n_workers,
    )
    work = _Work(store, objective, sampler, pruner, n_trials, catch)
    if n_workers == 1:
        work.run(study)
    else:
        _run_workers(work, n_workers)
    return study
