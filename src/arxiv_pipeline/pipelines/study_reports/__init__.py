"""Study reports: figures of each Optuna study, and how many topics the topic study supports."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
