"""Optuna studies as Kedro datasets that never lose a trial.

``kedro_datasets_experimental.optuna.StudyDataset`` saves by deleting the target study
and copying the returned one into it: a crash mid-copy, or a second worker saving, loses
trials. Here the tuning node runs its trials directly in the storage (so each trial is
recorded the moment it finishes, survives a kill, and shows live in optuna-dashboard),
and saving only checks that the returned study is that stored study.

Load returns a :class:`StudyStore`, a handle with which a node creates or resumes the
study with its own sampler and directions, or opens it for reading.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from kedro.io import AbstractDataset, DatasetError
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend


@dataclass(frozen=True)
class StudyStore:
    """Where a study lives.

    Attributes
    ----------
    storage
        An SQLAlchemy URL (``sqlite:///data/06_models/x.db``, ``postgresql://…``) or the
        path of an Optuna journal file (ending in ``.journal``).
    study_name
        Name of the study in that storage.
    heartbeat_interval
        Seconds between heartbeats of running trials (RDB storages): a trial whose
        process died is marked FAIL once it misses them for ``2 * heartbeat_interval``.
    """

    storage: str
    study_name: str
    heartbeat_interval: int | None = 60

    @property
    def is_journal(self) -> bool:
        return self.storage.endswith(".journal")

    def open_storage(self) -> BaseStorage:
        """A fresh connection to the storage, creating an SQLite file's folder if needed."""
        if self.is_journal:
            Path(self.storage).parent.mkdir(parents=True, exist_ok=True)
            return JournalStorage(JournalFileBackend(self.storage))
        if self.storage.startswith("sqlite:///"):
            Path(self.storage.removeprefix("sqlite:///")).parent.mkdir(parents=True, exist_ok=True)
        heartbeat = {}
        if self.heartbeat_interval:
            heartbeat = {
                "heartbeat_interval": self.heartbeat_interval,
                "grace_period": 2 * self.heartbeat_interval,
            }
        with warnings.catch_warnings():
            # Heartbeats have been "experimental" since Optuna 2.9; they are what marks
            # the trials of a killed process FAIL, so they are used on purpose.
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            return RDBStorage(self.storage, engine_kwargs={"pool_pre_ping": True}, **heartbeat)

    def exists(self) -> bool:
        names = optuna.get_all_study_names(storage=self.open_storage())
        return self.study_name in names

    def create_or_resume(
        self,
        directions: list[str],
        sampler: optuna.samplers.BaseSampler | None = None,
        pruner: optuna.pruners.BasePruner | None = None,
    ) -> optuna.Study:
        """The study, created on first use and resumed (trials kept) afterwards.

        Raises
        ------
        ValueError
            If the stored study optimises other directions than ``directions``.
        """
        study = optuna.create_study(
            storage=self.open_storage(),
            study_name=self.study_name,
            directions=directions,
            sampler=sampler,
            pruner=pruner,
            load_if_exists=True,
        )
        stored = [direction.name.lower() for direction in study.directions]
        if stored != [direction.lower() for direction in directions]:
            raise ValueError(
                f"Study '{self.study_name}' in '{self.storage}' optimises {stored}, not "
                f"{directions}: choose another study_name for a new objective."
            )
        return study

    def load(self, sampler: optuna.samplers.BaseSampler | None = None) -> optuna.Study:
        """The existing study.

        Raises
        ------
        DatasetError
            If the storage holds no study of that name.
        """
        if not self.exists():
            raise DatasetError(
                f"No study '{self.study_name}' in '{self.storage}': run its tuning pipeline first."
            )
        return optuna.load_study(study_name=self.study_name, storage=self.open_storage(), sampler=sampler)


class OptunaStudyDataset(AbstractDataset[optuna.Study, StudyStore]):
    """A study in an Optuna storage, loaded as a :class:`StudyStore`.

    Parameters
    ----------
    storage
        SQLAlchemy URL or journal file path; see :class:`StudyStore`.
    study_name
        Name of the study.
    heartbeat_interval
        See :class:`StudyStore`; ``null`` turns heartbeats off.
    credentials
        Optional ``{"url": ...}`` from ``conf/local/credentials.yml`` that replaces
        ``storage`` (e.g. a PostgreSQL URL with its password).
    """

    def __init__(
        self,
        storage: str,
        study_name: str,
        heartbeat_interval: int | None = 60,
        credentials: dict[str, str] | None = None,
    ) -> None:
        url = (credentials or {}).get("url", storage)
        self._store = StudyStore(url, study_name, heartbeat_interval)

    def load(self) -> StudyStore:
        return self._store

    def save(self, data: optuna.Study) -> None:
        # The trials were written to the storage as they ran; copying them again could
        # only duplicate or, on failure, lose them.
        if data.study_name != self._store.study_name or not self._store.exists():
            raise DatasetError(
                f"Study '{data.study_name}' was not run in '{self._store.storage}' as "
                f"'{self._store.study_name}': tuning nodes must optimise the study they loaded."
            )

    def _exists(self) -> bool:
        return self._store.exists()

    def _describe(self) -> dict[str, Any]:
        # Never show a URL's password in logs or kedro-viz.
        return {"storage": _redacted(self._store.storage), "study_name": self._store.study_name}


def _redacted(url: str) -> str:
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    return f"{scheme}://***@{rest.rsplit('@', 1)[1]}"
