"""The project's own parameters as the typed settings Kedro builds, for unit tests."""

from __future__ import annotations

from functools import cache
from typing import Any

from kedro.config import OmegaConfigLoader

from arxiv_pipeline.classifier.settings import ClassifierTuning
from arxiv_pipeline.topics.settings import TopicTuning
from tests.conftest import REPO_ROOT


@cache
def _parameters() -> dict[str, Any]:
    loader = OmegaConfigLoader(str(REPO_ROOT / "conf"), base_env="base", default_run_env="base")
    return loader["parameters"]


def embeddings_settings() -> dict[str, Any]:
    """``conf/base``'s ``embeddings`` parameters, as the yml holds them."""
    return _parameters()["embeddings"]


def topic_tuning(**overrides: Any) -> TopicTuning:
    """``conf/base``'s ``topic_tuning`` with ``overrides``, built as Kedro builds it."""
    return TopicTuning(**{**_parameters()["topic_tuning"], **overrides})


def classifier_tuning(**overrides: Any) -> ClassifierTuning:
    """``conf/base``'s ``classifier_tuning`` with ``overrides``, built as Kedro builds it."""
    return ClassifierTuning(**{**_parameters()["classifier_tuning"], **overrides})
