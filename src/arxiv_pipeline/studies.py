"""The Optuna studies at hand: found under a folder, opened read-only, summarised.

``kedro studies list`` and ``kedro studies dashboard`` read storages written by any
Optuna version since 3.0 (SQLite files, journal files) without writing to them: SQLite
files are opened in SQLite's read-only mode, with no table creation and no schema
check, so a storage of an older Optuna is neither migrated nor refused; a journal is
read through a backend that refuses every write, so neither the dashboard's buttons nor
its HTTP API (``DELETE /api/studies/0``) can change a study.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import optuna
from optuna.exceptions import StorageInternalError
from optuna.storages import BaseStorage, JournalStorage, RDBStorage
from optuna.storages.journal import BaseJournalBackend, JournalFileBackend
from optuna.trial import TrialState
from sqlalchemy.exc import SQLAlchemyError

#: File endings of SQLite storages.
SQLITE_SUFFIXES = (".db", ".sqlite", ".sql")
#: Endings that say a file is a storage: one of them that cannot be read is reported.
_STORAGE_SUFFIXES = (".db", ".sqlite", ".journal")
_SQLITE_HEADER = b"SQLite format 3\x00"
#: Every line of an Optuna journal file is a JSON operation that starts so.
_JOURNAL_START = b'{"op_code"'

#: What reading a damaged storage raises: SQLite and SQLAlchemy errors (not a database,
#: no Optuna tables; Optuna wraps those of its sessions in StorageInternalError), a
#: journal's undecodable lines (ValueError), a file that went away.
STORAGE_ERRORS = (sqlite3.Error, SQLAlchemyError, StorageInternalError, ValueError, OSError)


class ReadOnlyStorageError(PermissionError):
    """Something tried to write to a storage opened read-only."""


class _ReadOnlyJournal(BaseJournalBackend):
    """A journal file's operations, read; every write refused."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._reader = JournalFileBackend(str(path))

    def read_logs(self, log_number_from: int) -> Iterable[dict[str, Any]]:
        return self._reader.read_logs(log_number_from)

    def append_logs(self, logs: list[dict[str, Any]]) -> None:
        raise ReadOnlyStorageError(f"{self._path} is opened read-only: studies are never changed here.")


@dataclass(frozen=True)
class StudySummary:
    """One study of a storage, as ``kedro studies list`` prints it."""

    storage: str
    study_name: str
    study_id: int
    directions: tuple[str, ...]
    counts: dict[str, int]
    best_values: tuple[float, ...] | None
    best_params: dict[str, Any]
    n_best: int

    def row(self) -> list[str]:
        """The table cells: storage, study, direction(s), trial counts, best value and params."""
        best = "-"
        if self.best_values is not None:
            best = " / ".join(f"{value:.4g}" for value in self.best_values)
            if self.n_best > 1:
                best += f" (1 of {self.n_best} Pareto-optimal)"
        params = ", ".join(f"{name}={_short(value)}" for name, value in self.best_params.items())
        return [
            self.storage,
            self.study_name,
            ",".join(self.directions),
            *(str(self.counts[state]) for state in COUNTED),
            best,
            params or "-",
        ]


#: Trial states the summary counts, by their column names.
COUNTED = {
    "complete": TrialState.COMPLETE,
    "pruned": TrialState.PRUNED,
    "failed": TrialState.FAIL,
    "running": TrialState.RUNNING,
}
HEADER = ["storage", "study", "direction", *COUNTED, "best value", "best params"]


def _short(value: Any) -> str:
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _starts_with(path: Path, prefix: bytes) -> bool:
    with path.open("rb") as file:
        return file.read(len(prefix)) == prefix


def is_storage_file(path: Path) -> bool:
    """Whether ``path`` is an SQLite file with a storage's ending, or an Optuna journal."""
    if not path.is_file():
        return False
    if path.suffix in SQLITE_SUFFIXES and _starts_with(path, _SQLITE_HEADER):
        return True
    return _starts_with(path, _JOURNAL_START)


def find_storages(folder: Path) -> list[Path]:
    """The storage files under ``folder`` (and its subfolders), sorted.

    Those are the files that read as storages, and the files whose ending says they are
    one (``.db``, ``.sqlite``, ``.journal``) even when they do not read as one (empty,
    damaged): :func:`open_read_only` says what is wrong with those.
    """
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file() and (path.suffix in _STORAGE_SUFFIXES or is_storage_file(path))
    )


def open_read_only(storage: Path | str) -> BaseStorage:
    """A storage that reads ``storage`` (a file, or a database URL) and never writes it.

    A journal is only read by Optuna until a study is written to; an SQLite file is opened
    with ``mode=ro``; a database URL is opened without table creation or schema check
    (its user's rights decide the rest).
    """
    if isinstance(storage, str) and "://" in storage:
        return RDBStorage(storage, skip_compatibility_check=True, skip_table_creation=True)
    path = Path(storage).resolve()
    if path.is_file() and path.stat().st_size == 0:
        raise ValueError(f"{storage} is empty (0 bytes): not an Optuna storage.")
    if not is_storage_file(path):
        raise ValueError(f"{storage} is not an Optuna storage (an SQLite or journal file).")
    if not _starts_with(path, _SQLITE_HEADER):
        return JournalStorage(_ReadOnlyJournal(path))
    uri = f"{path.as_uri()}?mode=ro"
    # The URL only names the dialect: the connection comes from ``creator``, since
    # SQLAlchemy's own sqlite URLs cannot carry every path as a read-only URI.
    return RDBStorage(
        "sqlite://",
        engine_kwargs={"creator": lambda: sqlite3.connect(uri, uri=True, check_same_thread=False)},
        skip_compatibility_check=True,
        skip_table_creation=True,
    )


def summarize(storage: BaseStorage, label: str) -> list[StudySummary]:
    """One summary per study of ``storage``; ``label`` names the storage in them."""
    summaries = []
    for frozen in storage.get_all_studies():
        study = optuna.load_study(study_name=frozen.study_name, storage=storage)
        trials = study.get_trials(deepcopy=False)
        counts = {
            name: sum(trial.state == state for trial in trials) for name, state in COUNTED.items()
        }
        best = _best(study)
        summaries.append(
            StudySummary(
                storage=label,
                study_name=frozen.study_name,
                study_id=storage.get_study_id_from_name(frozen.study_name),
                directions=tuple(direction.name.lower() for direction in frozen.directions),
                counts=counts,
                best_values=None if best is None else tuple(best.values),
                best_params={} if best is None else best.params,
                n_best=_n_best(study) if best is not None else 0,
            )
        )
    return summaries


def _n_best(study: optuna.Study) -> int:
    """Pareto-optimal trials of a multi-objective study; a single objective has one best."""
    return len(study.best_trials) if len(study.directions) > 1 else 1


def read_storages(
    labelled: list[tuple[Path | str, str]],
) -> tuple[list[StudySummary], list[tuple[str, str]]]:
    """The studies of every readable storage, and each unreadable one with its error.

    ``labelled`` pairs a storage (file or URL) with the label that names it in output.
    """
    summaries, unreadable = [], []
    for storage, label in labelled:
        try:
            summaries += summarize(open_read_only(storage), label)
        except STORAGE_ERRORS as error:
            unreadable.append((label, _reason(error)))
    return summaries, unreadable


def _reason(error: Exception) -> str:
    """One line saying why a storage cannot be read (the database's error, not Optuna's wrapper)."""
    if isinstance(error, StorageInternalError) and error.__cause__ is not None:
        error = error.__cause__
    return f"{type(error).__name__}: {error}".splitlines()[0]


def _best(study: optuna.Study) -> optuna.trial.FrozenTrial | None:
    """The best trial; with several objectives, the Pareto-optimal one best in the first."""
    if not study.get_trials(deepcopy=False, states=(TrialState.COMPLETE,)):
        return None
    if len(study.directions) == 1:
        return study.best_trial
    sign = 1 if study.directions[0] == optuna.study.StudyDirection.MINIMIZE else -1
    return min(study.best_trials, key=lambda trial: sign * trial.values[0])


def format_table(rows: list[list[str]]) -> str:
    """Rows as aligned text columns, under :data:`HEADER`; the last column is left ragged."""
    table = [HEADER, *rows]
    widths = [max(len(row[column]) for row in table) for column in range(len(HEADER) - 1)]
    return "\n".join(
        "  ".join([*(cell.ljust(width) for cell, width in zip(row, widths, strict=False)), row[-1]])
        for row in table
    )


def _given_file(name: str) -> Path:
    """The storage file at path ``name`` (as ``kedro studies list`` prints it, or any other).

    Raises
    ------
    LookupError
        If it cannot be read as an Optuna storage, saying why.
    """
    path = Path(name).resolve()
    try:
        optuna.get_all_study_names(open_read_only(path))
    except STORAGE_ERRORS as error:
        reason = _reason(error)
        raise LookupError(f"{name} cannot be opened as an Optuna storage: {reason}") from error
    return path


def locate(storages: list[Path], name: str | None) -> tuple[Path, int | None]:
    """The storage to open for ``name``, and the id of the study of that name in it.

    ``name`` is a study name, the name of a storage file among ``storages``, or the path
    of a storage file (relative to the working directory, or absolute) wherever it is;
    None takes every storage. Where several match (the same study in SQLite and in a
    journal), the most recently written wins.

    Raises
    ------
    LookupError
        If no storage matches, naming the storages and studies there are, or if the file
        ``name`` names is not a readable storage.
    """
    if name is not None and Path(name).is_file():
        return _given_file(name), None
    matches: list[tuple[Path, int | None]] = []
    known: dict[str, list[str] | str] = {}
    for path in storages:
        try:
            storage = open_read_only(path)
            names = optuna.get_all_study_names(storage)
        except STORAGE_ERRORS as error:  # a damaged storage hides no other
            known[str(path)] = f"unreadable: {_reason(error)}"
            continue
        known[str(path)] = names
        if name is None or name == path.name:
            matches.append((path, None))
        elif name in names:
            matches.append((path, storage.get_study_id_from_name(name)))
    if not matches:
        raise LookupError(f"No study or storage file {name!r}; there are: {known or 'none'}.")
    return max(matches, key=lambda match: match[0].stat().st_mtime)
