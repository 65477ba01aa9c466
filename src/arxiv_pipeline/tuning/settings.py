"""The parameters every study takes, checked when Kedro builds them.

A tuning node annotates its ``params:<study>`` argument with a subclass of
:class:`StudySettings`; Kedro's parameter validation then builds it from the yml
(``model_type(**values)``) before any node runs, so a bad value stops ``kedro run`` at
once, with a message naming the key (``topic_tuning.pruner.type must be one of ...``).
An unknown or missing key is refused by the dataclass itself, naming the key.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar

import optuna
import pandas as pd
from optuna.distributions import BaseDistribution

from arxiv_pipeline.corpus.splitting import smallest_subset_holding
from arxiv_pipeline.tuning.store import StudyStore

from .components import build_pruner, build_sampler, with_fixed
from .search_space import ParameterRule, parse_search_space


@dataclass(kw_only=True)
class StudySettings(ABC):
    """What every study's parameters hold, and what each study decides for itself.

    Attributes
    ----------
    n_trials
        Complete trials the study holds when the run ends.
    seed
        Seeds the sampler (see :func:`~arxiv_pipeline.tuning.study.resumed_seed`).
    size_fraction
        Nested subset to tune on (each study says of which splits), or ``auto``: the
        smallest subset of the training split holding ``AUTO_TRIAL_PAPERS`` papers (the
        whole split where none does); :meth:`trial_fraction` resolves it.
    search_space
        Parameter name to ``{type: int|float|categorical, ...}``, as in the yml.
    fixed
        Parameters held at one value in every trial (Optuna's ``PartialFixedSampler``).
    sampler, pruner
        ``{type: <class or short name>, <option>: <value>}``: see
        :mod:`arxiv_pipeline.tuning.components`.
    study_name
        The study's name in its storage; None: the catalog entry's ``study_name``. A new
        name starts a new study beside the old ones (e.g. on other data).
    storage
        Which storage of the catalog entry (``sqlite``, ``journal``, ``postgresql``);
        None: its first.
    n_workers
        Worker processes this run starts on the study.
    space
        The search space as Optuna distributions, fixed parameters included (derived).
    """

    #: The parameters' key in the yml, for messages; and the parameters the study knows.
    KEY: ClassVar[str]
    RULES: ClassVar[Mapping[str, ParameterRule]]
    #: The training papers ``size_fraction: auto`` asks for: each study says why its number.
    AUTO_TRIAL_PAPERS: ClassVar[int]

    n_trials: int
    seed: int
    size_fraction: float | str
    search_space: dict[str, dict[str, Any]]
    sampler: dict[str, Any]
    pruner: dict[str, Any]
    fixed: dict[str, Any] = field(default_factory=dict)
    study_name: str | None = None
    storage: str | None = None
    n_workers: int = 1
    space: dict[str, BaseDistribution] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.fixed = dict(self.fixed or {})
        self.require_counts("n_trials", "n_workers")
        if not _is_int(self.seed):
            raise ValueError(f"{self.KEY}.seed must be a whole number, got {self.seed!r}.")
        self.check_size_fraction()
        if self.study_name is not None and not (isinstance(self.study_name, str) and self.study_name.strip()):
            raise ValueError(f"{self.KEY}.study_name must be a non-empty name or null, got {self.study_name!r}.")
        space = parse_search_space(self.search_space, self.RULES, f"{self.KEY}.search_space")
        self.space = with_fixed(space, self.fixed, self.RULES, f"{self.KEY}.fixed")
        # Built once here so that a bad type or option fails now, not after ingestion.
        build_sampler(self.sampler, f"{self.KEY}.sampler", seed=self.seed)
        self.build_pruner()

    def check_size_fraction(self) -> None:
        """Refuse a ``size_fraction`` that is neither ``auto`` nor in (0, 1]."""
        size = self.size_fraction
        if size == "auto":
            return
        if isinstance(size, bool) or not isinstance(size, (int, float)) or not 0 < size <= 1:
            raise ValueError(f"{self.KEY}.size_fraction must be auto or in (0, 1], got {size!r}.")

    def trial_fraction(self, paper_splits: pd.DataFrame) -> float:
        """The nested subset of train that trials fit on, ``auto`` resolved on these splits.

        ``auto`` is the smallest subset holding ``AUTO_TRIAL_PAPERS`` training papers
        (:func:`~arxiv_pipeline.corpus.splitting.smallest_subset_holding`): 1.0 where no
        smaller one does.
        """
        if self.size_fraction != "auto":
            return float(self.size_fraction)
        return smallest_subset_holding(paper_splits, "train", self.AUTO_TRIAL_PAPERS)

    def require_counts(self, *names: str) -> None:
        """Refuse values of ``names`` that are not whole numbers of at least 1, naming the key."""
        for name in names:
            value = getattr(self, name)
            if not _is_int(value) or value < 1:
                raise ValueError(f"{self.KEY}.{name} must be a whole number of at least 1, got {value!r}.")

    def require_choice(self, name: str, choices: Iterable[str]) -> None:
        """Refuse a value of ``name`` outside ``choices``, naming the key and the choices."""
        if getattr(self, name) not in choices:
            raise ValueError(f"{self.KEY}.{name} must be one of {list(choices)}, got {getattr(self, name)!r}.")

    def build_pruner(self) -> Any:
        """The configured pruner (``optuna.pruners.BasePruner``)."""
        return build_pruner(self.pruner, f"{self.KEY}.pruner")

    def store(self, catalog_store: StudyStore) -> StudyStore:
        """The study these parameters name, in the storage they choose, of a catalog entry."""
        return catalog_store.using(self.storage).named(self.study_name)

    @property
    @abstractmethod
    def directions(self) -> list[str]:
        """What the study does with each objective value: ``maximize`` or ``minimize``."""

    @abstractmethod
    def provenance(self) -> dict[str, Any]:
        """What the study records beside the data: how its trials were scored and drawn."""

    @abstractmethod
    def choose_final_trial(self, study: optuna.Study) -> optuna.trial.FrozenTrial:
        """The trial of ``study`` that the final model is built from.

        Raises
        ------
        ValueError
            If the study holds no trial to build it from.
        """


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)
