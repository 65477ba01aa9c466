"""What a trained model was built on: the papers' splits and the embeddings, and the checks.

A trained model (the topic model, the classifier) records in its config the
:func:`lineage` it was built on. Predict refuses two models whose lineages differ, and
evaluation refuses a model whose lineage is not the current data's: either would answer
with rc 0 for papers or embeddings the model never saw.
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from arxiv_pipeline.corpus.splitting import splits_fingerprint
from arxiv_pipeline.embedding.vectors import Embeddings

from .specs import ModelSpec, model_settings

#: The keys of a model's config that :func:`lineage` writes.
LINEAGE_KEYS = (
    "data_fingerprint",
    "embedding_model",
    "embedding_settings",
    "embedding_identity",
    "embedding_cache_key",
)


class LineageMismatchError(ValueError):
    """Two models, or a model and the current data, were not built on the same data."""


def embedding_identity(embeddings: Embeddings) -> dict[str, Any]:
    """The model that made these embeddings (its cache key without the texts).

    An encoder with the same ``identity`` embeds new texts as these were embedded.
    """
    cache_key = embeddings.metadata["cache_key"]
    return {
        name: value for name, value in cache_key.items() if name not in ("text_fingerprint", "rows")
    }


def lineage(
    paper_splits: pd.DataFrame, model_key: str, spec: ModelSpec, train: Embeddings
) -> dict[str, Any]:
    """The config entries that say what a model was built on.

    Parameters
    ----------
    paper_splits
        The splits the model was trained on.
    model_key, spec
        ``embeddings.models.<model_key>``: enough to build the encoder again. It is
        recorded as :func:`~arxiv_pipeline.embedding.specs.model_settings` writes it.
    train
        The training split's embeddings the model was fitted on.
    """
    return _lineage(paper_splits, model_key, model_settings(spec), train)


def _lineage(
    paper_splits: pd.DataFrame, model_key: str, settings: dict[str, Any], train: Embeddings
) -> dict[str, Any]:
    """:func:`lineage` with the model's settings as a config records them."""
    return {
        "data_fingerprint": splits_fingerprint(paper_splits),
        "embedding_model": model_key,
        "embedding_settings": settings,
        "embedding_identity": embedding_identity(train),
        "embedding_cache_key": train.metadata["cache_key"],
    }


def _differences(first: dict[str, Any], second: dict[str, Any]) -> list[str]:
    """What two lineages disagree on: the data, the texts, or the same model's embeddings."""
    found = []
    if first["data_fingerprint"] != second["data_fingerprint"]:
        found.append("data_fingerprint")
    first_key, second_key = first["embedding_cache_key"], second["embedding_cache_key"]
    # Two embedding models of the same texts are fine; the same model must be the same embeddings.
    if first_key["text_fingerprint"] != second_key["text_fingerprint"]:
        found.append("embedding_cache_key.text_fingerprint")
    elif first["embedding_model"] == second["embedding_model"] and first_key != second_key:
        found.append("embedding_cache_key")
    return found


def _described(name: str, config: dict[str, Any]) -> str:
    return (
        f"{name}: data {config['data_fingerprint']}, '{config['embedding_model']}' embeddings "
        f"{config['embedding_cache_key']}"
    )


def _check_recorded(name: str, config: dict[str, Any]) -> None:
    """Refuse a config written before models recorded their lineage."""
    missing = [key for key in LINEAGE_KEYS if key not in config]
    if missing:
        raise LineageMismatchError(
            f"The {name} does not record what it was built on ({', '.join(missing)} "
            "missing): run the topic_tuning and classifier_tuning pipelines again."
        )


def check_models_agree(models: dict[str, dict[str, Any]]) -> None:
    """Refuse models (name -> config) that were not built on the same data and embeddings.

    Raises
    ------
    LineageMismatchError
        Naming every model and what it was built on; also for a config written before
        models recorded their lineage.
    """
    for name, config in models.items():
        _check_recorded(name, config)
    (first_name, first), *others = models.items()
    for name, config in others:
        differences = _differences(first, config)
        if differences:
            raise LineageMismatchError(
                f"The {first_name} and the {name} were not built on the same data "
                f"({', '.join(differences)} differ): {_described(first_name, first)}; "
                f"{_described(name, config)}. Run the topic_tuning and classifier_tuning "
                "pipelines again on the same data."
            )


def check_model_matches_data(
    name: str, config: dict[str, Any], paper_splits: pd.DataFrame, train: Embeddings | None
) -> None:
    """Refuse a model that was not built on the current splits and training embeddings.

    Parameters
    ----------
    name, config
        The model (for messages) and its config.
    paper_splits
        The current splits.
    train
        The current training embeddings of the model's ``embedding_model`` (None when
        that model is no longer stored).

    Raises
    ------
    LineageMismatchError
        Naming the model, what it was built on and what the data is now.
    """
    key = config.get("embedding_model")
    if train is None:
        raise LineageMismatchError(
            f"The {name} was built on '{key}' embeddings, which are no longer configured "
            "(embeddings.models): restore that model, or run its tuning pipeline again."
        )
    # The settings are the model's own: the checks compare the data and the embeddings.
    current = _lineage(paper_splits, key, config.get("embedding_settings", {}), train)
    check_models_agree({name: config, "current data": current})


def check_embeds_like_model(name: str, config: dict[str, Any], embeddings: Embeddings | None) -> None:
    """Refuse embeddings that the model's embedding model, as the model recorded it, did not make.

    Unlike :func:`check_model_matches_data`, other papers and splits are allowed: the
    topic_update pipeline places a new snapshot's papers on a model built on an older
    one, which is sound as long as their vectors are made as the model's training
    vectors were.

    Parameters
    ----------
    name, config
        The model (for messages) and its config.
    embeddings
        Current embeddings of the model's ``embedding_model`` (any split; None when that
        model is no longer stored).

    Raises
    ------
    LineageMismatchError
        If the model records no lineage, its embedding model is no longer configured, or
        the embeddings were made by another encoder (other model files or settings; for
        TF-IDF + SVD, which is fitted on the training texts, a fit on other training
        papers, which ``embeddings.tfidf_svd_refit: false`` avoids).
    """
    _check_recorded(name, config)
    key = config["embedding_model"]
    if embeddings is None:
        raise LineageMismatchError(
            f"The {name} was built on '{key}' embeddings, which are no longer configured "
            "(embeddings.models): restore that model, or run its tuning pipeline again."
        )
    current = embedding_identity(embeddings)
    if current != config["embedding_identity"]:
        raise LineageMismatchError(
            f"The {name} was built on '{key}' embeddings made by {config['embedding_identity']}; "
            f"the current ones are made by {current}, so their vectors are not comparable "
            "(TF-IDF + SVD is refitted when the training papers change, unless the run sets "
            "embeddings.tfidf_svd_refit=false, which keeps the stored fit). Run the "
            "embeddings pipeline again with that parameter, or the topic_tuning pipeline with "
            "a new topic_tuning.study_name."
        )
