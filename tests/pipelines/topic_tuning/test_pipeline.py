"""The topic_tuning pipeline through real KedroSessions, on the real sample with fast embeddings."""

import json
import shutil

import optuna
import pytest
from kedro.framework.session import KedroSession
from optuna.trial import TrialState

from arxiv_pipeline.topics.agreement import AGREEMENT_METRICS
from arxiv_pipeline.topics.model import topic_words
from arxiv_pipeline.topics.topic_map import topic_name
from arxiv_pipeline.topics.words import chosen_words
from arxiv_pipeline.tuning.study import ProvenanceMismatchError
from tests.conftest import load_dataset, run_pipelines
from tests.workflows import (
    FAST_SPACE,
    UNCONSTRAINED,
    configure_topic_tuning,
    embedded_copy,
    tune,
    use_fast_embeddings,
    use_minilm_words,
)


@pytest.fixture
def tuned_project(project, arxiv_sample):
    return embedded_copy(project, arxiv_sample)


#: FAST_SPACE with the size-free form of min_cluster_size.
FRACTION_SPACE = {
    **{name: spec for name, spec in FAST_SPACE.items() if name != "hdbscan.min_cluster_size"},
    "hdbscan.min_cluster_fraction": {"type": "float", "low": 0.01, "high": 0.03},
}

def summary(study: optuna.Study) -> list[tuple]:
    return [(trial.number, trial.state, trial.values, trial.params) for trial in study.trials]


def test_study_records_every_metric_resumes_and_builds_the_final_model(tuned_project):
    study = tune(tuned_project, study_only=True)
    assert [trial.state for trial in study.trials] == [TrialState.COMPLETE] * 3
    for trial in study.trials:
        assert {"c_npmi", "c_v", "diversity", "n_topics", "outlier_share", "fit_seconds"} <= set(
            trial.user_attrs
        )
        assert set(AGREEMENT_METRICS) <= set(trial.user_attrs)
        assert 0.0 <= trial.user_attrs["nmi_primary"] <= 1.0
        # The default outlier reduction assigns the validation papers HDBSCAN left out.
        shares = [trial.user_attrs[f"validation_outlier_share{s}"] for s in ("_before", "")]
        assert shares[1] <= shares[0]
        assert trial.value == trial.user_attrs["nmi_primary"]  # the default measure
    provenance = study.user_attrs["provenance"]
    assert provenance["packages"]["bertopic"] and provenance["data_fingerprint"].startswith("size_fraction=1.0")
    assert provenance["search_space"] == FAST_SPACE

    # A rerun with more trials continues the study: nothing lost, nothing duplicated. Its
    # final model's words may come from representation models with MiniLM's word embeddings.
    first = summary(study)
    use_minilm_words(tuned_project)
    resumed = tune(tuned_project, n_trials=5)
    assert summary(resumed)[:3] == first and len(resumed.trials) == 5

    metrics = load_dataset(tuned_project, "final_topic_metrics")
    # Trials fit on all of train here, as the final model does: each candidate's final
    # score is its trial's. Of those within the best's spread over seeds, the most stable ships.
    candidates = metrics["candidates"]
    values = [candidate["trial_value"] for candidate in candidates]
    assert 2 <= len(candidates) <= 3 and values == sorted(values, reverse=True)
    assert values[0] == resumed.best_value
    for candidate in candidates:
        assert candidate["final_value"] == pytest.approx(candidate["trial_value"], abs=1e-12)
        assert -1.0 <= candidate["stability_ari"] <= 1.0 and candidate["seed_std"] >= 0.0
    tied = [c for c in candidates if c["final_value"] >= values[0] - candidates[0]["seed_std"]]
    chosen = max(tied, key=lambda c: (c["stability_ari"], c["final_value"]))
    assert metrics["trial"] == chosen["trial"]
    # Every candidate's words were scored; the rule's choice ships, and the saved model,
    # the topic table and the metrics hold those words.
    words = metrics["words"]
    assert [entry["representation"] for entry in words] == ["c-tf-idf"] * 4 + ["mmr", "keybert"]
    shipped = [entry for entry in words if entry["chosen"]]
    assert shipped == [words[chosen_words(words, 4)]]
    assert metrics["validation"]["c_npmi"] == pytest.approx(shipped[0]["c_npmi"], abs=1e-12)
    assert metrics["validation"]["diversity"] == pytest.approx(shipped[0]["diversity"], abs=1e-12)
    representation = metrics["params"]["representation"]
    assert (representation or {"type": "c-tf-idf"})["type"] == shipped[0]["representation"]
    assert metrics["validation"]["nmi_primary"] == pytest.approx(chosen["final_value"], abs=1e-12)
    table = load_dataset(tuned_project, "topic_table")
    fine = table[table["topic"] >= 0]
    assert fine["words"].map(list).tolist() == list(topic_words(load_dataset(tuned_project, "topic_model").model).values())
    assert fine["words"].map(len).min() >= 10
    assert (fine["name"] == fine["words"].map(topic_name)).all()
    assert (fine["label"] == fine["topic"].astype(str) + ": " + fine["name"]).all()
    assert fine["representative_ids"].map(len).between(1, 5).all()
    coarse = load_dataset(tuned_project, "coarse_topic_table")
    assert len(coarse) == metrics["coarse"]["n_topics"] <= len(fine)
    assert sorted(fine["coarse_topic"].unique()) == coarse["topic"].tolist()
    assignments = load_dataset(tuned_project, "topic_assignments")
    assert set(assignments["split"]) == {"train", "validation", "test"} and len(assignments) == 2000
    # Every paper is at both levels, its coarse topic the one its fine topic belongs to.
    coarse_of = dict(zip(fine["topic"], fine["coarse_topic"], strict=True))
    assigned = assignments[assignments["topic"] >= 0]
    assert (assigned["coarse_topic"] == assigned["topic"].map(coarse_of)).all()
    chosen = resumed.trials[metrics["trial"]].user_attrs
    assert metrics["validation"]["nmi_primary"] == pytest.approx(chosen["nmi_primary"], abs=1e-12)
    assert metrics["validation"]["outlier_share"] == pytest.approx(chosen["validation_outlier_share"])
    model_folder = tuned_project / "data/06_models/topic_model"
    assert (model_folder / "topic_embeddings.safetensors").is_file()
    assert not list(model_folder.glob("*.pkl")) and not list(model_folder.glob("*.pickle"))
    figure = json.loads((tuned_project / "data/08_reporting/topic_barchart.json").read_text())
    assert figure["data"]


def test_same_seed_same_trials(tuned_project, tmp_path):
    first = summary(tune(tuned_project, study_only=True))
    (tuned_project / "data/06_models/topic_tuning.db").rename(tmp_path / "first.db")
    assert summary(tune(tuned_project, study_only=True)) == first


def test_a_failing_trial_is_recorded_and_the_study_goes_on(tuned_project):
    # min_df counts topics in BERTopic's c-TF-IDF: 100 of them cannot exist here.
    space = {**FAST_SPACE, "vectorizer.min_df": {"type": "categorical", "choices": [1, 100]}}
    study = tune(tuned_project, search_space=space, study_only=True, n_trials=3)
    failed = study.get_trials(states=(TrialState.FAIL,))
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    assert failed and complete and len(failed) + len(complete) == len(study.trials)
    assert all("min_df" in trial.user_attrs["fail_reason"] for trial in failed)
    assert all(trial.params["vectorizer.min_df"] == 1 for trial in complete)
    # A run makes at most 2 x n_trials attempts, so a study that always fails still ends.
    assert len(study.trials) <= 6


def test_a_study_on_other_data_is_not_resumed(tuned_project, arxiv_sample):
    first = summary(tune(tuned_project, study_only=True))
    with pytest.raises(ValueError, match="would not be comparable") as error:
        tune(tuned_project, size_fraction=0.4)
    assert "kedro run --params topic_tuning.study_name=topic_tuning-" in str(error.value)
    # The one-command way out: name a study for this data; the first one stays as it was.
    # Trials on 0.4 of train, the final model on all of it: min_cluster_size carries over.
    tune(tuned_project, FRACTION_SPACE, figures=False, size_fraction=0.4, study_name="subset")
    storage = f"sqlite:///{tuned_project}/data/06_models/topic_tuning.db"
    assert sorted(optuna.get_all_study_names(storage)) == ["subset", "topic_tuning"]
    subset = optuna.load_study(study_name="subset", storage=storage)
    assert subset.user_attrs["provenance"]["data_fingerprint"].startswith("size_fraction=0.4")
    assert summary(optuna.load_study(study_name="topic_tuning", storage=storage)) == first
    final = load_dataset(tuned_project, "final_topic_metrics")
    assert final["trial"] == subset.best_trial.number
    splits = load_dataset(tuned_project, "paper_splits")
    train_papers = int((splits["split"] == "train").sum())
    assert final["fit_documents"] == train_papers and final["final_size_fraction"] == final["fit_size_fraction"] == 1.0
    fraction = subset.best_trial.params["hdbscan.min_cluster_fraction"]
    assert final["hdbscan"]["min_cluster_size"] == max(2, round(fraction * train_papers))
    # Every paper of every split has exactly one topic, in its own split.
    assignments = load_dataset(tuned_project, "topic_assignments")
    merged = splits.merge(assignments, on="id", suffixes=("", "_assigned"), validate="one_to_one")
    assert len(merged) == len(splits) == 2000 and (merged["split"] == merged["split_assigned"]).all()
    assert assignments["topic"].dtype.kind == "i"


def test_a_full_run_on_another_snapshot_stops_before_any_embedding(
    project, arxiv_sample, tmp_path_factory
):
    lines = arxiv_sample.read_text().splitlines(keepends=True)
    snapshots = tmp_path_factory.mktemp("snapshots")
    first, second = snapshots / "first.jsonl", snapshots / "second.jsonl"
    first.write_text("".join(lines[:1000]))
    second.write_text("".join(lines[1000:]))
    use_fast_embeddings(project)
    configure_topic_tuning(project, search_space=FAST_SPACE, constraints=UNCONSTRAINED)
    pipelines = ["ingestion", "embeddings", "topic_tuning"]
    # As far as the study: what the second run checks first, before any embedding.
    run_pipelines(
        project,
        pipelines,
        to_outputs=["topic_study"],
        snapshot_path=str(first),
        topic_tuning={"n_trials": 2},
    )
    storage = f"sqlite:///{project}/data/06_models/topic_tuning.db"
    study = optuna.load_study(study_name="topic_tuning", storage=storage)
    assert study.user_attrs["provenance"]["splits_fingerprint"]
    embeddings = project / "data/04_feature/embeddings"
    shutil.rmtree(embeddings)
    # `kedro run` itself: the default pipeline, in Kedro's order (SequentialRunner).
    with pytest.raises(ProvenanceMismatchError, match="was run on splits") as error:
        params = {"snapshot_path": str(second)}
        with KedroSession.create(project_path=project, runtime_params=params) as session:
            session.run()
    assert "kedro run --params topic_tuning.study_name=topic_tuning-" in str(error.value)
    assert not embeddings.exists()
    assert summary(optuna.load_study(study_name="topic_tuning", storage=storage)) == summary(study)
