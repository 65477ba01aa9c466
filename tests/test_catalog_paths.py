"""The catalog's files are the project's, whatever the working directory (``notebooks/``).

Kedro makes ``filepath``, ``path`` and ``filename`` entries absolute under the project;
the embeddings folders and the study storages are given as ``path`` for that reason.
"""

from __future__ import annotations

from pathlib import Path

import optuna
import pytest
from kedro.io import DatasetError

from arxiv_pipeline.datasets.optuna_study_dataset import OptunaStudyDataset
from tests.conftest import load_dataset


@pytest.fixture
def elsewhere(project: Path, tmp_path_factory: pytest.TempPathFactory, monkeypatch) -> Path:
    """The project, with the working directory outside it (as a notebook kernel's)."""
    monkeypatch.chdir(tmp_path_factory.mktemp("elsewhere"))
    return project


def test_study_storages_are_files_of_the_project(elsewhere: Path):
    models = elsewhere / "data/06_models"
    topic = load_dataset(elsewhere, "topic_study_store")
    assert topic.storage == f"sqlite:///{models / 'topic_tuning.db'}"
    assert topic.using("journal").storage == str(models / "topic_tuning.journal")
    classifier = load_dataset(elsewhere, "classifier_study_store")
    assert classifier.storage == f"sqlite:///{models / 'classifier_tuning.db'}"
    # A study run through the store lands in the project, and reads back from there.
    topic.using("journal").create_or_resume(["maximize"])
    topic.create_or_resume(["maximize"])
    assert (models / "topic_tuning.db").is_file() and (models / "topic_tuning.journal").is_file()
    assert optuna.get_all_study_names(topic.storage) == ["topic_tuning"]
    assert not Path("data").exists()


def test_embeddings_are_read_from_the_project(elsewhere: Path):
    train = load_dataset(elsewhere, "train_embeddings")
    assert train.folder == elsewhere / "data/04_feature/embeddings"
    assert load_dataset(elsewhere, "test_embeddings").folder == train.folder


def test_a_storage_is_a_url_or_a_path():
    files = {"sqlite": {"path": "/srv/x.db"}, "journal": {"path": "/srv/x.journal"}}
    credentials = {"url": "postgresql://user:pw@db/optuna"}
    store = OptunaStudyDataset({**files, "postgresql": None}, "s", credentials=credentials).load()
    assert store.storage == "sqlite:////srv/x.db"
    assert store.using("journal").storage == "/srv/x.journal"
    assert store.using("postgresql").storage == "postgresql://user:pw@db/optuna"
    assert OptunaStudyDataset("sqlite:///x.db", "s").load().storage == "sqlite:///x.db"
    with pytest.raises(DatasetError, match=r"Storage 'sqlite': give a URL.*keys \['file'\]"):
        OptunaStudyDataset({"sqlite": {"file": "x.db"}}, "s")
