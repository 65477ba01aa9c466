"""A fitted BERTopic model saved with safetensors, and its config: no pickle, no code to trust."""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from kedro.io import AbstractDataset, DatasetError

from arxiv_pipeline.topics.bundle import TopicModelBundle

from ._atomic import replace_folder

#: BERTopic writes its own ``config.json`` (its constructor arguments) in the same folder.
CONFIG = "pipeline_config.json"


@contextlib.contextmanager
def _without_embedding_model_warning() -> Iterator[None]:
    """Silence BERTopic's warning that no embedding model is saved: that is the design here."""
    bertopic_logger = logging.getLogger("BERTopic")
    level = bertopic_logger.level
    bertopic_logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        bertopic_logger.setLevel(level)


class BERTopicDataset(AbstractDataset[TopicModelBundle, TopicModelBundle]):
    """A folder holding a BERTopic model in its ``safetensors`` serialisation and its config.

    The folder keeps the topics, their c-TF-IDF representation and topic embeddings;
    BERTopic assigns new documents by similarity to the topic embeddings (UMAP and
    HDBSCAN are not part of this format). No embedding model is saved: new documents
    are embedded by the model that ``pipeline_config.json`` names and passed to
    ``transform(documents, embeddings=...)``. Both are written to a new folder that
    replaces the old one only when complete.

    Parameters
    ----------
    filepath
        The folder.
    """

    def __init__(self, filepath: str) -> None:
        self._filepath = Path(filepath)

    def load(self) -> TopicModelBundle:
        if not (self._filepath / "topics.json").is_file():
            raise DatasetError(
                f"No BERTopic model in '{self._filepath}': run the topic_tuning pipeline."
            )
        if not (self._filepath / CONFIG).is_file():
            raise DatasetError(
                f"The topic model in '{self._filepath}' has no {CONFIG} (it was saved by an "
                "older version): run the topic_tuning pipeline again."
            )
        # Imported here: the nodes that build a bundle are imported by every kedro command.
        from bertopic import BERTopic

        with _without_embedding_model_warning():
            model = BERTopic.load(str(self._filepath))
        return TopicModelBundle(model, json.loads((self._filepath / CONFIG).read_text()))

    def save(self, data: TopicModelBundle) -> None:
        def write(folder: Path) -> None:
            with _without_embedding_model_warning():
                data.model.save(
                    str(folder),
                    serialization="safetensors",
                    save_ctfidf=True,
                    save_embedding_model=False,
                )
            (folder / CONFIG).write_text(json.dumps(data.config, indent=2))

        replace_folder(self._filepath, write)

    def _exists(self) -> bool:
        return (self._filepath / "topics.json").is_file() and (self._filepath / CONFIG).is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}
