"""The topic_update pipeline: a new snapshot's new and revised papers placed on the saved topic map."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
