"""The project's own parameters as the typed settings Kedro builds, for unit tests."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np
import pandas as pd
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


def paper_splits_by_size(
    train_per_size: dict[float, int], validation_per_size: dict[float, int] | None = None
) -> pd.DataFrame:
    """paper_splits with this many train papers in each size bucket, and validation papers
    likewise (default: 10, all in the whole split).

    Ids are row numbers and splits categorical (no Python string per paper: quick at
    millions of papers); subsets are counted as on the real dataset.
    """
    validation_per_size = validation_per_size or {1.0: 10}
    sizes = [np.repeat(list(per_size), list(per_size.values())) for per_size in (train_per_size, validation_per_size)]
    return pd.DataFrame({
        "id": np.arange(sum(map(len, sizes))),
        "split": pd.Categorical.from_codes(
            np.repeat([0, 1], [len(sizes[0]), len(sizes[1])]), ["train", "validation"]
        ),
        "size_fraction": np.concatenate(sizes),
    })
