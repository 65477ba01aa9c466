"""Nodes of the embeddings pipeline: a split's texts -> its vectors by every configured model.

Each node encodes in chunks and yields them; Kedro saves every yielded item to
``<split>_embeddings``, which writes it to the model's file. The node's time in the run
log (and in ``kedro viz``) is the encoding's.
"""

from __future__ import annotations

from collections.abc import Iterator

from arxiv_pipeline.datasets.embeddings_dataset import SplitEmbeddings
from arxiv_pipeline.embedding.encoders import make_encoder
from arxiv_pipeline.embedding.encoding import encode_split
from arxiv_pipeline.embedding.specs import EmbeddingsParams
from arxiv_pipeline.embedding.vectors import EmbeddingsWrite
from arxiv_pipeline.text.templates import SplitTexts


def embed_texts(
    texts: SplitTexts,
    stored: SplitEmbeddings,
    embeddings: EmbeddingsParams,
    train_texts: SplitTexts | None = None,
) -> Iterator[EmbeddingsWrite]:
    """The split's vectors by each model of ``embeddings.models`` whose cache is stale.

    Every model is found (and its files hashed) before anything is encoded, so a missing
    one fails first. ``train_texts`` (``texts`` itself for the train split) is what
    TF-IDF + SVD is fitted on.
    """
    train = texts if train_texts is None else train_texts
    encoders = {
        key: make_encoder(key, spec, embeddings.encoding, train)
        for key, spec in embeddings.models.items()
    }
    yield from encode_split(texts, encoders, stored, embeddings.encoding.chunk_size)
