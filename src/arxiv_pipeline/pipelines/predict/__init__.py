"""Predict: top categories and the topic of new abstracts, from a file or the command line."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
