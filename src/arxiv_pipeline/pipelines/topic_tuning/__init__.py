"""Topic tuning: an Optuna study of BERTopic over cached embeddings, and the final topic model."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
