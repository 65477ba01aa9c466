"""Nodes of the classifier_tuning pipeline: the Optuna study and the final classifier."""

from __future__ import annotations

import logging
from typing import Any

import optuna
import pandas as pd
import pyarrow.parquet as pq
from optuna.distributions import BaseDistribution
from optuna.trial import TrialState

from arxiv_pipeline.classifier.data import ClassifierData, labelled_splits
from arxiv_pipeline.classifier.model import to_checkpoint
from arxiv_pipeline.classifier.objective import (
    CLASSIFIER_DEFAULTS,
    CLASSIFIER_PARAMETER_RULES,
    TRIAL_ERRORS,
    ClassifierObjective,
)
from arxiv_pipeline.classifier.training import MONITORS, TrainingSettings
from arxiv_pipeline.datasets.classifier_dataset import ClassifierCheckpoint
from arxiv_pipeline.datasets.embeddings_dataset import Embeddings
from arxiv_pipeline.datasets.optuna_study_dataset import StudyStore
from arxiv_pipeline.embedding.encoders import resolve_device
from arxiv_pipeline.tuning.provenance import provenance
from arxiv_pipeline.tuning.search_space import parse_search_space
from arxiv_pipeline.tuning.study import count_trials, run_study

logger = logging.getLogger(__name__)

SPLITS = ("train", "validation")


def _validated_space(
    classifier_tuning: dict[str, Any], model_keys: list[str]
) -> dict[str, BaseDistribution]:
    space = parse_search_space(
        classifier_tuning["search_space"],
        CLASSIFIER_PARAMETER_RULES,
        "classifier_tuning.search_space",
    )
    drawn = list(getattr(space.get("embedding_model"), "choices", ()))
    unknown = [
        key for key in [classifier_tuning["embedding_model"], *drawn] if key not in model_keys
    ]
    if unknown:
        raise ValueError(
            f"classifier_tuning: embedding models {unknown} are not among the configured "
            f"embedding models {model_keys} (embeddings.models)."
        )
    return space


def _base_params(classifier_tuning: dict[str, Any]) -> dict[str, Any]:
    fixed = classifier_tuning.get("fixed") or {}
    unknown = sorted(set(fixed) - set(CLASSIFIER_PARAMETER_RULES))
    if unknown:
        raise ValueError(
            f"classifier_tuning.fixed: unknown parameters {unknown}; "
            f"known: {sorted(CLASSIFIER_PARAMETER_RULES)}"
        )
    return {**CLASSIFIER_DEFAULTS, "embedding_model": classifier_tuning["embedding_model"], **fixed}


def _settings(classifier_tuning: dict[str, Any]) -> TrainingSettings:
    monitor = classifier_tuning["objective"]
    if monitor not in MONITORS:
        raise ValueError(
            f"classifier_tuning.objective must be one of {list(MONITORS)}, got {monitor!r}."
        )
    return TrainingSettings(
        max_epochs=classifier_tuning["max_epochs"],
        patience=classifier_tuning["patience"],
        monitor=monitor,
        seed=classifier_tuning["seed"],
        device=resolve_device(classifier_tuning["device"]),
        threads=classifier_tuning["cpu_threads"],
    )


def make_pruner(pruner: dict[str, Any], max_epochs: int) -> optuna.pruners.BasePruner:
    """``classifier_tuning.pruner``: ``median``, ``hyperband`` (epochs as resource) or ``none``.

    Raises
    ------
    ValueError
        For another type or an option the pruner does not take.
    """
    options = {name: value for name, value in pruner.items() if name != "type"}
    kinds = {
        "median": optuna.pruners.MedianPruner,
        "hyperband": lambda **kwargs: optuna.pruners.HyperbandPruner(
            max_resource=max_epochs, **kwargs
        ),
        "none": optuna.pruners.NopPruner,
    }
    if pruner.get("type") not in kinds:
        raise ValueError(
            f"classifier_tuning.pruner.type must be one of {list(kinds)}, "
            f"got {pruner.get('type')!r}."
        )
    try:
        return kinds[pruner["type"]](**options)
    except TypeError as error:
        raise ValueError(f"classifier_tuning.pruner: {error}") from None


def _objective(
    papers: pq.ParquetFile,
    paper_splits: pd.DataFrame,
    label_vocabulary: dict[str, Any],
    classifier_tuning: dict[str, Any],
    embeddings: dict[str, Embeddings],
) -> ClassifierObjective:
    splits = labelled_splits(
        papers, paper_splits, label_vocabulary["labels"], SPLITS, classifier_tuning["size_fraction"]
    )
    data = ClassifierData(splits, embeddings, paper_splits)
    return ClassifierObjective(
        data=data,
        space=_validated_space(classifier_tuning, data.model_keys),
        base=_base_params(classifier_tuning),
        settings=_settings(classifier_tuning),
    )


def tune_classifier(
    classifier_study: StudyStore,
    papers: pq.ParquetFile,
    paper_splits: pd.DataFrame,
    label_vocabulary: dict[str, Any],
    classifier_tuning: dict[str, Any],
    **embeddings: Embeddings,
) -> optuna.Study:
    """Run the classifier study to ``classifier_tuning.n_trials`` complete trials.

    Each trial trains on the training split (its ``size_fraction`` subset) and returns the
    best epoch's validation ``objective``; runs that trail the others are pruned between
    epochs. Every trial uses the same seed, so trials differ by their parameters only.
    """
    objective = _objective(papers, paper_splits, label_vocabulary, classifier_tuning, embeddings)
    settings = objective.settings
    study = run_study(
        classifier_study,
        objective,
        directions=[MONITORS[settings.monitor]],
        sampler=optuna.samplers.TPESampler(seed=classifier_tuning["seed"]),
        pruner=make_pruner(classifier_tuning["pruner"], settings.max_epochs),
        n_trials=classifier_tuning["n_trials"],
        provenance=provenance(
            objective.data.fingerprint(
                label_vocabulary["labels"], classifier_tuning["size_fraction"]
            ),
            objective=settings.monitor,
            seed=settings.seed,
            max_epochs=settings.max_epochs,
            patience=settings.patience,
            base_params=objective.base,
            search_space=classifier_tuning["search_space"],
            embedding_models={
                key: objective.data.identity(key) for key in objective.data.model_keys
            },
        ),
        catch=TRIAL_ERRORS,
    )
    logger.info(
        "Classifier study '%s': %d complete, %d pruned, %d failed trials.",
        study.study_name,
        count_trials(study, TrialState.COMPLETE),
        count_trials(study, TrialState.PRUNED),
        count_trials(study, TrialState.FAIL),
    )
    return study


def train_final_classifier(
    classifier_study: StudyStore,
    papers: pq.ParquetFile,
    paper_splits: pd.DataFrame,
    label_vocabulary: dict[str, Any],
    text_template: str,
    classifier_tuning: dict[str, Any],
    **embeddings: Embeddings,
) -> tuple[ClassifierCheckpoint, dict[str, Any]]:
    """Retrain the best trial's classifier and keep its best epoch.

    The run repeats the trial's (same parameters, data and seed): on the CPU its weights
    and validation scores are the trial's exactly. Retraining, instead of files written by
    trials, means no trial can overwrite another's model.

    Returns
    -------
    tuple
        The checkpoint (weights; config with the architecture, labels, embedding model
        and its identity, text template and decision threshold) and a training report
        (parameters, per-epoch history, seconds per epoch).
    """
    study = classifier_study.load()
    objective = _objective(papers, paper_splits, label_vocabulary, classifier_tuning, embeddings)
    if count_trials(study, TrialState.COMPLETE) == 0:
        raise ValueError(
            f"Study '{study.study_name}' has no complete trial: see the trials' fail_reason "
            "user attrs, then run classifier_tuning again."
        )
    trial = study.best_trial
    params = objective.trial_params(trial)
    result = objective.train(params)
    key = params["embedding_model"]
    checkpoint = to_checkpoint(
        objective.architecture(params),
        result.state,
        labels=list(label_vocabulary["labels"]),
        embedding_model=key,
        embedding_identity=objective.data.identity(key),
        text_template=text_template,
        threshold=result.best["threshold"],
        trial=trial.number,
        params=params,
    )
    report = {
        "trial": trial.number,
        "trial_value": trial.value,
        "objective": objective.settings.monitor,
        "params": params,
        "seed": objective.settings.seed,
        "device": objective.settings.device,
        "papers": {split: len(value.ids) for split, value in objective.data.splits.items()},
        "unlabelled_papers_left_out": {
            split: value.unlabelled for split, value in objective.data.splits.items()
        },
        "best_epoch": result.best_epoch,
        "stop_reason": result.stop_reason,
        "validation": result.best,
        "seconds_per_epoch": result.seconds_per_epoch,
        "history": result.history,
    }
    logger.info(
        "Final classifier (trial %d, %s): best epoch %d of %d, validation %s %.4f, "
        "%.3f s per epoch.",
        trial.number,
        key,
        result.best_epoch,
        len(result.history),
        objective.settings.monitor,
        result.best[objective.settings.monitor],
        result.seconds_per_epoch,
    )
    return checkpoint, report
