"""The classifier_tuning pipeline through real KedroSessions on the real sample."""

import json

import optuna
import pytest
from kedro.validation.exceptions import ParameterValidationError
from optuna.trial import TrialState
from safetensors import safe_open

from arxiv_pipeline.classifier.data import labelled_splits
from arxiv_pipeline.corpus.splitting import splits_fingerprint
from arxiv_pipeline.pipelines.classifier_tuning.nodes import TUNING_SPLITS
from tests.conftest import load_dataset
from tests.workflows import embedded_copy, tune_classifier


@pytest.fixture
def embedded_project(project, arxiv_sample):
    return embedded_copy(project, arxiv_sample)


def summary(study: optuna.Study) -> list[tuple]:
    return [(trial.number, trial.state, trial.value, trial.params) for trial in study.trials]


def test_study_records_trials_resumes_and_saves_the_retrained_best_model(embedded_project):
    study = tune_classifier(embedded_project)
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    assert len(complete) == 3
    for trial in complete:
        assert {
            "validation_loss",
            "lrap",
            "micro_f1",
            "threshold",
            "best_epoch",
            "seconds_per_epoch",
        } <= set(trial.user_attrs)
        assert trial.value == trial.user_attrs["validation_loss"]
        assert len(trial.intermediate_values) == trial.user_attrs["epochs_run"] <= 4
    provenance = study.user_attrs["provenance"]
    assert provenance["packages"]["torch"] and provenance["data_fingerprint"].startswith(
        "size_fraction=1.0"
    )
    assert provenance["objective"] == "validation_loss"
    splits = load_dataset(embedded_project, "paper_splits")
    assert provenance["splits_fingerprint"] == splits_fingerprint(splits)

    # A rerun asking for more trials continues the study: nothing lost, nothing duplicated.
    first = summary(study)
    resumed = tune_classifier(embedded_project, n_trials=4)
    assert summary(resumed)[: len(first)] == first
    assert len(resumed.get_trials(states=(TrialState.COMPLETE,))) == 4

    # The final model is the best trial retrained: on the CPU, to the last digit.
    training = load_dataset(embedded_project, "classifier_training")
    assert training["trial"] == resumed.best_trial.number
    assert training["validation"]["validation_loss"] == resumed.best_value
    assert training["seconds_per_epoch"] > 0 and len(training["history"]) <= 4
    folder = embedded_project / "data/06_models/classifier"
    assert sorted(path.name for path in folder.iterdir()) == ["config.json", "model.safetensors"]
    config = json.loads((folder / "config.json").read_text())
    vocabulary = load_dataset(embedded_project, "label_vocabulary")
    assert config["labels"] == vocabulary["labels"] and config["embedding_model"] == "tfidf_svd"
    assert config["threshold"] == training["validation"]["threshold"]
    with safe_open(folder / "model.safetensors", framework="pt") as weights:
        output_layer = max(weights.keys())
        assert weights.get_tensor(output_layer).shape[0] == len(vocabulary["labels"])


def test_trials_run_on_a_nested_subset_and_the_final_classifier_on_all_of_train(embedded_project):
    study = tune_classifier(embedded_project, n_trials=2, size_fraction=0.4)
    assert study.user_attrs["provenance"]["data_fingerprint"].startswith("size_fraction=0.4")
    training = load_dataset(embedded_project, "classifier_training")
    splits = load_dataset(embedded_project, "paper_splits")
    vocabulary = load_dataset(embedded_project, "label_vocabulary")
    labelled = labelled_splits(
        load_dataset(embedded_project, "papers"), splits, vocabulary["labels"], TUNING_SPLITS, 1.0
    )
    assert training["trial_size_fraction"] == 0.4
    assert training["papers"] == {split: len(value.ids) for split, value in labelled.items()}
    # Trained on more papers than the trial, the final model scores validation otherwise.
    assert training["validation"]["validation_loss"] != study.best_value


def test_same_seed_same_trials(embedded_project, tmp_path):
    first = summary(tune_classifier(embedded_project, n_trials=2))
    (embedded_project / "data/06_models/classifier_tuning.db").rename(tmp_path / "first.db")
    assert summary(tune_classifier(embedded_project, n_trials=2)) == first


def test_bad_settings_fail_before_any_trial_naming_the_setting(embedded_project):
    cases = [
        (
            {"embedding_model": "minilm"},
            r"\['minilm'\] are not among the configured embedding models",
        ),
        (
            {"search_space": {"depth": {"type": "float", "low": 0, "high": 2}}},
            "search_space.depth: type must be int",
        ),
        (
            {"search_space": {"momentum": {"type": "float", "low": 0, "high": 1}}},
            "momentum: unknown parameter",
        ),
        ({"objective": "accuracy"}, "objective must be one of"),
        ({"pruner": {"type": "percentil"}}, "classifier_tuning.pruner.type must be one of"),
        ({"sampler": {"type": "tpe", "sed": 1}}, "classifier_tuning.sampler: TPESampler: .*sed"),
    ]
    for override, message in cases:
        # Kedro builds ClassifierTuning before any node runs (ParameterValidationError);
        # which embeddings exist is known to the node (ValueError).
        with pytest.raises((ValueError, ParameterValidationError), match=message):
            tune_classifier(embedded_project, **override)
    assert not (embedded_project / "data/06_models/classifier_tuning.db").exists()


def test_kedro_run_checks_both_studies_right_after_ingestion(project):
    from kedro.framework.project import pipelines

    # SequentialRunner runs the nodes in this (topological) order.
    nodes = {node.name: node for node in pipelines["__default__"].nodes}
    order = list(nodes)
    embedding = order.index("encode_new_texts")
    for guard, tuning, checked in [
        ("check_topic_study_data", "tune_topic_model", "topic_study_checked"),
        ("check_classifier_study_data", "tune_classifier", "classifier_study_checked"),
    ]:
        assert order.index("assign_splits") < order.index(guard) < embedding < order.index(tuning)
        # The study reaches its tuning node only through the check.
        assert nodes[guard].outputs == [checked] and checked in nodes[tuning].inputs
