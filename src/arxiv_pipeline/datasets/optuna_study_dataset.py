"""Optuna studies as Kedro datasets that never lose a trial.

``kedro_datasets_experimental.optuna.StudyDataset`` saves by deleting the target study
and copying the returned one into it: a crash mid-copy, or a second worker saving, loses
trials. Here the tuning node runs its trials directly in the storage (so each trial is
recorded the moment it finishes, survives a kill, and shows live in optuna-dashboard),
and saving only checks that the returned study is stored there.

Load returns a :class:`~arxiv_pipeline.tuning.store.StudyStore`, a handle with which a
node creates or resumes the study with its own sampler and directions, or opens it for
reading. A dataset may name one storage per backend (``sqlite``, ``journal``,
``postgresql``); the node picks one, and another study name, with
:meth:`StudyStore.using` and :meth:`StudyStore.named`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import optuna
from kedro.io import AbstractDataset, DatasetError

from arxiv_pipeline.tuning.store import StudyStore

from ._storages import storage_location


class OptunaStudyDataset(AbstractDataset[optuna.Study, StudyStore]):
    """A study in an Optuna storage, loaded as a :class:`StudyStore`.

    Parameters
    ----------
    storage
        SQLAlchemy URL or journal file path; see :class:`StudyStore`. Or one per backend,
        ``{sqlite: ..., journal: ..., postgresql: null}``, of which a node picks one
        (:meth:`StudyStore.using`); the first is the default. A backend may be given as
        ``{path: <file>}``: an Optuna journal when the file ends in ``.journal``, else an
        SQLite database. Kedro makes a relative ``path`` absolute under the project (as a
        ``filepath``), so a notebook in ``notebooks/`` opens the same study as ``kedro
        run``; a URL or a bare journal path is used as written (relative to the working
        directory).
    study_name
        Name of the study.
    heartbeat_interval
        See :class:`StudyStore`; ``null`` turns heartbeats off.
    credentials
        Optional ``{"url": ...}`` from ``conf/local/credentials.yml`` (e.g. a PostgreSQL
        URL with its password): it replaces a single ``storage``, or fills the backends
        given as null.
    """

    def __init__(
        self,
        storage: str | Mapping[str, str | None],
        study_name: str,
        heartbeat_interval: int | None = 60,
        credentials: dict[str, str | None] | None = None,
    ) -> None:
        url = (credentials or {}).get("url")
        if isinstance(storage, str):
            self._store = StudyStore(url or storage, study_name, heartbeat_interval)
            return
        backends = {name: storage_location(name, location) or url for name, location in storage.items()}
        default = next(iter(backends.values()))
        if default is None:
            raise DatasetError(f"The first storage of study '{study_name}' needs a location.")
        self._store = StudyStore(default, study_name, heartbeat_interval, backends)

    def load(self) -> StudyStore:
        return self._store

    def _stores(self) -> list[StudyStore]:
        if not self._store.backends:
            return [self._store]
        return [self._store.using(name) for name, url in self._store.backends.items() if url]

    def save(self, data: optuna.Study) -> None:
        # Trials were written as they ran: copying them again could only duplicate or lose
        # them. The node may have named another study (``<study>.study_name``).
        if not any(store.named(data.study_name).exists() for store in self._stores()):
            raise DatasetError(
                f"Study '{data.study_name}' was not run in a storage of "
                f"'{self._store.study_name}': tuning nodes must optimise a study they loaded."
            )

    def _exists(self) -> bool:
        return any(store.exists() for store in self._stores())

    def _describe(self) -> dict[str, Any]:
        # Never show a URL's password in logs or kedro-viz.
        return {
            "storage": [store.redacted for store in self._stores()],
            "study_name": self._store.study_name,
        }
