"""``topic_tuning`` in parameters yml, as the typed settings Kedro builds for the topic nodes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

from arxiv_pipeline.tuning.settings import StudySettings

from .corpus import MEASURES
from .model import TOPIC_PARAMETER_RULES
from .objective import TopicObjectiveConfig

#: The limits ``topic_tuning.constraints`` may set.
CONSTRAINTS = ("min_topics", "max_topics", "max_outlier_share")


@dataclass(kw_only=True)
class TopicTuning(StudySettings):
    """The topic study's parameters (see ``conf/base/parameters_topic_tuning.yml``).

    Attributes
    ----------
    measure
        The coherence to maximise: ``c_npmi`` or ``c_v``.
    topn
        Topic words that coherence scores.
    n_seeds
        Fits per trial, under seeds ``seed``, ``seed + 1``, ...
    multi_objective
        Maximise (coherence, diversity).
    reduction_cache_size
        Reductions kept in memory for reuse by later trials.
    final_trial
        ``"best"`` or a trial number: the trial the final model is built from.
    constraints
        ``min_topics``, ``max_topics``, ``max_outlier_share`` (None: no limit).
    """

    KEY: ClassVar[str] = "topic_tuning"
    RULES: ClassVar = TOPIC_PARAMETER_RULES

    measure: str
    topn: int
    n_seeds: int
    multi_objective: bool
    reduction_cache_size: int
    final_trial: int | str = "best"
    constraints: dict[str, float | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.require_choice("measure", MEASURES)
        self.require_counts("topn", "n_seeds", "reduction_cache_size")
        if self.final_trial != "best" and not (isinstance(self.final_trial, int) and self.final_trial >= 0):
            raise ValueError(f"topic_tuning.final_trial must be best or a trial number, got {self.final_trial!r}.")
        self.constraints = {name: None for name in CONSTRAINTS} | dict(self.constraints or {})
        unknown = sorted(set(self.constraints) - set(CONSTRAINTS))
        if unknown:
            raise ValueError(f"topic_tuning.constraints: unknown limits {unknown}; known: {list(CONSTRAINTS)}")
        super().__post_init__()

    @property
    def seeds(self) -> tuple[int, ...]:
        return tuple(range(self.seed, self.seed + self.n_seeds))

    @property
    def directions(self) -> list[str]:
        return ["maximize", "maximize"] if self.multi_objective else ["maximize"]

    def objective_config(self) -> TopicObjectiveConfig:
        """How the topic objective scores trials."""
        return TopicObjectiveConfig(
            measure=self.measure,
            topn=self.topn,
            seeds=self.seeds,
            multi_objective=self.multi_objective,
            constraints=self.constraints,
        )

    def provenance(self) -> dict[str, Any]:
        """What the study records beside the data: how its trials were scored and drawn."""
        return {
            "measure": self.measure,
            "topn": self.topn,
            "seeds": list(self.seeds),
            "search_space": self.search_space,
            "fixed": self.fixed,
        }
