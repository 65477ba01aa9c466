"""Typed Optuna search spaces declared in parameters yml, validated before a study starts.

A search space is a mapping from parameter name to a distribution spec::

    hdbscan.min_cluster_size: {type: int, low: 10, high: 200, log: true}
    umap.min_dist: {type: float, low: 0.0, high: 0.5}
    hdbscan.cluster_selection_method: {type: categorical, choices: [eom, leaf]}

Each study declares the parameters it understands as :class:`ParameterRule` objects
(type and allowed range); :func:`parse_search_space` turns the yml into Optuna
distributions and reports every unknown name, wrong type or out-of-range bound at
once, naming the parameter. Floats stay floats (design.md §2.3).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import optuna
from optuna.distributions import (
    BaseDistribution,
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

_SPEC_KEYS = {
    "int": {"type", "low", "high", "step", "log"},
    "float": {"type", "low", "high", "step", "log"},
    "categorical": {"type", "choices"},
}


@dataclass(frozen=True)
class ParameterRule:
    """What a study accepts for one parameter.

    Attributes
    ----------
    kind
        ``"int"``, ``"float"`` or ``"categorical"``: the distribution type the study
        needs. An ``int`` or ``float`` parameter may also be given as a categorical of
        numbers of that type.
    low, high
        Inclusive bounds on numeric values (``None``: unbounded).
    choices
        Allowed values of a categorical parameter (``None``: any).
    """

    kind: str
    low: float | None = None
    high: float | None = None
    choices: tuple[Any, ...] | None = None

    def problems(self, values: list[Any]) -> list[str]:
        """Why these values (bounds or choices of a spec) are not allowed."""
        found = []
        for value in values:
            if self.choices is not None and value not in self.choices:
                found.append(f"{value!r} is not one of {list(self.choices)}")
            elif self.kind in ("int", "float") and not _is_number(value, self.kind):
                found.append(f"{value!r} is not {'an int' if self.kind == 'int' else 'a number'}")
            elif self.low is not None and value < self.low:
                found.append(f"{value!r} is below the minimum {self.low}")
            elif self.high is not None and value > self.high:
                found.append(f"{value!r} is above the maximum {self.high}")
        return found


def _is_number(value: Any, kind: str) -> bool:
    if isinstance(value, bool):
        return False
    return isinstance(value, int) if kind == "int" else isinstance(value, (int, float))


def parse_search_space(
    spec: Mapping[str, Mapping[str, Any]], rules: Mapping[str, ParameterRule], where: str
) -> dict[str, BaseDistribution]:
    """Optuna distributions from a yml search space, checked against the study's rules.

    Parameters
    ----------
    spec
        Parameter name to ``{type: int|float|categorical, ...}``.
    rules
        The parameters the study understands.
    where
        Where the spec lives (e.g. ``"topic_tuning.search_space"``), for messages.

    Raises
    ------
    ValueError
        Listing every problem found, each naming ``where.<parameter>``.
    """
    distributions: dict[str, BaseDistribution] = {}
    errors: list[str] = []
    for name, entry in spec.items():
        if name not in rules:
            errors.append(f"{where}.{name}: unknown parameter; known: {sorted(rules)}")
            continue
        try:
            distributions[name] = _distribution(dict(entry), rules[name])
        except ValueError as error:
            errors.append(f"{where}.{name}: {error}")
    if errors:
        raise ValueError("Invalid search space:\n  " + "\n  ".join(errors))
    return distributions


def _distribution(entry: dict[str, Any], rule: ParameterRule) -> BaseDistribution:
    kind = entry.get("type")
    if kind not in _SPEC_KEYS:
        raise ValueError(f"type must be one of {sorted(_SPEC_KEYS)}, got {kind!r}")
    unknown = set(entry) - _SPEC_KEYS[kind]
    if unknown:
        raise ValueError(f"unknown keys {sorted(unknown)} for type {kind}")
    if kind == "categorical":
        choices = list(entry.get("choices") or [])
        if not choices:
            raise ValueError("categorical needs a non-empty 'choices' list")
        problems = rule.problems(choices)
        if problems:
            raise ValueError("; ".join(problems))
        return CategoricalDistribution(choices)
    if kind != rule.kind:
        raise ValueError(f"type must be {rule.kind}, got {kind}")
    if "low" not in entry or "high" not in entry:
        raise ValueError(f"{kind} needs 'low' and 'high'")
    problems = rule.problems([entry["low"], entry["high"]])
    if problems:
        raise ValueError("; ".join(problems))
    if kind == "int":
        if not all(_is_number(entry[key], "int") for key in ("low", "high")):
            raise ValueError("int bounds must be whole numbers")
        return IntDistribution(
            entry["low"], entry["high"], log=entry.get("log", False), step=entry.get("step", 1)
        )
    return FloatDistribution(
        float(entry["low"]), float(entry["high"]), log=entry.get("log", False), step=entry.get("step")
    )


def suggest(trial: optuna.Trial, space: Mapping[str, BaseDistribution]) -> dict[str, Any]:
    """Ask the trial for a value of every parameter of the space, in declaration order."""
    params: dict[str, Any] = {}
    for name, distribution in space.items():
        if isinstance(distribution, IntDistribution):
            params[name] = trial.suggest_int(
                name, distribution.low, distribution.high, step=distribution.step, log=distribution.log
            )
        elif isinstance(distribution, FloatDistribution):
            params[name] = trial.suggest_float(
                name, distribution.low, distribution.high, step=distribution.step, log=distribution.log
            )
        else:
            params[name] = trial.suggest_categorical(name, distribution.choices)
    return params
