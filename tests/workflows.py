"""Shared steps of the tests that run pipelines: fast settings, and trained projects made once.

The tests of several pipelines need the same prepared project (the real sample ingested and
embedded with TF-IDF + SVD, small studies). Building it is the slow part of the suite, so
:func:`embedded_copy`, :func:`trained_copy` and :func:`reported_copy` build it once per test
session and copy it into each test's own project.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import optuna
import yaml

from tests.conftest import REPO_ROOT, run_pipelines

# PCA reductions and TF-IDF + SVD embeddings keep a trial well under a second.
FAST_SPACE = {
    "embedding_model": {"type": "categorical", "choices": ["tfidf_svd"]},
    "reducer": {"type": "categorical", "choices": ["pca"]},
    "pca.n_components": {"type": "categorical", "choices": [5, 10]},
    "hdbscan.min_cluster_size": {"type": "int", "low": 10, "high": 40},
    "hdbscan.cluster_selection_method": {"type": "categorical", "choices": ["eom", "leaf"]},
}


def use_fast_embeddings(project: Path) -> None:
    """Only the TF-IDF + SVD model, through the project's configuration as a user would:
    without a sentence-transformers model, topic words are c-TF-IDF words only."""
    base = project / "conf/base/parameters_embeddings.yml"
    settings = yaml.safe_load(base.read_text())
    settings["embeddings"]["models"] = {"tfidf_svd": settings["embeddings"]["models"]["tfidf_svd"]}
    base.write_text(yaml.safe_dump(settings))
    configure_topic_tuning(project, word_embedding_model=None)


#: Representation models with small candidate pools: MiniLM embeds a few hundred words.
SMALL_REPRESENTATIONS = [
    {"type": "mmr", "diversity": 0.5, "nr_candidate_words": 30},
    {"type": "keybert", "nr_candidate_words": 30, "nr_repr_docs": 3, "nr_samples": 20},
]


def use_minilm_words(project: Path) -> None:
    """Topic words from :data:`SMALL_REPRESENTATIONS` with MiniLM's word embeddings, the
    topics still fitted on TF-IDF + SVD (MiniLM embeds no paper)."""
    base = project / "conf/base/parameters_embeddings.yml"
    settings = yaml.safe_load(base.read_text())
    settings["embeddings"]["models"]["minilm"] = yaml.safe_load(
        (REPO_ROOT / "conf/base/parameters_embeddings.yml").read_text()
    )["embeddings"]["models"]["minilm"]
    base.write_text(yaml.safe_dump(settings))
    configure_topic_tuning(project, word_embedding_model="minilm", word_representations=SMALL_REPRESENTATIONS)


#: No minimum number of topics: every complete trial is a candidate for the final model,
#: whatever topics a few small trials find.
UNCONSTRAINED = {"min_topics": None, "max_topics": None, "max_outlier_share": None}


def configure_topic_tuning(project: Path, **values: object) -> None:
    """Set ``topic_tuning`` values in the project's parameters file, as a user would."""
    path = project / "conf/base/parameters_topic_tuning.yml"
    parameters = yaml.safe_load(path.read_text())
    parameters["topic_tuning"].update(values)
    path.write_text(yaml.safe_dump(parameters))


def tune(
    project: Path,
    search_space: dict = FAST_SPACE,
    study_only: bool = False,
    figures: bool = True,
    **topic_tuning,
) -> optuna.Study:
    """Run topic_tuning with this search space and no constraints (parameters file).

    ``study_only``: as far as the study (``--to-outputs topic_study``), for tests that
    assert nothing of the final model (its fit and figures take seconds).
    ``figures=False``: as far as the final model (``--to-outputs topic_model``), for tests
    that assert nothing of its figures (the distance map runs UMAP: seconds).
    """
    configure_topic_tuning(project, search_space=search_space, constraints=UNCONSTRAINED)
    if study_only:
        to_outputs = ["topic_study"]
    else:
        to_outputs = None if figures else ["topic_model"]
    run_pipelines(
        project,
        ["topic_tuning"],
        to_outputs=to_outputs,
        topic_tuning={"n_trials": 3, **topic_tuning},
    )
    return optuna.load_study(
        study_name="topic_tuning", storage=f"sqlite:///{project}/data/06_models/topic_tuning.db"
    )


# TF-IDF + SVD embeddings and a few short runs keep a study within seconds.
FAST_CLASSIFIER = {
    "n_trials": 3,
    "max_epochs": 4,
    "patience": 2,
    "embedding_model": "tfidf_svd",
    "device": "cpu",
    "pruner": {"type": "median", "n_startup_trials": 2, "n_warmup_steps": 1},
}


def embed(project: Path, arxiv_sample: Path) -> Path:
    """Ingest the real sample and embed it with TF-IDF + SVD only."""
    use_fast_embeddings(project)
    run_pipelines(project, ["ingestion", "embeddings"], snapshot_path=str(arxiv_sample))
    return project


def _from_template(project: Path, name: str, build: Callable[[Path], object]) -> Path:
    """``project`` as ``build`` leaves it, built once per test session.

    The first test to ask builds it in its own project and keeps a copy of its
    configuration and data beside it (``name``, in the session's temporary folder);
    later tests copy them into their own project.
    """
    template = project.parent / name
    if template.is_dir():
        for folder in ("conf", "data"):
            shutil.copytree(template / folder, project / folder, dirs_exist_ok=True)
        return project
    build(project)
    for folder in ("conf", "data"):
        shutil.copytree(project / folder, template / folder)
    return project


def embedded_copy(project: Path, arxiv_sample: Path) -> Path:
    """``project`` as :func:`embed` leaves it (the real sample ingested and embedded with
    TF-IDF + SVD), ingested and embedded once per test session."""
    return _from_template(project, "embedded-arxiv-project", lambda p: embed(p, arxiv_sample))


def tune_classifier(project: Path, **classifier_tuning) -> optuna.Study:
    """Run classifier_tuning with the fast settings and these overrides; the stored study."""
    run_pipelines(
        project, ["classifier_tuning"], classifier_tuning={**FAST_CLASSIFIER, **classifier_tuning}
    )
    return optuna.load_study(
        study_name="classifier_tuning",
        storage=f"sqlite:///{project}/data/06_models/classifier_tuning.db",
    )


def train_models(project: Path, arxiv_sample: Path) -> Path:
    """The real sample ingested, embedded (TF-IDF + SVD), small topic and classifier studies."""
    embedded_copy(project, arxiv_sample)
    tune(project, FAST_SPACE, n_trials=2)
    tune_classifier(project, n_trials=2)
    return project


def trained_copy(project: Path, arxiv_sample: Path) -> Path:
    """``project`` holding the models of :func:`train_models`, trained once per test session."""
    return _from_template(
        project, "trained-arxiv-project", lambda p: train_models(p, arxiv_sample)
    )




#: What the reports read beyond the trained models; two evaluation seeds keep it quick
#: (the first is topic_tuning.seed, the final model's own).
REPORTING_PIPELINES = ["evaluation", "topic_views", "study_reports"]
EVALUATION_SEEDS = [42, 43]
#: The TF-IDF baseline with one regularisation strength, the one conf/base's list keeps on
#: the real sample: a third of its fits (choosing among several is test_baselines').
TFIDF_LOGREG = {"C": [100.0]}


def reported_copy(project: Path, arxiv_sample: Path) -> Path:
    """``project`` as :func:`trained_copy`, then evaluated, with its topic views and study reports.

    Built once per test session, like :func:`trained_copy`.
    """

    def report(project: Path) -> None:
        trained_copy(project, arxiv_sample)
        evaluation = {"seeds": EVALUATION_SEEDS, "tfidf_logreg": TFIDF_LOGREG}
        run_pipelines(project, REPORTING_PIPELINES, evaluation=evaluation)

    return _from_template(project, "reported-arxiv-project", report)
