"""Which trial of the topic study the final model is built from."""

from __future__ import annotations

from collections.abc import Mapping

import optuna

from arxiv_pipeline.topics.objective import constraint_violations


def chosen_trial(
    study: optuna.Study, final_trial: int | str, constraints: Mapping[str, float | None]
) -> optuna.trial.FrozenTrial:
    """The trial whose parameters the final model uses.

    ``"best"`` is the best trial within ``constraints`` (the current
    ``topic_tuning.constraints``, applied to every trial's recorded metrics, so trials
    run under other limits are judged alike), or in a multi-objective study the feasible
    Pareto-optimal trial with the highest coherence; a number picks that trial (e.g.
    another Pareto trial).
    """
    if final_trial != "best":
        trial = study.trials[int(final_trial)]
        if trial.state != optuna.trial.TrialState.COMPLETE:
            raise ValueError(f"topic_tuning.final_trial {final_trial} is {trial.state.name}, not COMPLETE.")
        return trial
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    feasible = [
        trial
        for trial in complete
        if all(value <= 0 for value in constraint_violations(trial.user_attrs, constraints))
    ]
    if not feasible:
        raise ValueError(
            f"Study '{study.study_name}' has no complete trial within its constraints "
            f"({len(complete)} complete): run more trials or relax topic_tuning.constraints."
        )
    if len(study.directions) == 1:
        return max(feasible, key=lambda trial: trial.value)
    pareto = {trial.number for trial in study.best_trials}
    candidates = [trial for trial in feasible if trial.number in pareto] or feasible
    return max(candidates, key=lambda trial: trial.values[0])


def leading_trials(
    study: optuna.Study, constraints: Mapping[str, float | None], n: int
) -> list[optuna.trial.FrozenTrial]:
    """The ``n`` best complete trials within ``constraints`` of a single-objective study,
    best first, one per distinct set of parameters (a trial repeating another's draws adds
    nothing to compare).
    """
    complete = study.get_trials(deepcopy=False, states=(optuna.trial.TrialState.COMPLETE,))
    feasible = sorted(
        (
            trial
            for trial in complete
            if all(value <= 0 for value in constraint_violations(trial.user_attrs, constraints))
        ),
        key=lambda trial: trial.value,
        reverse=True,
    )
    leading, seen = [], set()
    for trial in feasible:
        drawn = tuple(sorted(trial.params.items()))
        if drawn not in seen:
            seen.add(drawn)
            leading.append(trial)
    return leading[:n]
