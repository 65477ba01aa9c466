"""What both studies build the same way: sampler and pruner from parameters, fixed values, trial errors.

A sampler or a pruner is named in parameters yml as kedro-datasets' Optuna
``StudyDataset`` names them, a class of ``optuna.samplers`` / ``optuna.pruners`` and its
keyword arguments::

    sampler: {type: tpe, multivariate: true}      # optuna.samplers.TPESampler
    pruner: {type: median, n_startup_trials: 5}   # optuna.pruners.MedianPruner

``type`` is the class name (``TPESampler``) or its short form: the name without its
``Sampler`` / ``Pruner`` ending, in lower case (``tpe``, ``random``, ``nsgaii``;
``median``, ``hyperband``, ``percentile``, ``successivehalving``); ``none`` is the
``NopPruner``. An option that is itself ``{type: ...}`` is built the same way (e.g. the
``wrapped_pruner`` of a ``patient`` pruner).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from functools import partial
from types import ModuleType
from typing import Any

import optuna
from optuna.distributions import BaseDistribution, CategoricalDistribution

from .search_space import ParameterRule

#: Errors that fail one trial (recorded FAIL with the reason) without stopping the study:
#: the fits raise these for settings they cannot handle: a diverging learning rate
#: (FloatingPointError), a network too large for the device (torch's out-of-memory errors
#: are RuntimeErrors), a clustering with too few topics for the vectorizer (ValueError).
TRIAL_ERRORS = (ValueError, RuntimeError, ArithmeticError)

#: Short names beside the ones derived from class names.
_ALIASES = {"none": "NopPruner"}


def _classes(module: ModuleType, suffix: str) -> dict[str, type]:
    """The classes one may name: by class name and by short name."""
    base = getattr(module, f"Base{suffix}")
    found: dict[str, type] = {}
    for name in module.__all__:
        value = getattr(module, name)
        if not (inspect.isclass(value) and issubclass(value, base)) or name.startswith("Base"):
            continue
        found[name] = value
        found[name.removesuffix(suffix).lower()] = value
    found.update({alias: getattr(module, name) for alias, name in _ALIASES.items() if hasattr(module, name)})
    return found


def _build(module: ModuleType, suffix: str, spec: Mapping[str, Any], where: str, defaults: Mapping[str, Any]) -> Any:
    classes = _classes(module, suffix)
    if not isinstance(spec, Mapping) or spec.get("type") not in classes:
        kind = spec.get("type") if isinstance(spec, Mapping) else spec
        short = sorted(name for name in classes if name[0].islower())
        raise ValueError(f"{where}.type must be one of {short} (or a class name), got {kind!r}.")
    cls = classes[spec["type"]]
    accepted = inspect.signature(cls).parameters
    options = {name: value for name, value in defaults.items() if name in accepted}
    for name, value in spec.items():
        if name == "type":
            continue
        if isinstance(value, Mapping) and "type" in value:
            value = _build(module, suffix, value, f"{where}.{name}", {})
        options[name] = value
    try:
        return cls(**options)
    except (TypeError, ValueError) as error:
        raise ValueError(f"{where}: {cls.__name__}: {error}") from None


def build_pruner(spec: Mapping[str, Any], where: str, **defaults: Any) -> optuna.pruners.BasePruner:
    """The pruner ``spec`` names; ``defaults`` go to the options its class takes (e.g. ``max_resource``).

    Raises
    ------
    ValueError
        For an unknown type or an option the class does not take, naming ``where``.
    """
    return _build(optuna.pruners, "Pruner", spec, where, defaults)


def build_sampler(
    spec: Mapping[str, Any],
    where: str,
    seed: int,
    fixed: Mapping[str, Any] | None = None,
    **defaults: Any,
) -> optuna.samplers.BaseSampler:
    """The sampler ``spec`` names, seeded, holding the ``fixed`` parameters at their values.

    ``defaults`` (e.g. ``constraints_func``) go to the options its class takes; fixed values
    go through Optuna's ``PartialFixedSampler``, so trials record them as parameters.

    Raises
    ------
    ValueError
        For an unknown type or an option the class does not take, naming ``where``.
    """
    sampler = _build(optuna.samplers, "Sampler", spec, where, {"seed": seed, **defaults})
    if fixed:
        return optuna.samplers.PartialFixedSampler(dict(fixed), sampler)
    return sampler


def sampler_factory(
    spec: Mapping[str, Any], where: str, fixed: Mapping[str, Any], **defaults: Any
) -> Callable[[int], optuna.samplers.BaseSampler]:
    """``seed -> sampler`` for :func:`~arxiv_pipeline.tuning.study.run_study` (picklable for workers)."""
    return partial(build_sampler, dict(spec), where, fixed=dict(fixed), **defaults)


def with_fixed(
    space: Mapping[str, BaseDistribution],
    fixed: Mapping[str, Any],
    rules: Mapping[str, ParameterRule],
    where: str,
) -> dict[str, BaseDistribution]:
    """The search space every trial suggests from: ``space`` and each fixed parameter.

    A fixed parameter the space leaves out gets a one-value distribution, so that every
    trial records it. Values are checked against the study's rules and against the space.

    Raises
    ------
    ValueError
        Listing every unknown name or disallowed value, each as ``where.<name>``.
    """
    errors = []
    full = dict(space)
    for name, value in fixed.items():
        if name not in rules:
            errors.append(f"{where}.{name}: unknown parameter; known: {sorted(rules)}")
            continue
        problems = rules[name].problems([value])
        declared = space.get(name)
        if declared is not None and not problems and not _contains(declared, value):
            problems = [f"{value!r} is outside the search space's {declared}"]
        if problems:
            errors.append(f"{where}.{name}: " + "; ".join(problems))
        full.setdefault(name, CategoricalDistribution([value]))
    if errors:
        raise ValueError("Invalid fixed parameters:\n  " + "\n  ".join(errors))
    return full


def _contains(distribution: BaseDistribution, value: Any) -> bool:
    try:
        return distribution._contains(distribution.to_internal_repr(value))
    except (ValueError, TypeError):
        return False


def check_embedding_models(
    space: Mapping[str, BaseDistribution], model_keys: list[str], where: str, *configured: str
) -> None:
    """Refuse embedding models (drawn by the space, or ``configured``) that have no embeddings.

    Raises
    ------
    ValueError
        Naming the unknown models and the models there are.
    """
    drawn = list(getattr(space.get("embedding_model"), "choices", ()))
    unknown = [key for key in dict.fromkeys([*configured, *drawn]) if key not in model_keys]
    if unknown:
        raise ValueError(
            f"{where}: embedding models {unknown} are not among the configured "
            f"embedding models {model_keys} (embeddings.models)."
        )
