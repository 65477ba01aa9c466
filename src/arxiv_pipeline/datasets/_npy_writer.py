"""Writing a float32 ``.npy`` matrix row block by row block, its disk space reserved first."""

from __future__ import annotations

import os
import weakref
from pathlib import Path
from typing import BinaryIO

import numpy as np
from numpy.lib import format as npy_format

from ._atomic import partial_path


class NpyRowWriter:
    """A ``(rows, dim)`` float32 ``.npy`` file written in order through a file handle.

    The whole file is reserved on opening (``posix_fallocate``), so a full disk fails at
    once with ``No space left on device`` naming the file, not hours later; and rows go
    through ``write``, never through a memory map, so a full disk can never be a SIGBUS.
    The file is written under ``<name>.partial`` and renamed by :meth:`finish`; a writer
    that does not finish (refused rows, a node that fails between two saves) removes it
    on :meth:`abort`, when it is garbage-collected, or when the interpreter exits.
    """

    def __init__(self, path: Path, rows: int, dim: int) -> None:
        self.path = path
        self.rows, self.dim = rows, dim
        self.written = 0
        self._partial = partial_path(path)
        self._file = self._partial.open("wb")
        # Not a method of self: a finalizer holding self would keep it alive forever.
        self._remove = weakref.finalize(self, _remove, self._file, self._partial)
        header = {"descr": "<f4", "fortran_order": False, "shape": (rows, dim)}
        npy_format.write_array_header_1_0(self._file, header)
        size = self._file.tell() + rows * dim * 4
        try:
            _reserve(self._file.fileno(), size)
        except OSError as error:
            self.abort()
            raise OSError(
                error.errno,
                f"{os.strerror(error.errno)}: cannot reserve {size:,} bytes for '{path}'",
            ) from None

    def write(self, start: int, vectors: np.ndarray) -> None:
        """Write ``vectors`` as rows ``start:start + len(vectors)``, the next rows in order.

        Raises
        ------
        ValueError
            If the rows are not the next ones, or have another width or too many rows; the
            partial file is removed, as the matrix can no longer be completed.
        """
        if start != self.written or vectors.ndim != 2 or vectors.shape[1] != self.dim:
            self.abort()
            raise ValueError(
                f"'{self.path}': expected rows from {self.written} of width {self.dim}, got "
                f"rows from {start} of shape {vectors.shape}."
            )
        if start + len(vectors) > self.rows:
            self.abort()
            raise ValueError(f"'{self.path}': more than the {self.rows} rows reserved.")
        self._file.write(np.ascontiguousarray(vectors, dtype="<f4").data)
        self.written += len(vectors)

    def finish(self) -> None:
        """Check every row was written, make it durable, and rename it into place."""
        if self.written != self.rows:
            self.abort()
            raise ValueError(f"'{self.path}': {self.written} of {self.rows} rows were written.")
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        os.replace(self._partial, self.path)
        self._remove.detach()

    def abort(self) -> None:
        """Close and remove the partial file (once; later calls do nothing)."""
        self._remove()


def _remove(file: BinaryIO, partial: Path) -> None:
    file.close()
    partial.unlink(missing_ok=True)


def _reserve(descriptor: int, size: int) -> None:
    if hasattr(os, "posix_fallocate"):
        os.posix_fallocate(descriptor, 0, size)
    else:  # macOS: no reservation; a full disk is still an OSError from write, not SIGBUS
        os.ftruncate(descriptor, size)
