"""A trained classifier as safetensors weights and a JSON config: no pickle, no code to trust."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError

from arxiv_pipeline.classifier.model import ClassifierCheckpoint

from ._atomic import replace_folder

WEIGHTS = "model.safetensors"
CONFIG = "config.json"


class ClassifierDataset(AbstractDataset[ClassifierCheckpoint, ClassifierCheckpoint]):
    """A folder holding ``model.safetensors`` and ``config.json``.

    Saving writes a new folder beside the old one and swaps them only once both files
    are complete, so a reader never sees the weights of one run with the config of another.

    Parameters
    ----------
    filepath
        The folder.
    """

    def __init__(self, filepath: str) -> None:
        self._filepath = Path(filepath)

    def load(self) -> ClassifierCheckpoint:
        # Imported here: every pipeline imports this package, few of them need torch.
        from safetensors.torch import load_file

        if not self._exists():
            raise DatasetError(
                f"No classifier in '{self._filepath}': "
                "run `kedro run --pipelines classifier_tuning`."
            )
        return ClassifierCheckpoint(
            config=json.loads((self._filepath / CONFIG).read_text()),
            tensors=load_file(self._filepath / WEIGHTS, device="cpu"),
        )

    def save(self, data: ClassifierCheckpoint) -> None:
        from safetensors.torch import save_file

        def write(folder: Path) -> None:
            # safetensors stores each tensor's own bytes: views must be made contiguous.
            tensors = {name: tensor.contiguous() for name, tensor in data.tensors.items()}
            save_file(tensors, folder / WEIGHTS)
            (folder / CONFIG).write_text(json.dumps(data.config, indent=2))

        replace_folder(self._filepath, write)

    def _exists(self) -> bool:
        return (self._filepath / WEIGHTS).is_file() and (self._filepath / CONFIG).is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}
