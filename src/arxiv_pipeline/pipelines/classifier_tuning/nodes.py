"""Nodes of the classifier_tuning pipeline: the Optuna study and the final classifier."""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

import optuna
import pandas as pd
import pyarrow.parquet as pq
from optuna.trial import TrialState

from arxiv_pipeline.classifier.data import ClassifierData, labelled_splits
from arxiv_pipeline.classifier.model import ClassifierCheckpoint, to_checkpoint
from arxiv_pipeline.classifier.objective import ClassifierObjective
from arxiv_pipeline.classifier.settings import ClassifierTuning
from arxiv_pipeline.datasets.embeddings_dataset import SplitEmbeddings
from arxiv_pipeline.embedding.lineage import embedding_identity, lineage
from arxiv_pipeline.embedding.selection import used_models
from arxiv_pipeline.embedding.specs import EmbeddingsParams
from arxiv_pipeline.tuning.budget import count_trials
from arxiv_pipeline.tuning.components import check_embedding_models
from arxiv_pipeline.tuning.flow import check_study_splits, final_trial, tune
from arxiv_pipeline.tuning.store import StudyStore

logger = logging.getLogger(__name__)

#: The splits a classifier study reads: trials train on train and are scored on validation.
TUNING_SPLITS = ("train", "validation")


def _objective(
    papers: pq.ParquetFile,
    paper_splits: pd.DataFrame,
    label_vocabulary: dict[str, Any],
    classifier_tuning: ClassifierTuning,
    embeddings: dict[str, SplitEmbeddings],
    size_fraction: float,
) -> ClassifierObjective:
    """The objective of runs on the nested subset ``size_fraction`` of train and validation."""
    labels = label_vocabulary["labels"]
    splits = labelled_splits(papers, paper_splits, labels, TUNING_SPLITS, size_fraction)
    data = ClassifierData(splits, embeddings, paper_splits)
    check_embedding_models(
        classifier_tuning.space, data.model_keys, "classifier_tuning", classifier_tuning.embedding_model
    )
    return ClassifierObjective(
        data=data,
        space=classifier_tuning.space,
        base=classifier_tuning.base_params(),
        settings=classifier_tuning.training_settings(),
    )


def check_classifier_study_data(
    classifier_study: StudyStore, paper_splits: pd.DataFrame, classifier_tuning: ClassifierTuning
) -> StudyStore:
    """The study's store, once checked right after ingestion: its trials were run on these splits.

    Raises
    ------
    ProvenanceMismatchError
        If the stored study was run on other papers or splits, saying how to name a new
        study (``classifier_tuning.study_name``); before any embedding is computed.
    """
    return check_study_splits(classifier_tuning, classifier_study, paper_splits)


def tune_classifier(
    classifier_study: StudyStore,
    papers: pq.ParquetFile,
    paper_splits: pd.DataFrame,
    label_vocabulary: dict[str, Any],
    classifier_tuning: ClassifierTuning,
    train_embeddings: SplitEmbeddings,
    validation_embeddings: SplitEmbeddings,
) -> optuna.Study:
    """Run the classifier study to ``classifier_tuning.n_trials`` complete trials.

    Each trial trains on the nested subset ``size_fraction`` of the training split (``auto``
    resolved by :meth:`ClassifierTuning.trial_fraction`) and returns the best epoch's
    ``objective`` on the same subset of validation; runs that trail the others are pruned
    between epochs. Every trial uses the same seed, so trials differ by their parameters only.
    """
    embeddings = {"train": train_embeddings, "validation": validation_embeddings}
    keys = used_models(classifier_tuning.space, classifier_tuning.embedding_model)
    check_embedding_models(classifier_tuning.space, list(train_embeddings), "classifier_tuning", *keys)
    fraction = classifier_tuning.trial_fraction(paper_splits)
    study = tune(
        classifier_tuning,
        classifier_study,
        paper_splits,
        embeddings,
        keys,
        fraction,
        partial(
            _objective, papers, paper_splits, label_vocabulary, classifier_tuning, embeddings, fraction
        ),
        embedding_models={key: embedding_identity(train_embeddings[key]) for key in keys},
        labels=label_vocabulary["labels"],
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
    embeddings: EmbeddingsParams,
    classifier_tuning: ClassifierTuning,
    train_embeddings: SplitEmbeddings,
    validation_embeddings: SplitEmbeddings,
) -> tuple[ClassifierCheckpoint, dict[str, Any]]:
    """Retrain the best trial's classifier on every labelled paper of train; keep its best epoch.

    The run has the trial's parameters and seed, streams its batches from the memory-mapped
    embeddings of the whole training split, and stops early on the whole validation split.
    Where the trials ran on the whole splits (``size_fraction`` 1.0, as ``auto`` resolves
    on a small training split) it repeats the trial's run: on the CPU its weights and
    validation scores are the trial's exactly. Retraining, instead of files written by
    trials, means no trial can overwrite another's model.

    Returns
    -------
    tuple
        The checkpoint (weights; config with the architecture, labels, the embedding
        model with its settings and identity, the data it was built on (see
        ``embedding.lineage``), text template and decision threshold) and a training report
        (parameters, per-epoch history, seconds per epoch).
    """
    trial = final_trial(classifier_tuning, classifier_study)
    stored = {"train": train_embeddings, "validation": validation_embeddings}
    objective = _objective(papers, paper_splits, label_vocabulary, classifier_tuning, stored, 1.0)
    params = objective.trial_params(trial)
    result = objective.train(params)
    key = params["embedding_model"]
    checkpoint = to_checkpoint(
        objective.architecture(params),
        result.state,
        labels=list(label_vocabulary["labels"]),
        **lineage(paper_splits, key, embeddings.models[key], train_embeddings[key]),
        text_template=embeddings.text_template,
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
        "trial_size_fraction": classifier_tuning.trial_fraction(paper_splits),
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
        "Final classifier (trial %d, %s) on %d training papers: best epoch %d of %d, "
        "validation %s %.4f, %.3f s per epoch.",
        trial.number,
        key,
        len(objective.data.splits["train"].ids),
        result.best_epoch,
        len(result.history),
        objective.settings.monitor,
        result.best[objective.settings.monitor],
        result.seconds_per_epoch,
    )
    return checkpoint, report
