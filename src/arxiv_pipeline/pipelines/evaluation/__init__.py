"""Evaluation: the classifier and the topic model on held-out papers, beside their baselines."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
