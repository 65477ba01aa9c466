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
        ``TfidfVectorizer``), ``C`` (the values tried), ``max_iter``, ``n_jobs``,
        ``max_train_papers`` (the largest nested subset of train within it is fitted on;
        None: all of train) and ``chunk_size`` (held-out papers scored at a time).
    lda
        The baseline topic model: ``passes``, ``chunksize``, ``iterations``, and the
        dictionary's ``no_below`` / ``no_above``.
    kmeans
        The k-means yardsticks: ``n_init`` (k-means++ initialisations per fit).
    seeds
        The seeds every topic model is fitted under for the final comparison: distinct
        integers (a list in the yml, kept as a tuple).
    coherence_max_papers
        Each split's topic coherence is measured against the largest nested subset of
        the split within this many papers; None: the whole split.
    """

    tfidf_logreg: dict[str, Any]
    lda: dict[str, Any]
    kmeans: dict[str, Any]
    seeds: tuple[int, ...]
    coherence_max_papers: int | None = 120_000

    def __post_init__(self) -> None:
        # Frozen: the checked seeds are set through object.
        object.__setattr__(self, "seeds", check_seeds(self.seeds))
        _require_count(self.tfidf_logreg, "chunk_size", "evaluation.tfidf_logreg")
        # null is no cap; a missing key is refused like a bad value.
        if "max_train_papers" not in self.tfidf_logreg or self.tfidf_logreg["max_train_papers"] is not None:
            _require_count(self.tfidf_logreg, "max_train_papers", "evaluation.tfidf_logreg")
        if self.coherence_max_papers is not None:
            _require_count({"coherence_max_papers": self.coherence_max_papers}, "coherence_max_papers", "evaluation")


def _require_count(values: dict[str, Any], name: str, key: str) -> None:
    """Refuse ``values[name]`` unless it is a whole number of at least 1, naming ``key.name``."""
    value = values.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{key}.{name} must be a whole number of at least 1, got {value!r}.")


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
