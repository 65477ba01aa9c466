"""How a study's storage is written in the catalog: a URL, or a file."""

from __future__ import annotations

from collections.abc import Mapping

from kedro.io import DatasetError


def storage_location(backend: str, location: str | Mapping[str, str] | None) -> str | None:
    """A backend's storage as a ``StudyStore`` takes it: a URL, or a journal file's path.

    A string is kept as written; ``{path: <file>}`` is an Optuna journal when the file
    ends in ``.journal``, else an SQLite database (``sqlite:///<file>``).

    Raises
    ------
    DatasetError
        If a mapping holds anything but ``path``.
    """
    if location is None or isinstance(location, str):
        return location
    if set(location) != {"path"}:
        raise DatasetError(
            f"Storage {backend!r}: give a URL, or {{path: <file>}} for an SQLite or journal "
            f"(.journal) file; got the keys {sorted(location)}."
        )
    path = location["path"]
    return path if path.endswith(".journal") else f"sqlite:///{path}"
