"""Optuna studies as Kedro datasets that never lose a trial.

``kedro_datasets_experimental.optuna.StudyDataset`` saves by deleting the target study
and copying the returned one into it: a crash mid-copy, or a second worker saving, loses
trials. Here the tuning node runs its trials directly in the storage (so each trial is
recorded the moment it finishes, survives a kill, and shows live in optuna-dashboard),
and saving only checks that the returned study is stored there.

Load returns a :class:`StudyStore`, a handle with which a node creates or resumes the
study with its own sampler and directions, or opens it for reading. A dataset may name
one storage per backend (``sqlite``, ``journal``, ``postgresql``); the node picks one, and
another study name, with :meth:`StudyStore.using` and :meth:`StudyStore.named`.
"""

from __future__ import annotations

import fcntl
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import optuna
from kedro.io import AbstractDataset, DatasetError
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend

from ._storages import hide_password, storage_location


class StorageInUseError(RuntimeError):
    """Another process runs trials on an SQLite storage, which is for one process."""


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
    backends
        The storages the same study may live in, by backend name (``sqlite``,
        ``journal``, ``postgresql``); None where a backend is not configured.
    """

    storage: str
    study_name: str
    heartbeat_interval: int | None = 60
    backends: Mapping[str, str | None] = field(default_factory=dict)

    @property
    def is_journal(self) -> bool:
        return self.storage.endswith(".journal")

    @property
    def is_sqlite(self) -> bool:
        return self.storage.startswith("sqlite:")

    @property
    def has_heartbeat(self) -> bool:
        """Whether Optuna marks the trials of dead processes FAIL (RDB storages only)."""
        return not self.is_journal and bool(self.heartbeat_interval)

    @property
    def redacted(self) -> str:
        """The storage, without a URL's password: for logs."""
        return hide_password(self.storage)

    def named(self, study_name: str | None) -> StudyStore:
        """The study ``study_name`` in the same storage (None: this study)."""
        return self if study_name is None else replace(self, study_name=study_name)

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold an SQLite storage for this process while it runs trials (others: no-op).

        SQLite is for one process: two runs would draw the same parameters from one seed,
        and two on a fresh file race to create its tables. The lock is an ``flock`` on a
        ``.lock`` file beside the database (closing a handle on the database itself would
        drop SQLite's own locks), released by the system however the process ends.

        Raises
        ------
        StorageInUseError
            If another process holds it, naming the file and the storage to use instead.
        """
        if not self.storage.startswith("sqlite:///"):
            yield
            return
        path = Path(self.storage.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(f"{path}.lock", "a") as lock:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise StorageInUseError(
                    f"Another run is running trials in '{path}', and SQLite is for one process: "
                    "wait for it, or set the storage to journal (several processes on one "
                    "machine: --params topic_tuning.storage=journal) or postgresql."
                ) from None
            yield

    def using(self, backend: str | None) -> StudyStore:
        """The same study in the storage of ``backend`` (None: this storage).

        Raises
        ------
        ValueError
            If the backend is unknown, or configured without a location (a PostgreSQL
            URL missing from ``conf/local/credentials.yml``).
        """
        if backend is None:
            return self
        if backend not in self.backends:
            raise ValueError(
                f"Unknown storage {backend!r} for study '{self.study_name}': choose one of "
                f"{sorted(self.backends)}."
            )
        location = self.backends[backend]
        if location is None:
            raise ValueError(
                f"Storage {backend!r} of study '{self.study_name}' has no URL: add it to "
                "conf/local/credentials.yml under the catalog entry's credentials key, "
                "e.g. 'topic_study_db: {url: postgresql+psycopg://user:password@host:5432/optuna}'."
            )
        return replace(self, storage=location)

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
        # Asking a storage file that is not there would create it.
        if self.is_journal and not Path(self.storage).is_file():
            return False
        if self.is_sqlite and not Path(self.storage.removeprefix("sqlite:///")).is_file():
            return False
        return self.study_name in optuna.get_all_study_names(storage=self.open_storage())

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
                f"Study '{self.study_name}' in '{self.redacted}' optimises {stored}, not "
                f"{directions}: choose another study_name for a new objective."
            )
        return study

    def load(
        self,
        sampler: optuna.samplers.BaseSampler | None = None,
        pruner: optuna.pruners.BasePruner | None = None,
    ) -> optuna.Study:
        """The existing study.

        Raises
        ------
        DatasetError
            If the storage holds no study of that name.
        """
        if not self.exists():
            raise DatasetError(
                f"No study '{self.study_name}' in '{self.redacted}': run its tuning pipeline first."
            )
        return optuna.load_study(
            study_name=self.study_name, storage=self.open_storage(), sampler=sampler, pruner=pruner
        )


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
