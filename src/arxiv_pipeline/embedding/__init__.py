"""Embedding models: typed settings, model files, devices, and one encoder per backend.

Heavy libraries (torch, sentence-transformers, scikit-learn) are imported only when a
model is loaded or fitted, so importing this package is cheap.
"""

from .device import resolve_device
from .encoders import Encoder, make_encoder
from .sources import DEFAULT_MODEL, ModelSource, hash_model_files, resolve_model
from .specs import (
    EmbeddingModelError,
    EmbeddingsParams,
    EncodingSettings,
    ModelSpec,
    SentenceTransformerSpec,
    TfidfSvdSpec,
    model_settings,
    model_spec,
)

__all__ = [
    "DEFAULT_MODEL",
    "EmbeddingModelError",
    "EmbeddingsParams",
    "Encoder",
    "EncodingSettings",
    "ModelSource",
    "ModelSpec",
    "SentenceTransformerSpec",
    "TfidfSvdSpec",
    "hash_model_files",
    "make_encoder",
    "model_settings",
    "model_spec",
    "resolve_device",
    "resolve_model",
]
