"""Running an Optuna study to a number of complete trials, resumably, with provenance."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import optuna
from optuna.study import MaxTrialsCallback
from optuna.trial import TrialState

from arxiv_pipeline.datasets.optuna_study_dataset import StudyStore

logger = logging.getLogger(__name__)


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


def run_study(
    store: StudyStore,
    objective: Callable[[optuna.Trial], Any],
    directions: list[str],
    sampler: optuna.samplers.BaseSampler,
    pruner: optuna.pruners.BasePruner,
    n_trials: int,
    provenance: dict[str, Any],
    catch: tuple[type[Exception], ...],
) -> optuna.Study:
    """Run ``objective`` in the stored study until it holds ``n_trials`` complete trials.

    Trials already in the study count, so a rerun (or a run killed midway and started
    again) continues where the study is. Several processes may run this on one storage
    at once: each stops when the study as a whole reaches ``n_trials``. Trials that raise
    one of ``catch`` are recorded FAIL and the study goes on, up to ``n_trials`` failures
    in this process.
    """
    study = store.create_or_resume(directions, sampler=sampler, pruner=pruner)
    record_provenance(study, provenance)
    remaining = n_trials - count_trials(study, TrialState.COMPLETE)
    if remaining <= 0:
        logger.info("Study '%s' already has %d complete trials.", study.study_name, n_trials)
        return study
    logger.info(
        "Study '%s' in '%s': running up to %d trials.", study.study_name, store.storage, remaining
    )
    study.optimize(
        objective,
        n_trials=remaining + n_trials,
        callbacks=[MaxTrialsCallback(n_trials, states=(TrialState.COMPLETE,))],
        catch=catch,
        show_progress_bar=False,
    )
    return study
