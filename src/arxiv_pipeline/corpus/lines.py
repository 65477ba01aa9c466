"""The unit the snapshot is read and parsed in: a block of whole lines."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class LineBlock:
    """Whole lines read from the snapshot.

    Attributes
    ----------
    first_line
        1-based number of the first line in ``data``.
    data
        The raw bytes of one or more lines, each ending in ``\\n`` except possibly
        the file's last line.
    """

    first_line: int
    data: bytes
