"""Topic views: topics over time, and topics against the arXiv taxonomy."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
