"""The evaluation pipeline through real KedroSessions, on the real sample with fast embeddings."""

import json

import numpy as np
import pytest
from sklearn.metrics import normalized_mutual_info_score

from arxiv_pipeline.classifier.data import labelled_splits
from arxiv_pipeline.corpus.splitting import SPLITS
from arxiv_pipeline.topics.agreement import AGREEMENT_METRICS
from arxiv_pipeline.topics.baselines import tuned_bertopic
from arxiv_pipeline.topics.corpus import TopicCorpus
from arxiv_pipeline.topics.model import topic_words
from tests.conftest import load_dataset
from tests.workflows import EVALUATION_SEEDS, reported_copy

CLASSIFIER_METRICS = {
    "micro_f1",
    "macro_f1",
    "samples_f1",
    "precision_at_1",
    "precision_at_3",
    "lrap",
    "map",
}
TOPIC_METRICS = {"c_npmi", "c_v", "diversity", "n_topics", "outlier_share", *AGREEMENT_METRICS}


@pytest.fixture
def trained_project(project, arxiv_sample):
    """The trained project, evaluated with EVALUATION_SEEDS (built once per session)."""
    return reported_copy(project, arxiv_sample)


def test_evaluation_reports_every_model_beside_its_baselines(trained_project):
    metrics = json.loads((trained_project / "data/08_reporting/metrics.json").read_text())

    sizes = metrics["data"]["papers_per_split"]
    assert sum(sizes.values()) == 2000 and sizes["test"] > 150
    classifier = metrics["classifier"]
    assert set(classifier["models"]) == {"classifier", "tfidf_logreg", "label_prior"}
    for values in classifier["models"].values():
        assert CLASSIFIER_METRICS <= set(values)
        assert all(0.0 <= values[name] <= 1.0 for name in CLASSIFIER_METRICS)
        assert set(values["any_true_above"]) == {"0.05", "0.1", "0.2", "0.3"}
    models = classifier["models"]
    for name in ("classifier", "tfidf_logreg"):
        assert models[name]["lrap"] > models["label_prior"]["lrap"]
        assert models[name]["micro_f1"] > models["label_prior"]["micro_f1"]

    # The label prior ranks the most frequent training label first for every paper:
    # its precision@1 is that label's share of the test papers, computed here independently.
    vocabulary = load_dataset(trained_project, "label_vocabulary")
    splits = labelled_splits(
        load_dataset(trained_project, "papers"),
        load_dataset(trained_project, "paper_splits"),
        vocabulary["labels"],
        ("train", "test"),
        1.0,
    )
    top_label = int(np.argmax(splits["train"].targets.sum(axis=0)))
    assert models["label_prior"]["precision_at_1"] == pytest.approx(
        splits["test"].targets[:, top_label].mean()
    )
    assert metrics["data"]["classifier_papers"]["test"] == len(splits["test"].ids)
    # The sample's training split is under the TF-IDF baseline's cap: every predictor
    # trained on all of its labelled papers.
    train_papers = metrics["data"]["classifier_papers"]["train"]
    assert train_papers == len(splits["train"].ids)
    assert {values["train_papers"] for values in models.values()} == {train_papers}

    topics = metrics["topics"]
    assert set(topics["models"]) == {
        "tuned_bertopic",
        "tuned_bertopic_coarse",
        "default_bertopic",
        "lda",
        "kmeans_categories",
        "kmeans_archives",
    }
    for by_split in topics["models"].values():
        assert set(by_split) == {"train", "validation", "test"}
        assert all(TOPIC_METRICS <= set(values) for values in by_split.values())
    tuned, lda = topics["models"]["tuned_bertopic"], topics["models"]["lda"]
    # The tuned model scored by the evaluation is the one the topic study reported.
    final = load_dataset(trained_project, "final_topic_metrics")
    assert tuned["validation"]["c_npmi"] == pytest.approx(final["validation"]["c_npmi"], abs=1e-12)
    assert tuned["test"]["outlier_share"] == pytest.approx(final["test_outlier_share"])
    assert lda["train"]["n_topics"] == max(tuned["train"]["n_topics"], 2)
    assert lda["test"]["outlier_share"] == 0.0
    # Agreement of the tuned model's test topics with the archives, computed here from the
    # saved assignments and papers: every test paper, outliers as their own cluster.
    papers = load_dataset(trained_project, "papers").read(
        columns=["id", "primary_category", "archive"]
    ).to_pandas()
    assigned = load_dataset(trained_project, "topic_assignments").merge(papers, on="id")
    test = assigned[assigned["split"] == "test"]
    assert len(test) == sizes["test"]
    assert tuned["test"]["nmi_archive"] == pytest.approx(
        normalized_mutual_info_score(test["archive"], test["topic"]), abs=1e-12
    )
    assert tuned["validation"]["nmi_primary"] == pytest.approx(final["validation"]["nmi_primary"], abs=1e-12)
    # The coarse level is scored from the saved coarse topics, at the final model's count.
    coarse = topics["models"]["tuned_bertopic_coarse"]
    assert coarse["test"]["nmi_archive"] == pytest.approx(
        normalized_mutual_info_score(test["archive"], test["coarse_topic"]), abs=1e-12
    )
    assert coarse["test"]["nmi_archive"] == pytest.approx(final["test"]["coarse"]["nmi_archive"], abs=1e-12)
    assert coarse["train"]["n_topics"] == final["coarse"]["n_topics"]
    for runs in topics["per_seed"]["tuned_bertopic_coarse"]["test"]:
        assert runs["n_topics"] <= final["coarse"]["n_topics"]
    # k-means (MTEB's protocol): k = the training papers' categories / archives, under
    # every seed; no outliers.
    train = assigned[assigned["split"] == "train"]
    for name, column in (("kmeans_categories", "primary_category"), ("kmeans_archives", "archive")):
        assert [run["n_topics"] for run in topics["per_seed"][name]["train"]] == [
            train[column].nunique()
        ] * len(EVALUATION_SEEDS)
        assert topics["models"][name]["test"]["outlier_share"] == 0.0

    # Under the default cap (250,000 papers) every model is fitted on all of train.
    assert topics["documents"]["train"] == sizes["train"] and topics["fit_size_fraction"] == 1.0
    assert topics["final_max_papers"] == 250_000
    # Under the default coherence cap (120,000 papers) coherence is measured on every paper.
    assert topics["coherence_max_papers"] == 120_000 and topics["coherence_documents"] == topics["documents"]

    # Every model ran once per seed; the mean and std are those of the per-seed numbers,
    # and the first seed's are `models`.
    assert topics["seeds"] == EVALUATION_SEEDS and topics["final_model_seed"] == EVALUATION_SEEDS[0]
    for name, by_split in topics["per_seed"].items():
        for split, runs in by_split.items():
            assert len(runs) == len(EVALUATION_SEEDS) and runs[0] == topics["models"][name][split]
            for metric in TOPIC_METRICS:
                values = [run[metric] for run in runs]
                np.testing.assert_allclose(topics["mean"][name][split][metric], np.mean(values), atol=1e-12)
                np.testing.assert_allclose(topics["std"][name][split][metric], np.std(values), atol=1e-12)
    # The seed is really used: LDA's topics under the second seed are other topics.
    lda_runs = topics["per_seed"]["lda"]["train"]
    assert lda_runs[0]["c_npmi"] != pytest.approx(lda_runs[1]["c_npmi"], abs=1e-9)
    assert topics["std"]["lda"]["train"]["c_npmi"] > 0

    report = (trained_project / "data/08_reporting/evaluation_report.md").read_text()
    assert f"test {sizes['test']}" in report and "| MLP classifier (tuned) |" in report
    assert "| gensim LDA (same n_topics) | test |" in report and "NMI archive" in report
    for name in ("categories", "archives"):
        assert f"| k-means (k = {name}) | test |" in report
        nmi = [topics[key][f"kmeans_{name}"]["test"]["nmi_primary"] for key in ("mean", "std")]
        assert f"| {nmi[0]:.3f} ± {nmi[1]:.3f} |" in report
    lda_test = topics["mean"]["lda"]["test"]["c_npmi"], topics["std"]["lda"]["test"]["c_npmi"]
    assert f"| {lda_test[0]:.3f} ± {lda_test[1]:.3f} |" in report
    assert "seed (42, 43)" in report
    for figure in ("per_category_f1", "threshold_curve", "topic_sizes"):
        assert json.loads((trained_project / f"data/08_reporting/{figure}.json").read_text())[
            "data"
        ]
    sizes_figure = json.loads((trained_project / "data/08_reporting/topic_sizes.json").read_text())
    assert {"k-means (k = categories)", "k-means (k = archives)"} <= {
        trace["name"] for trace in sizes_figure["data"]
    }


def test_the_tuned_refit_under_the_final_seed_is_the_final_model(trained_project):
    """The evaluation's refit of the chosen trial finds the saved final model's topics."""
    def load(name):
        return load_dataset(trained_project, name)

    final = load("final_topic_metrics")
    corpus = TopicCorpus(
        load("paper_splits"),
        {split: load(f"{split}_texts") for split in SPLITS},
        {split: load(f"{split}_embeddings") for split in SPLITS},
        {"train": final["fit_size_fraction"]},
    )
    key = final["params"]["embedding_model"]
    documents = {split: corpus.documents(split) for split in SPLITS}
    vectors = {split: corpus.vectors(split, key) for split in SPLITS}
    refit, coarse = tuned_bertopic(
        documents, vectors, final["params"], final["seed"], final["coarse"]["n_topics"], chunk_size=50
    )
    saved = load("topic_assignments").set_index("id")
    for split in SPLITS:
        papers = saved.loc[corpus.ids(split)]
        np.testing.assert_array_equal(refit.assignments[split], papers["topic"].to_numpy())
        np.testing.assert_array_equal(coarse.assignments[split], papers["coarse_topic"].to_numpy())
    assert refit.words == topic_words(load("topic_model").model)
    table = load("coarse_topic_table")
    assert coarse.words == dict(zip(table["topic"], table["words"].map(list), strict=True))
