"""``classifier_tuning`` and ``predict`` in parameters yml, as the typed settings Kedro builds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import optuna
from optuna.trial import TrialState

from arxiv_pipeline.embedding.device import resolve_device
from arxiv_pipeline.tuning.budget import count_trials
from arxiv_pipeline.tuning.components import build_pruner
from arxiv_pipeline.tuning.settings import StudySettings

from .objective import CLASSIFIER_DEFAULTS, CLASSIFIER_PARAMETER_RULES
from .training import MONITORS, TrainingSettings


@dataclass(kw_only=True)
class ClassifierTuning(StudySettings):
    """The classifier study's parameters (see ``conf/base/parameters_classifier_tuning.yml``).

    Attributes
    ----------
    embedding_model
        The embeddings trials read unless the search space draws ``embedding_model``.
    objective
        The best epoch's validation metric the study optimises: a key of ``MONITORS``.
    max_epochs, patience
        Epochs at most, and epochs without a lower validation loss before stopping.
    device
        ``auto`` or a torch device.
    cpu_threads
        torch threads on the CPU (None: one per core).
    size_fraction
        Nested subset of the training and validation splits trials run on, or ``auto``:
        the smallest subset holding :attr:`AUTO_TRIAL_PAPERS` training papers (the whole
        splits where none does). The final classifier trains on all of train whatever it is.
    """

    KEY: ClassVar[str] = "classifier_tuning"
    RULES: ClassVar = CLASSIFIER_PARAMETER_RULES
    #: ``size_fraction: auto`` runs trials on the smallest nested subset of train holding at
    #: least this many papers. A trial's cost grows linearly with its papers (each epoch
    #: reads every one), while the parameters it judges (learning rate, regularisation,
    #: width) should suit the final training's size, so the subset is not made small: with
    #: the default size fractions auto is the whole split up to about 125,000 training
    #: papers (the 118,180-paper corpus has about 94,500), and on the full snapshot the
    #: 0.05 subset, about 100,000 papers: a study there costs what it costs at 118,180.
    AUTO_TRIAL_PAPERS: ClassVar[int] = 50_000

    embedding_model: str
    objective: str
    max_epochs: int
    patience: int
    device: str
    cpu_threads: int | None

    def __post_init__(self) -> None:
        self.require_choice("objective", MONITORS)
        self.require_counts("max_epochs", "patience")
        super().__post_init__()

    def build_pruner(self) -> optuna.pruners.BasePruner:
        """The configured pruner; epochs are the resource of those that take one (hyperband)."""
        return build_pruner(self.pruner, "classifier_tuning.pruner", max_resource=self.max_epochs)

    @property
    def directions(self) -> list[str]:
        return [MONITORS[self.objective]]

    def choose_final_trial(self, study: optuna.Study) -> optuna.trial.FrozenTrial:
        """The best complete trial.

        Raises
        ------
        ValueError
            If the study has no complete trial.
        """
        if count_trials(study, TrialState.COMPLETE) == 0:
            raise ValueError(
                f"Study '{study.study_name}' has no complete trial: see the trials' fail_reason "
                "user attrs, then run classifier_tuning again."
            )
        return study.best_trial

    def base_params(self) -> dict[str, Any]:
        """Every parameter's value when the search space does not draw it."""
        return {**CLASSIFIER_DEFAULTS, "embedding_model": self.embedding_model}

    def training_settings(self) -> TrainingSettings:
        """How every run trains, on the device ``device`` resolves to here."""
        return TrainingSettings(
            max_epochs=self.max_epochs,
            patience=self.patience,
            monitor=self.objective,
            seed=self.seed,
            device=resolve_device(self.device),
            threads=self.cpu_threads,
        )

    def provenance(self) -> dict[str, Any]:
        """What the study records beside the data: how its trials were trained and drawn."""
        return {
            "objective": self.objective,
            "seed": self.seed,
            "max_epochs": self.max_epochs,
            "patience": self.patience,
            "base_params": self.base_params(),
            "search_space": self.search_space,
            "fixed": self.fixed,
        }


@dataclass(frozen=True)
class PredictParams:
    """The predict pipeline's parameters (see ``conf/base/parameters_predict.yml``).

    Attributes
    ----------
    top_k
        Categories listed per abstract, most probable first: 1 or more (a slice
        ``[:top_k]`` would take -1 as "every label but one").
    """

    top_k: int

    def __post_init__(self) -> None:
        if isinstance(self.top_k, bool) or not isinstance(self.top_k, int) or self.top_k < 1:
            raise ValueError(
                f"predict.top_k must be a whole number of 1 or more (categories listed per "
                f"abstract); got {self.top_k!r}."
            )
