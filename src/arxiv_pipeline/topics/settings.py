"""``topic_tuning`` in parameters yml, as the typed settings Kedro builds for the topic nodes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import optuna
import pandas as pd

from arxiv_pipeline.corpus.splitting import largest_subset_within
from arxiv_pipeline.embedding.cpu_runtime import current_cpu
from arxiv_pipeline.tuning.settings import StudySettings

from .agreement import AGREEMENT_METRICS
from .corpus import MEASURES
from .model import SIZE_FREE_FORMS, TOPIC_PARAMETER_RULES
from .objective import TopicObjectiveConfig
from .selection import chosen_trial
from .words import WORD_PARAMETERS, representation_setting

#: The limits ``topic_tuning.constraints`` may set.
CONSTRAINTS = ("min_topics", "max_topics", "max_outlier_share")

#: What ``topic_tuning.measure`` may maximise: held-out coherence or agreement.
OBJECTIVE_MEASURES = (*MEASURES, *AGREEMENT_METRICS)

@dataclass(kw_only=True)
class TopicTuning(StudySettings):
    """The topic study's parameters (see ``conf/base/parameters_topic_tuning.yml``).

    Attributes
    ----------
    measure
        The metric to maximise: ``c_npmi``, ``c_v`` or an agreement metric of validation
        (:data:`OBJECTIVE_MEASURES`, e.g. ``nmi_primary``).
    topn
        Topic words that coherence scores.
    n_seeds
        Fits per trial, under seeds ``seed``, ``seed + 1``, ...
    multi_objective
        Maximise (``measure``, ``second_measure``).
    second_measure
        The second objective: ``diversity`` or any of :data:`OBJECTIVE_MEASURES`.
    size_fraction
        Nested subset of the training split trials fit on, or ``auto``: the smallest
        subset holding :attr:`AUTO_TRIAL_PAPERS` papers (the whole split where none does);
        :meth:`trial_fraction` resolves it.
    final_size_fraction
        Nested subset of the training split the final model is fitted on (at least
        ``size_fraction``); every paper of every split gets a topic whatever it is.
    final_max_papers
        The most papers any topic model (the final one, its candidates, the evaluation's
        refits and baselines) is fitted on: the largest nested subset within
        ``final_size_fraction`` that holds no more (:meth:`final_fraction`); None: no cap.
    validation_max_papers
        The most validation papers trials and the final model's candidates are scored
        on: the largest nested subset of validation that holds no more
        (:meth:`validation_fraction`); None: the whole split. Every validation paper
        still gets a topic from the model that ships.
    assign_chunk_size
        Papers assigned to topics at a time (reduction, clustering, outlier reduction),
        which bounds the memory assignment takes; the topics do not depend on it.
    assign_jobs
        Processes assigning chunks at once, for the final model and the evaluation's
        BERTopic models; None: one per core this process may run on
        (:attr:`assign_processes`). The topics do not depend on it.
    reduction_cache_size
        Reductions kept in memory for reuse by later trials.
    final_trial
        ``"best"`` or a trial number: the trial the final model is built from.
    constraints
        ``min_topics``, ``max_topics``, ``max_outlier_share`` (validation, after outlier
        reduction; None: no limit).
    final_candidates
        Leading trials refitted at the final size before one is chosen
        (:mod:`.candidates`); 1 ships the best trial as it is.
    stability_seeds
        Seeds each candidate is fitted under on the trials' subset to measure its
        stability (ARI of the validation papers' topics between seeds, and the spread of
        its score), by which candidates within the best's spread are told apart
        (:func:`.candidates.choose_candidate`); below 2: not measured.
    min_coarse_topics, max_coarse_topics
        The fewest and the most topics the coarse level may have (:mod:`.levels`).
    word_settings
        Vectorizer settings (:data:`.words.WORD_PARAMETERS`) the final topics' words are
        chosen among by held-out coherence, beside the chosen trial's own (:mod:`.words`).
    word_representations
        Representation models (``type``: ``mmr`` or ``keybert``, and their settings,
        :data:`.words.REPRESENTATIONS`) tried on the chosen c-TF-IDF words (:mod:`.words`).
    word_embedding_model
        The ``embeddings.models`` key (a sentence-transformers model) whose embeddings the
        representation models use, whatever model the topics are fitted on; None: plain
        c-TF-IDF words only.
    """

    KEY: ClassVar[str] = "topic_tuning"
    RULES: ClassVar = TOPIC_PARAMETER_RULES
    #: ``size_fraction: auto`` fits trials on the smallest nested subset of train holding
    #: at least this many papers: enough for topics found on it to carry over to the whole
    #: split (HDBSCAN sizes are searched as fractions), few enough that a trial costs a
    #: fraction of one on a large training split, most of it a UMAP fit that trials with
    #: the same reduction share (``docs/benchmarks.md``: the cost of one topic trial by
    #: training subset).
    AUTO_TRIAL_PAPERS: ClassVar[int] = 5_000

    measure: str
    topn: int
    n_seeds: int
    multi_objective: bool
    reduction_cache_size: int
    final_trial: int | str = "best"
    second_measure: str = "diversity"
    final_size_fraction: float = 1.0
    final_max_papers: int | None = 250_000
    validation_max_papers: int | None = 50_000
    assign_chunk_size: int = 50_000
    assign_jobs: int | None = None
    constraints: dict[str, float | None] = field(default_factory=dict)
    final_candidates: int = 3
    stability_seeds: int = 3
    min_coarse_topics: int = 5
    max_coarse_topics: int = 40
    word_settings: list[dict[str, Any]] = field(default_factory=list)
    word_representations: list[dict[str, Any]] = field(default_factory=list)
    word_embedding_model: str | None = None

    def __post_init__(self) -> None:
        self.require_choice("measure", OBJECTIVE_MEASURES)
        self.require_choice("second_measure", ("diversity", *OBJECTIVE_MEASURES))
        self.require_counts(
            "topn", "n_seeds", "reduction_cache_size", "final_candidates", "min_coarse_topics", "max_coarse_topics",
            "assign_chunk_size",
        )
        for optional_count in ("final_max_papers", "validation_max_papers", "assign_jobs"):
            if getattr(self, optional_count) is not None:
                self.require_counts(optional_count)
        if not (type(self.stability_seeds) is int and self.stability_seeds >= 0):
            raise ValueError(f"topic_tuning.stability_seeds must be a whole number >= 0, got {self.stability_seeds!r}.")
        if self.final_trial != "best" and not (isinstance(self.final_trial, int) and self.final_trial >= 0):
            raise ValueError(f"topic_tuning.final_trial must be best or a trial number, got {self.final_trial!r}.")
        self.constraints = {name: None for name in CONSTRAINTS} | dict(self.constraints or {})
        unknown = sorted(set(self.constraints) - set(CONSTRAINTS))
        if unknown:
            raise ValueError(f"topic_tuning.constraints: unknown limits {unknown}; known: {list(CONSTRAINTS)}")
        for setting in self.word_settings:
            unknown = sorted(set(setting) - set(WORD_PARAMETERS))
            if unknown:
                raise ValueError(
                    f"topic_tuning.word_settings: {unknown} are not word settings; use {list(WORD_PARAMETERS)}."
                )
        self.word_representations = [
            representation_setting(setting, f"topic_tuning.word_representations[{index}]")
            for index, setting in enumerate(self.word_representations)
        ]
        super().__post_init__()
        self._check_final_size()
        for forms in SIZE_FREE_FORMS.items():
            self._one_form(*forms)

    def _one_form(self, absolute: str, size_free: str) -> None:
        """Keep one of a parameter's two forms: a fixed one wins over a searched one."""
        if absolute not in self.space or size_free not in self.space:
            return
        fixed = [name for name in (absolute, size_free) if name in self.fixed]
        if len(fixed) != 1:
            raise ValueError(
                f"topic_tuning.search_space / fixed: both {absolute} and {size_free} are set; "
                f"keep {size_free}, which carries over to the final model's size."
            )
        del self.space[size_free if fixed == [absolute] else absolute]

    def _check_final_size(self) -> None:
        final = self.final_size_fraction
        if isinstance(final, bool) or not isinstance(final, (int, float)) or not 0 < final <= 1:
            raise ValueError(f"topic_tuning.final_size_fraction must be in (0, 1], got {final!r}.")
        if self.size_fraction != "auto":
            self._check_final_covers(self.size_fraction)

    def _check_final_covers(self, trial_fraction: float) -> None:
        if self.final_size_fraction < trial_fraction:
            raise ValueError(
                f"topic_tuning.final_size_fraction ({self.final_size_fraction}) must be at least "
                f"topic_tuning.size_fraction ({self.size_fraction}, here {trial_fraction}): the "
                "final model is fitted on at least the papers trials saw."
            )

    def trial_fraction(self, paper_splits: pd.DataFrame) -> float:
        """The nested subset of train that trials fit on, ``auto`` resolved on these splits.

        Raises
        ------
        ValueError
            If ``final_size_fraction`` is smaller than the subset ``auto`` resolves to.
        """
        fraction = super().trial_fraction(paper_splits)
        self._check_final_covers(fraction)
        return fraction

    def final_fraction(self, paper_splits: pd.DataFrame) -> float:
        """The nested subset of train topic models are fitted on, resolved on these splits.

        ``final_size_fraction``, or where that subset holds more than ``final_max_papers``
        papers, the largest nested subset within it that holds no more
        (:func:`~arxiv_pipeline.corpus.splitting.largest_subset_within`; the smallest
        subset where even that holds more).

        Raises
        ------
        ValueError
            If the subset is smaller than the trials' (:meth:`trial_fraction`).
        """
        trial_fraction = self.trial_fraction(paper_splits)
        capped = largest_subset_within(paper_splits, "train", self.final_max_papers)
        fraction = min(float(self.final_size_fraction), capped)
        if fraction < trial_fraction:
            raise ValueError(
                f"topic_tuning.final_max_papers ({self.final_max_papers}) leaves the final model "
                f"the nested subset {fraction} of train, smaller than the trials' ({trial_fraction}): "
                "the final model is fitted on at least the papers trials saw; raise it or lower "
                "topic_tuning.size_fraction."
            )
        return fraction

    def validation_fraction(self, paper_splits: pd.DataFrame) -> float:
        """The nested subset of validation that trials and candidates are scored on.

        The largest nested subset holding at most ``validation_max_papers`` papers
        (:func:`~arxiv_pipeline.corpus.splitting.largest_subset_within`; the smallest
        subset where even that holds more); 1.0, the whole split, within the cap.
        """
        return largest_subset_within(paper_splits, "validation", self.validation_max_papers)

    @property
    def assign_processes(self) -> int:
        """``assign_jobs``, or where None the cores this process may run on."""
        return self.assign_jobs or current_cpu().cores

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
            second_measure=self.second_measure,
            constraints=self.constraints,
        )

    def choose_final_trial(self, study: optuna.Study) -> optuna.trial.FrozenTrial:
        """The trial ``final_trial`` names, within ``constraints`` (:func:`chosen_trial`)."""
        return chosen_trial(study, self.final_trial, self.constraints)

    def provenance(self) -> dict[str, Any]:
        """What the study records beside the data: how its trials were scored and drawn."""
        return {
            "measure": self.measure,
            "second_measure": self.second_measure if self.multi_objective else None,
            "topn": self.topn,
            "seeds": list(self.seeds),
            "search_space": self.search_space,
            "fixed": self.fixed,
        }


@dataclass(frozen=True)
class TopicUpdate:
    """``topic_update`` in parameters yml (see ``conf/base/parameters_topic_update.yml``).

    Attributes
    ----------
    max_outlier_share_before
        A refit or a new study is advised when more than this share of the placed
        papers (new and revised) are outliers before outlier reduction: the map no
        longer covers them. In ``[0, 1]``.
    moved_topics
        Topics listed in the drift report, those whose share among the placed papers
        moved most against their share among the previous snapshot's papers.
    """

    max_outlier_share_before: float = 0.3
    moved_topics: int = 10

    def __post_init__(self) -> None:
        share = self.max_outlier_share_before
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0.0 <= share <= 1.0:
            raise ValueError(f"topic_update.max_outlier_share_before must be in [0, 1], got {share!r}.")
        if isinstance(self.moved_topics, bool) or not isinstance(self.moved_topics, int) or self.moved_topics < 1:
            raise ValueError(f"topic_update.moved_topics must be a whole number of at least 1, got {self.moved_topics!r}.")
