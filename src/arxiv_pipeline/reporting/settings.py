"""``evaluation`` and ``study_reports`` in parameters yml, as the typed settings Kedro builds.

A node annotates its ``params:evaluation`` or ``params:study_reports`` argument with one
of these classes; Kedro's parameter validation then builds it from the yml
(``model_type(**values)``) before any node runs, so an unknown or missing key, or bad
``evaluation.seeds``, stops ``kedro run`` at once, naming it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from arxiv_pipeline.topics.comparison import check_seeds


@dataclass(frozen=True)
class EvaluationParams:
    """The evaluation's parameters (see ``conf/base/parameters_evaluation.yml``).

    Attributes
    ----------
    tfidf_logreg
        The baseline classifier: ``vectorizer`` (keyword arguments of
        ``TfidfVectorizer``), ``C`` (the values tried), ``max_iter``, ``n_jobs``.
    lda
        The baseline topic model: ``passes``, ``chunksize``, ``iterations``, and the
        dictionary's ``no_below`` / ``no_above``.
    kmeans
        The k-means yardsticks: ``n_init`` (k-means++ initialisations per fit).
    seeds
        The seeds every topic model is fitted under for the final comparison: distinct
        integers (a list in the yml, kept as a tuple).
    """

    tfidf_logreg: dict[str, Any]
    lda: dict[str, Any]
    kmeans: dict[str, Any]
    seeds: tuple[int, ...]

    def __post_init__(self) -> None:
        # Frozen: the checked seeds are set through object.
        object.__setattr__(self, "seeds", check_seeds(self.seeds))


@dataclass(frozen=True)
class StudyReportsParams:
    """The study reports' parameters (see ``conf/base/parameters_study_reports.yml``).

    Attributes
    ----------
    near_best_share
        The share of the topic study's best trials (within its constraints) whose range
        of topic counts the "how many categories?" report gives.
    """

    near_best_share: float
