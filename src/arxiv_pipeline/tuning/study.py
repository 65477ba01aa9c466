"""Running an Optuna study to a number of complete trials, resumably, with provenance.

A study may be run by several processes at once: worker processes this run starts
(``n_workers``), other ``kedro run``s on the same machine (journal storage) or on other
machines (PostgreSQL). Optuna's storage hands out the trials;
:class:`~arxiv_pipeline.tuning.budget.TrialBudget` only decides when a worker stops, so
that the study ends with exactly ``n_trials`` complete trials however many workers run it.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from multiprocessing import get_all_start_methods, get_context
from multiprocessing.context import BaseContext
from typing import Any

import numpy as np
import optuna
import pandas as pd
from optuna.trial import TrialState

from arxiv_pipeline.corpus.splitting import splits_fingerprint
from arxiv_pipeline.tuning.store import StudyStore

from .budget import TrialBudget, count_trials
from .components import TRIAL_ERRORS

logger = logging.getLogger(__name__)


class ProvenanceMismatchError(ValueError):
    """A study is being resumed on other data than its trials were run on."""


def _mismatch(
    study_name: str, where: str, stored: str, now: str, key: str | None, what: str = "data"
) -> str:
    short = hashlib.blake2b(now.encode(), digest_size=4).hexdigest()
    setting = f"{key}.study_name" if key else "the study_name parameter"
    return (
        f"Study '{study_name}' in '{where}' was run on {what} {stored}, not on the current "
        f"{what} {now}: trials on other data would not be comparable. To start a study on "
        f"this data and keep that one, name it with {setting}, e.g. "
        f"kedro run --params {key or '<study>'}.study_name={study_name}-{short}"
    )


def _check_recorded(store: StudyStore, entry: str, now: str, key: str, what: str) -> None:
    if not store.exists():
        return
    stored = store.load().user_attrs.get("provenance", {}).get(entry)
    # A study recorded before its provenance held ``entry`` is checked by what it holds.
    if stored is not None and stored != now:
        message = _mismatch(store.study_name, store.redacted, stored, now, key, what)
        raise ProvenanceMismatchError(message)


def check_splits(store: StudyStore, paper_splits: pd.DataFrame, key: str) -> None:
    """Refuse, right after ingestion, to resume a stored study on other papers or splits.

    Compares :func:`~arxiv_pipeline.corpus.splitting.splits_fingerprint` with the one
    the study's provenance records, so that a run on another snapshot stops before any
    embedding is computed. A study recorded before provenance held it passes here, and
    :func:`check_data` refuses it later if its data differs.

    Parameters
    ----------
    key
        The study's parameters (``topic_tuning``), for the message: it says how to name a
        new study for this data.

    Raises
    ------
    ProvenanceMismatchError
        If the stored study was run on other splits.
    """
    _check_recorded(store, "splits_fingerprint", splits_fingerprint(paper_splits), key, "splits")


def check_data(store: StudyStore, data_fingerprint: str, key: str) -> None:
    """Refuse, before any work, to resume a stored study on other data than its trials'.

    It sees what :func:`check_splits` cannot: the texts (the template may change while
    the splits do not), the subset (``size_fraction``) and the labels, known once the
    texts are embedded.

    Parameters
    ----------
    key
        The study's parameters (``topic_tuning``), for the message: it says how to name a
        new study for this data.

    Raises
    ------
    ProvenanceMismatchError
        If the stored study's provenance names another data fingerprint.
    """
    _check_recorded(store, "data_fingerprint", data_fingerprint, key, "data")


def record_provenance(study: optuna.Study, provenance: dict[str, Any], where: str = "its storage") -> None:
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
            _mismatch(study.study_name, where, stored["data_fingerprint"], provenance["data_fingerprint"], None)
        )
    if stored != provenance:
        history = study.user_attrs.get("resumed_with", [])
        if not history or history[-1] != provenance:
            study.set_user_attr("resumed_with", [*history, provenance])


def resumed_seed(seed: int, n_trials_so_far: int) -> int:
    """The sampler's seed for a run that finds ``n_trials_so_far`` trials in the study.

    A fresh study uses ``seed`` itself. A resumed one gets a seed derived from both, so
    its trials are new draws (a sampler restarted from ``seed`` would repeat the first
    trials' parameters) and the same seed on the same history still gives the same trials.
    """
    if n_trials_so_far == 0:
        return seed
    return int(np.random.SeedSequence([seed, n_trials_so_far]).generate_state(1)[0])


@dataclass(frozen=True)
class _Work:
    """What a worker needs to run trials of a stored study, sent to worker processes."""

    store: StudyStore
    objective: Callable[[optuna.Trial], Any]
    sampler: Callable[[int], optuna.samplers.BaseSampler]
    seed: int
    pruner: optuna.pruners.BasePruner
    n_trials: int
    catch: tuple[type[Exception], ...]

    def run(self, study: optuna.Study) -> None:
        """Run trials until the study holds ``n_trials``, or ``2 * n_trials`` attempts here."""
        heartbeat = self.store.heartbeat_interval if self.store.has_heartbeat else None
        budget = TrialBudget(self.n_trials, heartbeat)
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
    work.run(work.store.load(sampler=work.sampler(work.seed), pruner=work.pruner))


def _worker_context(objective: Callable[[optuna.Trial], Any]) -> BaseContext:
    """How worker processes start: from a fresh interpreter, never a fork of this process.

    A worker forked from this process would inherit its storage connections and threads.
    Where the platform has one, a fork server (a fresh interpreter, started once per
    process) imports the objective's module and its ``worker_modules`` (BERTopic, torch:
    seconds each) once, and each worker is forked from it; elsewhere each worker is spawned
    and imports them itself.
    """
    if "forkserver" not in get_all_start_methods():
        return get_context("spawn")
    context = get_context("forkserver")
    # Effective when the server starts (the first run with workers in this process).
    modules = [type(objective).__module__, *getattr(objective, "worker_modules", ())]
    context.set_forkserver_preload(modules)
    return context


def _run_workers(work: _Work, n_workers: int) -> None:
    with ProcessPoolExecutor(n_workers, mp_context=_worker_context(work.objective)) as pool:
        for future in [pool.submit(_run_worker, work) for _ in range(n_workers)]:
            future.result()


def run_study(
    store: StudyStore,
    objective: Callable[[optuna.Trial], Any],
    directions: list[str],
    sampler: Callable[[int], optuna.samplers.BaseSampler],
    seed: int,
    pruner: optuna.pruners.BasePruner,
    n_trials: int,
    provenance: dict[str, Any],
    catch: tuple[type[Exception], ...] = TRIAL_ERRORS,
    n_workers: int = 1,
) -> optuna.Study:
    """Run ``objective`` in the stored study until it holds ``n_trials`` complete trials.

    Trials already in the study count, so a rerun (or a run killed midway and started
    again) continues where the study is, with new draws (:func:`resumed_seed`). Several
    processes may run this on one journal or PostgreSQL storage at once: each stops when
    the study as a whole holds ``n_trials`` complete trials; an SQLite storage is held
    by one run at a time. Trials that raise one of ``catch`` are recorded FAIL and the
    study goes on, up to ``2 * n_trials`` attempts per worker.

    Parameters
    ----------
    sampler
        ``seed -> sampler`` (see :func:`~arxiv_pipeline.tuning.components.sampler_factory`).
    seed
        The configured seed.
    n_workers
        Worker processes to start on the study (``objective``, ``sampler`` and
        ``pruner`` are pickled to them); 1 runs the trials in this process. Several
        need a storage that processes can share: a journal file or a database server.

    Raises
    ------
    ValueError
        If ``n_workers`` is below 1, or above 1 on an SQLite storage.
    StorageInUseError
        If another process runs trials on the same SQLite storage.
    """
    if n_workers < 1:
        raise ValueError(f"n_workers must be at least 1, got {n_workers}.")
    if n_workers > 1 and store.is_sqlite:
        raise ValueError(
            f"n_workers={n_workers} needs a storage that several processes can share, and "
            f"SQLite is for one: set the storage to journal (one machine) or postgresql "
            "(several machines)."
        )
    with store.exclusive():
        study = store.create_or_resume(directions, pruner=pruner)
        record_provenance(study, provenance, store.redacted)
        complete = count_trials(study, TrialState.COMPLETE)
        if complete >= n_trials:
            logger.info("Study '%s' already has %d complete trials.", study.study_name, complete)
            return study
        work = _Work(store, objective, sampler, resumed_seed(seed, len(study.trials)), pruner, n_trials, catch)
        study.sampler = sampler(work.seed)
        logger.info(
            "Study '%s' in '%s': %d of %d trials complete, running the rest in %d worker(s), "
            "sampler seed %d.",
            study.study_name,
            store.redacted,
            complete,
            n_trials,
            n_workers,
            work.seed,
        )
        if n_workers == 1:
            work.run(study)
        else:
            _run_workers(work, n_workers)
    return study
