"""The arXiv metadata snapshot as a Kedro dataset that streams its lines.

The snapshot is several gigabytes of JSON lines, shipped plain, gzipped or zipped.
Loading it returns a :class:`SnapshotSource`, a handle that yields blocks of whole
lines, so the ingestion nodes never hold more than one block in memory. When no
snapshot is present the dataset falls back to the project's synthetic demo corpus,
written next to where the snapshot would be, and says so.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from kedro.io import AbstractDataset, DatasetError

from arxiv_pipeline.demo_corpus import write_demo_corpus

logger = logging.getLogger(__name__)

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"


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


@dataclass(frozen=True)
class SnapshotSource:
    """Where the snapshot lives and how to read it.

    Attributes
    ----------
    path
        The file: plain JSON lines, gzip, or a zip archive holding one ``.json`` member.
    is_demo
        True when ``path`` is the synthetic demo corpus rather than the user's snapshot.
    """

    path: Path
    is_demo: bool = False

    @property
    def compression(self) -> str:
        """``"gzip"``, ``"zip"`` or ``"none"``, read from the file's magic bytes."""
        with self.path.open("rb") as file:
            head = file.read(4)
        if head.startswith(_GZIP_MAGIC):
            return "gzip"
        if head.startswith(_ZIP_MAGIC):
            return "zip"
        return "none"

    @property
    def size_bytes(self) -> int | None:
        """Uncompressed size, None for gzip (its trailer keeps the size modulo 4 GiB only)."""
        compression = self.compression
        if compression == "zip":
            with zipfile.ZipFile(self.path) as archive:
                return _json_member(archive, self.path).file_size
        return None if compression == "gzip" else self.path.stat().st_size

    @contextlib.contextmanager
    def open(self) -> Iterator[IO[bytes]]:
        """Open the uncompressed byte stream."""
        compression = self.compression
        if compression == "gzip":
            with gzip.open(self.path, "rb") as stream:
                yield stream
        elif compression == "zip":
            with zipfile.ZipFile(self.path) as archive, archive.open(
                _json_member(archive, self.path)
            ) as stream:
                yield stream
        else:
            with self.path.open("rb") as stream:
                yield stream

    def iter_line_blocks(self, block_bytes: int = 16 << 20) -> Iterator[LineBlock]:
        """Yield blocks of about ``block_bytes`` holding whole lines, in file order."""
        next_line = 1
        with self.open() as stream:
            tail = b""
            while chunk := stream.read(block_bytes):
                data = tail + chunk
                cut = data.rfind(b"\n") + 1
                if cut == 0:  # one line longer than a block: keep reading
                    tail = data
                    continue
                data, tail = data[:cut], data[cut:]
                yield LineBlock(next_line, data)
                next_line += data.count(b"\n")
            if tail:
                yield LineBlock(next_line, tail)


def _json_member(archive: zipfile.ZipFile, path: Path) -> zipfile.ZipInfo:
    members = [info for info in archive.infolist() if info.filename.endswith(".json")]
    if len(members) != 1:
        names = [info.filename for info in archive.infolist()]
        raise DatasetError(
            f"'{path}' must hold exactly one '.json' member (the snapshot); it holds {names}."
        )
    return members[0]


class ArxivSnapshotDataset(AbstractDataset[None, SnapshotSource]):
    """Read-only dataset for ``arxiv-metadata-oai-snapshot.json`` in any of Kaggle's shapes.

    Parameters
    ----------
    filepath
        Where the plain snapshot would be. The dataset also looks for ``<filepath>.gz``,
        ``<filepath>.zip``, the same name with ``.zip`` instead of ``.json``, and the
        ``arxiv.zip`` that ``kaggle datasets download Cornell-University/arxiv`` writes,
        in that order.
    demo
        Used when none of those exist: ``filepath``, ``n_papers`` and ``seed`` of the
        synthetic demo corpus to write and read instead. ``None`` makes a missing
        snapshot an error.
    """

    def __init__(self, filepath: str, demo: dict[str, Any] | None = None) -> None:
        self._filepath = Path(filepath)
        self._demo = demo

    def candidates(self) -> list[Path]:
        """Paths searched for the snapshot, in order of preference."""
        path = self._filepath
        return [
            path,
            path.with_name(path.name + ".gz"),
            path.with_name(path.name + ".zip"),
            path.with_suffix(".zip"),
            path.with_name("arxiv.zip"),
        ]

    def load(self) -> SnapshotSource:
        for candidate in self.candidates():
            if candidate.is_file():
                logger.info("Reading the arXiv snapshot at '%s'.", candidate)
                return SnapshotSource(candidate.resolve())
        searched = ", ".join(f"'{path}'" for path in self.candidates())
        if self._demo is None:
            raise DatasetError(f"No arXiv snapshot found; looked for {searched}.")
        demo_path = write_demo_corpus(
            self._demo["filepath"], n_papers=self._demo["n_papers"], seed=self._demo["seed"]
        )
        logger.warning(
            "No arXiv snapshot found (looked for %s): using the SYNTHETIC demo corpus "
            "'%s' (%d papers). Download the snapshot from Kaggle (Cornell-University/arxiv) "
            "into '%s' to run on real data.",
            searched,
            demo_path,
            self._demo["n_papers"],
            self._filepath.parent,
        )
        return SnapshotSource(demo_path, is_demo=True)

    def save(self, data: None) -> None:
        raise DatasetError("The arXiv snapshot is read-only input.")

    def _exists(self) -> bool:
        return any(path.is_file() for path in self.candidates())

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "demo": self._demo}
