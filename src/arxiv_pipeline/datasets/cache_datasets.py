"""Caches that a node reads (``<name>_store``) and writes back (``<name>``): absent means empty.

A first run finds nothing stored; a node that reuses what earlier runs made would fail on
the loading of a missing file. These datasets load as empty instead.
"""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset

from ._atomic import replace_file


class JSONCacheDataset(AbstractDataset[dict[str, Any], dict[str, Any]]):
    """A JSON object in one file; ``{}`` where the file does not exist yet.

    Parameters
    ----------
    filepath
        The file, replaced whole on every save (never left half-written).
    """

    def __init__(self, filepath: str) -> None:
        self._filepath = Path(filepath)

    def load(self) -> dict[str, Any]:
        return json.loads(self._filepath.read_text()) if self._filepath.is_file() else {}

    def save(self, data: dict[str, Any]) -> None:
        self._filepath.parent.mkdir(parents=True, exist_ok=True)
        replace_file(self._filepath, lambda path: path.write_text(json.dumps(data, indent=2)))

    def _exists(self) -> bool:
        return self._filepath.is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}


class StoredModels(Mapping[str, Any]):
    """``{key: model}`` over the ``<key>.pkl`` files of a folder, each unpickled on first access."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._loaded: dict[str, Any] = {}

    def _path(self, key: str) -> Path:
        return self.folder / f"{key}.pkl"

    def __iter__(self) -> Iterator[str]:
        paths = sorted(self.folder.glob("*.pkl")) if self.folder.is_dir() else []
        return iter(path.stem for path in paths)

    def __len__(self) -> int:
        return sum(1 for _ in self)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self._path(key).is_file()

    def __getitem__(self, key: str) -> Any:
        if key not in self._loaded:
            if key not in self:
                raise KeyError(key)
            with self._path(key).open("rb") as stream:
                self._loaded[key] = pickle.load(stream)
        return self._loaded[key]


class PickledModelsDataset(AbstractDataset[Mapping[str, Any], StoredModels]):
    """Fitted models by key, one pickle per key in a folder.

    Loading gives a read-only :class:`StoredModels` (empty where the folder does not exist
    yet); saving ``{key: model}`` replaces those keys' files, each whole, and keeps the others.

    Parameters
    ----------
    path
        The folder (a ``path``, which Kedro makes absolute under the project).
    """

    def __init__(self, path: str) -> None:
        self._folder = Path(path)

    def load(self) -> StoredModels:
        return StoredModels(self._folder)

    def save(self, data: Mapping[str, Any]) -> None:
        self._folder.mkdir(parents=True, exist_ok=True)
        for key, model in data.items():
            replace_file(
                self._folder / f"{key}.pkl", lambda path, model=model: _pickle(model, path)
            )

    def _exists(self) -> bool:
        return self._folder.is_dir()

    def _describe(self) -> dict[str, Any]:
        return {"path": str(self._folder)}


def _pickle(model: Any, path: Path) -> None:
    with path.open("wb") as stream:
        pickle.dump(model, stream, protocol=pickle.HIGHEST_PROTOCOL)
