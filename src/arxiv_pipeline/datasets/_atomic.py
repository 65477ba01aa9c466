"""Replacing a file- or folder-shaped artifact so that readers only ever see a complete one."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
from collections.abc import Callable
from pathlib import Path


def partial_path(path: Path) -> Path:
    """The name a file is written under beside ``path`` before it replaces ``path``."""
    return path.with_name(path.name + ".partial")


def replace_file(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write`` on :func:`partial_path` of ``path``, then rename that to ``path``.

    A crash while writing leaves the old file (or none) at ``path``, never half a file.
    """
    partial = partial_path(path)
    write(partial)
    os.replace(partial, path)


def replace_folder(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write`` on a new folder beside ``path``, then swap it in for ``path``.

    ``path`` always holds a complete old or a complete new folder: only the two renames
    at the end touch it (a folder cannot replace a non-empty one in one rename). The
    temporary names carry the process id, since two runs of one study (two terminals)
    may save at the same moment; the last to save wins.
    """
    partial = path.with_name(f"{path.name}.partial-{os.getpid()}")
    previous = path.with_name(f"{path.name}.previous-{os.getpid()}")
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(parents=True)
    write(partial)
    while True:
        shutil.rmtree(previous, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            os.replace(path, previous)
        try:
            os.replace(partial, path)
            break
        except OSError as error:
            # Another process swapped its folder in between: move it aside too.
            if error.errno not in (errno.ENOTEMPTY, errno.EEXIST):
                raise
    shutil.rmtree(previous, ignore_errors=True)
