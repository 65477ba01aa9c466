"""The arXiv metadata snapshot as a Kedro dataset that streams its lines.

The snapshot is several gigabytes of JSON lines, shipped plain, gzipped or zipped.
Loading it returns a :class:`SnapshotSource`, a handle that yields blocks of whole
lines, so the ingestion nodes never hold more than one block in memory. The bundled
synthetic demo corpus is read only when chosen (``demo: true``); a snapshot that is not
where the user said is an error, never a reason to run on the demo.
"""

from __future__ import annotations

import contextlib
import gzip
import logging
import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from kedro.io import AbstractDataset, DatasetError

from arxiv_pipeline.corpus.lines import LineBlock
from arxiv_pipeline.demo import demo_corpus_path

logger = logging.getLogger(__name__)

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"


#: What a path that is not a regular file is, by the test of its mode.
_FILE_KINDS = (
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
)


def _special_kind(path: Path) -> str | None:
    """What ``path`` is when it exists but is neither a regular file nor a directory."""
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        return None
    return next((kind for is_kind, kind in _FILE_KINDS if is_kind(mode)), None)


class SnapshotReadError(DatasetError):
    """The snapshot file is empty or breaks off: the input is at fault, not a dataset."""


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
        """Yield blocks of about ``block_bytes`` holding whole lines, in file order.

        Raises
        ------
        SnapshotReadError
            If the file holds no bytes, or its compressed stream breaks off (a truncated
            download), naming the file and the last line read.
        """
        next_line = 1
        try:
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
        except (EOFError, OSError, zlib.error, zipfile.BadZipFile) as error:
            raise SnapshotReadError(
                f"The arXiv snapshot '{self.path}' ({self.compression}) could not be read "
                f"after line {next_line - 1}: {error}. Is the download complete? "
                "(`gzip -t` or `unzip -t` checks an archive.)"
            ) from error
        if next_line == 1 and not tail:
            raise SnapshotReadError(f"The arXiv snapshot '{self.path}' is empty: it holds no lines.")


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
        True reads the bundled synthetic demo corpus instead, and ignores ``filepath``.
    """

    def __init__(self, filepath: str, demo: bool = False) -> None:
        if not isinstance(demo, bool):
            raise DatasetError(f"ArxivSnapshotDataset: 'demo' must be true or false; got {demo!r}.")
        self._filepath = Path(filepath)
        self._is_demo = demo

    def candidates(self) -> list[Path]:
        """Paths searched for the snapshot, in order of preference."""
        if self._is_demo:
            return [demo_corpus_path()]
        path = self._filepath
        return [
            path,
            path.with_name(path.name + ".gz"),
            path.with_name(path.name + ".zip"),
            path.with_suffix(".zip"),
            path.with_name("arxiv.zip"),
        ]

    def load(self) -> SnapshotSource:
        """The snapshot's source.

        Raises
        ------
        DatasetError
            If ``filepath`` is a directory or another file that is not a regular one (a
            FIFO, a socket, a device), or no candidate file exists; the message names
            every path searched, how to get the snapshot and how to run the demo.
        """
        if self._is_demo:
            path = demo_corpus_path()
            logger.warning(
                "Running on the SYNTHETIC demo corpus '%s' (chosen with demo=true), not on "
                "arXiv data: its topics and metrics describe planted structure only.",
                path,
            )
            return SnapshotSource(path, is_demo=True)
        if self._filepath.is_dir():
            raise DatasetError(
                f"The arXiv snapshot path '{self._filepath}' is a directory; name the snapshot "
                "file in it, e.g. snapshot_path="
                f"{self._filepath / 'arxiv-metadata-oai-snapshot.json'}."
            )
        kind = _special_kind(self._filepath)
        if kind is not None:
            # The file is opened more than once (its magic bytes, then its lines): a stream
            # would lose what the first opening read.
            raise DatasetError(
                f"The arXiv snapshot path '{self._filepath}' is {kind}, not a regular file: "
                "ingestion reads the snapshot more than once. Save it to a file (plain JSON "
                "lines, .gz or .zip) and pass that path as snapshot_path."
            )
        for candidate in self.candidates():
            if candidate.is_file():
                logger.info("Reading the arXiv snapshot at '%s'.", candidate)
                return SnapshotSource(candidate.resolve())
        searched = ", ".join(f"'{path}'" for path in self.candidates())
        raise DatasetError(
            f"No arXiv snapshot at '{self._filepath}'; looked for {searched}. Download it "
            "with `kaggle datasets download Cornell-University/arxiv` (or from "
            "https://www.kaggle.com/datasets/Cornell-University/arxiv) into "
            f"'{self._filepath.parent}', or pass its path with `kedro run --params "
            "snapshot_path=/path/to/arxiv-metadata-oai-snapshot.json`. To run on the "
            "bundled synthetic demo corpus instead: `kedro run --params demo=true`."
        )

    def save(self, data: None) -> None:
        raise DatasetError("The arXiv snapshot is read-only input.")

    def _exists(self) -> bool:
        return any(path.is_file() for path in self.candidates())

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath), "demo": self._is_demo}
