"""Ingestion: stream the arXiv snapshot into validated papers, labels and leak-free splits."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
