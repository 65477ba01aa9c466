"""How a study's storage is written: a URL or a file, and the URL as logs may show it."""

from __future__ import annotations

import re
from collections.abc import Mapping

from kedro.io import DatasetError
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

#: Query parameters of a database URL whose values are secrets (``?password=...``).
_SECRET_QUERY = re.compile(r"pass|pwd|secret|token|key|auth|credential", re.IGNORECASE)


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
