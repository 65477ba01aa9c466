"""Classifier tuning: an Optuna study of a multi-label PyTorch classifier on cached embeddings."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
