"""Embeddings: the text of every paper of each split, embedded by every configured model, cached."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
