"""The final topic model as a value: the fitted BERTopic model and its config.

``topic_model`` (:class:`~arxiv_pipeline.datasets.BERTopicDataset`) stores it as
safetensors and JSON, never pickled: no file names this module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bertopic import BERTopic


@dataclass(frozen=True)
class TopicModelBundle:
    """A fitted BERTopic model and everything needed to use it on new documents.

    Attributes
    ----------
    model
        The model; ``transform(documents, embeddings=...)`` takes embeddings made as
        ``config`` says.
    config
        JSON-serialisable: the embedding model (key, settings, identity, the training
        embeddings' cache key), the data fingerprint, the text template, ``topn`` and
        ``top_n_words``, the trial and its parameters.
    """

    model: BERTopic
    config: dict[str, Any]
