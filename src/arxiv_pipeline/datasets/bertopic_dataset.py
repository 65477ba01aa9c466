"""A fitted BERTopic model saved with safetensors: no pickle to load, no code to trust."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bertopic import BERTopic
from kedro.io import AbstractDataset, DatasetError

from ._folders import replace_folder


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


class BERTopicDataset(AbstractDataset[BERTopic, BERTopic]):
    """A folder holding a BERTopic model in its ``safetensors`` serialisation.

    The folder keeps the topics, their c-TF-IDF representation and topic embeddings;
    BERTopic assigns new documents by similarity to the topic embeddings (UMAP and
    HDBSCAN are not part of this format). No embedding model is saved: new documents
    are embedded by the pipeline's own model (``final_topic_metrics`` names it) and
    passed to ``transform(documents, embeddings=...)``.

    Parameters
    ----------
    filepath
        The folder.
    """

    def __init__(self, filepath: str) -> None:
        self._filepath = Path(filepath)

    def load(self) -> BERTopic:
        if not self._exists():
            raise DatasetError(f"No BERTopic model in '{self._filepath}': run the topic_tuning pipeline.")
        with _without_embedding_model_warning():
            return BERTopic.load(str(self._filepath))

    def save(self, data: BERTopic) -> None:
        def write(folder: Path) -> None:
            with _without_embedding_model_warning():
                data.save(
                    str(folder), serialization="safetensors", save_ctfidf=True, save_embedding_model=False
                )

        replace_folder(self._filepath, write)

    def _exists(self) -> bool:
        return (self._filepath / "topics.json").is_file()

    def _describe(self) -> dict[str, Any]:
        return {"filepath": str(self._filepath)}
