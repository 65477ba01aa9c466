"""The Optuna objective of the classifier study: train, then score the best epoch on validation."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import optuna
from optuna.distributions import BaseDistribution

from arxiv_pipeline.tuning.components import TRIAL_ERRORS
from arxiv_pipeline.tuning.search_space import ParameterRule, suggest

from .data import ClassifierData
from .model import ACTIVATIONS, Architecture
from .training import SCHEDULERS, TrainingResult, TrainingSettings, train_classifier

#: The parameters a classifier study understands, with the values each accepts.
CLASSIFIER_PARAMETER_RULES = {
    "embedding_model": ParameterRule("categorical"),
    "depth": ParameterRule("int", low=0, high=8),
    "width": ParameterRule("int", low=8, high=8192),
    "dropout": ParameterRule("float", low=0.0, high=0.9),
    "activation": ParameterRule("categorical", choices=tuple(ACTIVATIONS)),
    "learning_rate": ParameterRule("float", low=1e-6, high=10.0),
    "weight_decay": ParameterRule("float", low=0.0, high=1.0),
    "batch_size": ParameterRule("int", low=1, high=65536),
    "scheduler": ParameterRule("categorical", choices=SCHEDULERS),
}

#: Values used for parameters a search space leaves out (``embedding_model`` comes from
#: ``classifier_tuning.embedding_model``).
CLASSIFIER_DEFAULTS = {
    "depth": 1,
    "width": 512,
    "dropout": 0.1,
    "activation": "relu",
    "learning_rate": 1e-3,
    "weight_decay": 1e-2,
    "batch_size": 64,
    "scheduler": "none",
}


class ClassifierObjective:
    """Callable objective: one trial = one training run, pruned between epochs.

    Parameters
    ----------
    data
        Labelled papers and their embeddings (train and validation).
    space
        Optuna distributions of the tuned parameters, fixed ones included (their values
        come from the sampler: ``PartialFixedSampler``).
    base
        Every parameter's value when the space does not draw it: defaults and the
        configured embedding model.
    settings
        Epochs, patience, monitored metric, seed, device.
    """

    def __init__(
        self,
        data: ClassifierData,
        space: Mapping[str, BaseDistribution],
        base: Mapping[str, Any],
        settings: TrainingSettings,
    ) -> None:
        self.data = data
        self.space = space
        self.base = base
        self.settings = settings

    def trial_params(self, trial: optuna.Trial | optuna.trial.FrozenTrial) -> dict[str, Any]:
        """Every parameter of a run: the base values, then the trial's draws."""
        drawn = suggest(trial, self.space) if isinstance(trial, optuna.Trial) else trial.params
        return {**self.base, **drawn}

    def architecture(self, params: Mapping[str, Any]) -> Architecture:
        train = self.data.vectors(params["embedding_model"], "train")
        return Architecture(
            input_dim=train.dim,
            n_labels=train.n_labels,
            depth=params["depth"],
            width=params["width"],
            dropout=params["dropout"],
            activation=params["activation"],
        )

    def train(
        self,
        params: Mapping[str, Any],
        on_epoch: Callable[[dict[str, float]], None] | None = None,
    ) -> TrainingResult:
        """One training run with these parameters (the same seed for every trial)."""
        key = params["embedding_model"]
        return train_classifier(
            self.architecture(params),
            dict(params),
            train=self.data.vectors(key, "train"),
            validation=self.data.vectors(key, "validation"),
            settings=self.settings,
            on_epoch=on_epoch,
        )

    def sampler_options(self) -> dict[str, Any]:
        """What the study's sampler takes from the objective: nothing (no constraints)."""
        return {}

    def __call__(self, trial: optuna.Trial) -> float:
        params = self.trial_params(trial)
        monitor = self.settings.monitor

        def report(record: dict[str, float]) -> None:
            # Pruning is real: a run whose curve trails the other trials' stops here.
            trial.report(record[monitor], step=int(record["epoch"]))
            if trial.should_prune():
                raise optuna.TrialPruned(
                    f"{monitor} {record[monitor]:.4f} at epoch {record['epoch']}"
                )

        try:
            result = self.train(params, on_epoch=report)
        except TRIAL_ERRORS as error:
            trial.set_user_attr("fail_reason", f"{type(error).__name__}: {error}")
            raise
        for name in ("validation_loss", "lrap", "micro_f1", "threshold"):
            trial.set_user_attr(name, result.best[name])
        trial.set_user_attr("best_epoch", result.best_epoch)
        trial.set_user_attr("epochs_run", len(result.history))
        trial.set_user_attr("stop_reason", result.stop_reason)
        trial.set_user_attr("seconds_per_epoch", result.seconds_per_epoch)
        return result.best[monitor]
