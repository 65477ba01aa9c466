"""Where a study lives, and its lifecycle: created or resumed, held while trials run, loaded.

A :class:`StudyStore` is what ``<study>_store`` and ``<study>``
(:class:`~arxiv_pipeline.datasets.OptunaStudyDataset`) load: the tuning nodes create or
resume the study through it, and hold an SQLite storage for their process while they
run trials (:meth:`StudyStore.exclusive`); the dataset only loads the handle and checks
on save that the study is stored.
"""

from __future__ import annotations

import fcntl
import re
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

import optuna
from kedro.io import DatasetError
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.storages.journal import JournalFileBackend
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

#: Query parameters of a database URL whose values are secrets (``?password=...``).
_SECRET_QUERY = re.compile(r"pass|pwd|secret|token|key|auth|credential", re.IGNORECASE)


def hide_password(url: str) -> str:
    """``url`` as SQLAlchemy renders it with ``hide_password``, secret query values masked too.

    ``postgresql://user:pw@host/db?password=pw`` becomes ``postgresql://user:***@host/db?
    password=***``. A journal path is returned as it is; a URL SQLAlchemy cannot parse
    becomes its scheme alone, since it may hold a secret anywhere.
    """
    if "://" not in url:
        return url
    try:
        parsed = make_url(url)
    except ArgumentError:
        return url.split("://", 1)[0] + "://***"
    masked = {
        name: "***" if _SECRET_QUERY.search(name) else value for name, value in parsed.query.items()
    }
    # The URL quotes the "***" of a masked query value as %2A%2A%2A; the password's stays.
    return parsed.set(query=masked).render_as_string(hide_password=True).replace("%2A%2A%2A", "***")


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
            # Kedro's error, as for any input a pipeline has not written yet.
            raise DatasetError(
                f"No study '{self.study_name}' in '{self.redacted}': run its tuning pipeline first."
            )
        return optuna.load_study(
            study_name=self.study_name, storage=self.open_storage(), sampler=sampler, pruner=pruner
        )
