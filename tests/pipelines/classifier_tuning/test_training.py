"""Training and the objective on synthetic embeddings: determinism, stopping, pruning, failures."""

import numpy as np
import optuna
import pandas as pd
import pytest
import scipy.sparse as sp
import torch
from optuna.trial import TrialState

from arxiv_pipeline.classifier.data import ClassifierData, LabelledSplit, LabelledVectors
from arxiv_pipeline.classifier.model import build_network, logits_of
from arxiv_pipeline.classifier.objective import (
    CLASSIFIER_DEFAULTS,
    CLASSIFIER_PARAMETER_RULES,
    ClassifierObjective,
)
from arxiv_pipeline.classifier.training import TrainingSettings, train_classifier
from arxiv_pipeline.embedding.vectors import Embeddings
from arxiv_pipeline.tuning.components import build_pruner
from arxiv_pipeline.tuning.search_space import parse_search_space

SIZES = {"train": 600, "validation": 150}


def synthetic_data(dim: int = 16, n_labels: int = 6, seed: int = 0) -> ClassifierData:
    """Embeddings whose labels follow a linear rule, in the shapes the pipeline passes around."""
    rng = np.random.default_rng(seed)
    weights = rng.normal(size=(dim, n_labels))
    frames, splits, embeddings = [], {}, {}
    for split, n in SIZES.items():
        vectors = rng.normal(size=(n, dim)).astype(np.float32)
        logits = vectors @ weights
        targets = (logits > 1.5).astype(np.float32)
        targets[np.arange(n), logits.argmax(axis=1)] = 1.0
        ids = np.array([f"{split}-{i}" for i in range(n)], dtype=object)
        frames.append(pd.DataFrame({"id": ids, "split": split, "size_fraction": 1.0}))
        splits[split] = LabelledSplit(
            split, ids, np.arange(n), sp.csr_array(targets.astype(np.uint8)), unlabelled=0
        )
        cache_key = {"model": "synthetic", "text_fingerprint": split, "rows": n}
        embeddings[split] = {
            "synthetic": Embeddings(
                ids, vectors, {"model_key": "synthetic", "split": split, "cache_key": cache_key}
            )
        }
    return ClassifierData(splits, embeddings, pd.concat(frames, ignore_index=True))


def objective(space: dict | None = None, **settings) -> ClassifierObjective:
    defaults = {
        "max_epochs": 6,
        "patience": 3,
        "monitor": "validation_loss",
        "seed": 0,
        "device": "cpu",
        "threads": 1,
    }
    return ClassifierObjective(
        data=synthetic_data(),
        space=parse_search_space(space or {}, CLASSIFIER_PARAMETER_RULES, "test"),
        base={**CLASSIFIER_DEFAULTS, "embedding_model": "synthetic", "width": 32, "batch_size": 32},
        settings=TrainingSettings(**{**defaults, **settings}),
    )


def without_timings(history: list[dict]) -> list[dict]:
    return [
        {name: value for name, value in record.items() if name != "seconds"} for record in history
    ]


def test_the_same_seed_trains_the_same_weights_on_cpu():
    threads = torch.get_num_threads()
    params = {**objective().base, "dropout": 0.3, "scheduler": "cosine"}
    first, second = objective().train(params), objective().train(params)
    assert without_timings(first.history) == without_timings(second.history)
    assert first.state.keys() == second.state.keys()
    assert all(torch.equal(first.state[name], second.state[name]) for name in first.state)
    other = objective(seed=1).train(params)
    assert without_timings(other.history) != without_timings(first.history)
    # The process-wide torch settings are restored for the rest of the process.
    assert not torch.are_deterministic_algorithms_enabled()
    assert torch.get_num_threads() == threads


def test_the_best_epoch_is_kept_and_training_stops_on_a_stale_validation_loss():
    result = objective(max_epochs=40, patience=2).train({**objective().base, "learning_rate": 0.05})
    losses = [record["validation_loss"] for record in result.history]
    assert result.stop_reason == "early_stopping" and len(losses) < 40
    assert result.best_epoch == int(np.argmin(losses))
    # Stopped exactly `patience` epochs after the lowest loss.
    assert len(losses) == result.best_epoch + 1 + 2


def test_the_same_seed_gives_the_same_trials():
    space = {
        "learning_rate": {"type": "float", "low": 1e-3, "high": 3e-2, "log": True},
        "depth": {"type": "int", "low": 0, "high": 2},
        "dropout": {"type": "float", "low": 0.0, "high": 0.5},
    }

    def trials() -> list[tuple]:
        study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=3))
        study.optimize(objective(space, max_epochs=3), n_trials=4)
        return [
            (trial.params, trial.value, trial.user_attrs["best_epoch"]) for trial in study.trials
        ]

    assert trials() == trials()


def test_a_trial_with_a_terrible_learning_rate_is_pruned_before_its_last_epoch():
    space = {"learning_rate": {"type": "float", "low": 1e-4, "high": 10.0, "log": True}}
    # No early stopping within 10 epochs: only the pruner can stop a trial early.
    tuned = objective(space, max_epochs=10, patience=10)
    study = optuna.create_study(
        pruner=build_pruner({"type": "median", "n_startup_trials": 2, "n_warmup_steps": 1}, "test")
    )
    for learning_rate in (1e-2, 1e-2, 10.0):
        study.enqueue_trial({"learning_rate": learning_rate})
    study.optimize(tuned, n_trials=3)
    good, _, bad = study.trials
    assert good.state == TrialState.COMPLETE and len(good.intermediate_values) == 10
    assert bad.state == TrialState.PRUNED
    assert max(bad.intermediate_values) < 9  # epochs are numbered from 0
    step = max(bad.intermediate_values)
    assert bad.intermediate_values[step] > good.intermediate_values[step]


def test_a_diverging_trial_fails_with_its_reason_and_the_study_goes_on():
    tuned = objective(max_epochs=2)
    # One broken embedding poisons the loss.
    tuned.data.embeddings["train"]["synthetic"].vectors[0, 0] = np.nan
    study = optuna.create_study()
    study.optimize(tuned, n_trials=2, catch=(ArithmeticError,))
    assert [trial.state for trial in study.trials] == [TrialState.FAIL] * 2
    assert "training loss is nan" in study.trials[0].user_attrs["fail_reason"]


def test_pruners_are_built_from_parameters_and_bad_options_are_named():
    from tests.parameters import classifier_tuning

    settings = classifier_tuning(max_epochs=20, pruner={"type": "median", "n_warmup_steps": 2})
    assert isinstance(settings.build_pruner(), optuna.pruners.MedianPruner)
    hyperband = classifier_tuning(
        max_epochs=20, pruner={"type": "hyperband", "min_resource": 2, "reduction_factor": 3}
    ).build_pruner()
    assert isinstance(hyperband, optuna.pruners.HyperbandPruner)
    assert hyperband._max_resource == 20  # epochs are the resource
    assert isinstance(classifier_tuning(pruner={"type": "none"}).build_pruner(), optuna.pruners.NopPruner)
    with pytest.raises(ValueError, match="classifier_tuning.pruner.type must be one of"):
        classifier_tuning(pruner={"type": "percentil"})
    with pytest.raises(ValueError, match="classifier_tuning.pruner: HyperbandPruner: .*n_warmup"):
        classifier_tuning(pruner={"type": "hyperband", "n_warmup_steps": 2})


def test_training_streamed_from_a_memory_map_gives_the_weights_of_training_on_a_copy(tmp_path):
    # Before streaming, training copied the labelled rows into memory; streaming reads each
    # batch from the stored matrix. Same rows, same seed: the same run, to the last digit.
    data = synthetic_data()
    stored = data.embeddings["train"]["synthetic"].vectors
    path = tmp_path / "train.npy"
    np.save(path, stored)
    labelled = np.arange(0, len(stored), 3)  # every third paper, as if the rest had no label
    targets = data.splits["train"].targets[labelled]
    streamed = LabelledVectors(np.load(path, mmap_mode="r"), labelled, targets)
    copied = LabelledVectors(stored[labelled].copy(), np.arange(len(labelled)), targets)
    tuned = objective()
    params = {**tuned.base, "dropout": 0.3}
    validation = tuned.data.vectors("synthetic", "validation")
    runs = [
        train_classifier(tuned.architecture(params), params, train, validation, tuned.settings)
        for train in (streamed, copied)
    ]
    assert without_timings(runs[0].history) == without_timings(runs[1].history)
    assert all(torch.equal(runs[0].state[name], runs[1].state[name]) for name in runs[0].state)


def test_chunked_scoring_equals_scoring_at_once():
    tuned = objective(max_epochs=2)
    network = build_network(tuned.architecture(tuned.base))
    network.load_state_dict(tuned.train(tuned.base).state)
    papers = tuned.data.vectors("synthetic", "validation")
    whole = logits_of(network, papers[:], "cpu", batch_size=len(papers))
    # Chunks of 7 papers read from the stored matrix; float32 matrix products of other
    # shapes may round differently in the last bit.
    chunked = logits_of(network, papers, "cpu", batch_size=7)
    np.testing.assert_allclose(chunked.numpy(), whole.numpy(), rtol=0, atol=1e-6)
