"""When a worker stops: exactly ``n_trials`` complete trials, and no trial left RUNNING forever."""

from __future__ import annotations

import logging
import os
import socket
import time
import warnings
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import optuna
from optuna.exceptions import UpdateFinishedTrialError
from optuna.trial import FrozenTrial, TrialState

logger = logging.getLogger(__name__)

#: Seconds between looks at the study while a worker waits for trials other workers run.
POLL_SECONDS = 1.0

#: A worker records itself on its trial within milliseconds of the trial's start; on a
#: storage without heartbeats, a running trial still without a worker after this long was
#: left by a process that died.
UNRECORDED_GRACE = timedelta(seconds=60)


def count_trials(study: optuna.Study, state: TrialState) -> int:
    return len(study.get_trials(deepcopy=False, states=(state,)))


def this_worker() -> str:
    """``host:pid`` of this process, as trials record the worker that runs them."""
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

    A running trial counts only while its worker lives, so that no wait lasts forever:

    - Optuna's heartbeat fails the trials of dead processes on RDB storages (SQLite,
      PostgreSQL), once they miss their heartbeats;
    - a trial whose worker (``host:pid``, recorded on the trial) no longer runs on this
      host is failed at once, on any storage;
    - a trial that has no worker ``grace`` after its start was left by a process killed
      between creating it and recording itself (before its first heartbeat, which no
      heartbeat check can see): it is failed too.

    Parameters
    ----------
    n_trials
        Complete trials the study should hold.
    heartbeat_interval
        Seconds between heartbeats where the storage has them (None: it has not). The
        grace of a trial without a worker is two intervals, or :data:`UNRECORDED_GRACE`.
    """

    def __init__(self, n_trials: int, heartbeat_interval: int | None) -> None:
        self.n_trials = n_trials
        self.heartbeat = bool(heartbeat_interval)
        self.grace = timedelta(seconds=2 * heartbeat_interval) if heartbeat_interval else UNRECORDED_GRACE

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
            trial.set_user_attr("worker", this_worker())
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
        now = datetime.now()
        for trial in study.get_trials(deepcopy=False, states=(TrialState.RUNNING,)):
            worker = trial.user_attrs.get("worker")
            unrecorded_too_long = worker is None and now - trial.datetime_start > self.grace
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
        trial.user_attrs.get("worker", "no worker recorded"),
    )
