"""topic_views and the end-of-run summary through real KedroSessions on the real 2,000-paper sample."""

import json
import logging
from pathlib import Path

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pyarrow.parquet as pq
import pytest

from arxiv_pipeline.hooks import summary_logger
from arxiv_pipeline.topics.views import assigned_papers, topic_shares_over_time
from tests.conftest import load_dataset, run_pipelines
from tests.workflows import reported_copy


@pytest.fixture
def trained_project(project, arxiv_sample):
    """The trained project, evaluated, with its reports (built once per session)."""
    return reported_copy(project, arxiv_sample)


@pytest.fixture
def caplog(caplog: pytest.LogCaptureFixture):
    """caplog, also fed by the run summary's logger, which the project's logging
    configuration keeps from passing its records on to the root."""
    summary_logger.addHandler(caplog.handler)
    yield caplog
    summary_logger.removeHandler(caplog.handler)


def summary_of(caplog: pytest.LogCaptureFixture) -> str:
    # Where the logger still passes records on, the root's handler holds them too.
    (message,) = {record.getMessage() for record in caplog.records if record.name == summary_logger.name}
    return message


def papers_frame(project: Path) -> pd.DataFrame:
    """The ingested papers, read independently of the pipeline's code."""
    return pq.read_table(project / "data/03_primary/papers.parquet").to_pandas()


def test_topic_views_count_every_assigned_paper(trained_project):
    # What topic_views wrote when the reported copy was built (tests/workflows.py).
    assignments = load_dataset(trained_project, "topic_assignments")
    counts = assignments["topic"].value_counts().sort_index()

    # The sample's ids are 0704.0001-0704.2000: April 2007, one month.
    shares = load_dataset(trained_project, "topic_shares_over_time")
    assert shares["month"].dt.strftime("%Y-%m").unique().tolist() == ["2007-04"]
    assert dict(zip(shares["topic"], shares["papers"], strict=True)) == counts.to_dict()
    assert shares["month_papers"].unique().tolist() == [2000]
    np.testing.assert_allclose(shares["share"].sum(), 1.0, atol=1e-12)
    assert all(shares["words"].str.len() > 0)
    assert "span 1 month(s): a trend needs at least two" in load_dataset(trained_project, "rising_and_falling_topics")

    merged = assignments.merge(papers_frame(trained_project), on="id")
    archives = load_dataset(trained_project, "topic_archive_crosstab").set_index("topic")
    expected = merged.groupby(["topic", "archive"]).size().unstack(fill_value=0)
    pd.testing.assert_frame_equal(archives, expected, check_names=False, check_dtype=False)
    categories = load_dataset(trained_project, "topic_category_crosstab").set_index("topic")
    assert categories.sum(axis=1).to_dict() == counts.to_dict()
    assert set(categories.columns) == set(merged["primary_category"])

    topic_table = load_dataset(trained_project, "topic_table")
    taxonomy = load_dataset(trained_project, "topic_taxonomy")
    pd.testing.assert_frame_equal(taxonomy[topic_table.columns], topic_table)
    # Outlier reduction can leave a topic of the model (e.g. -1) without any assigned paper:
    # it keeps its row, with no dominant archive.
    by_topic = taxonomy.set_index("topic")
    assigned = by_topic.loc[expected.index]
    assert assigned["dominant_archive"].to_dict() == expected.idxmax(axis=1).to_dict()
    np.testing.assert_allclose(
        assigned["dominant_archive_share"], expected.max(axis=1) / expected.sum(axis=1), atol=1e-6
    )
    assert by_topic.drop(expected.index)["dominant_archive"].isna().all()

    heatmap = load_dataset(trained_project, "topic_archive_heatmap")
    assert isinstance(heatmap, go.Figure) and np.asarray(heatmap.data[0].z).shape == expected.shape
    topic_map = load_dataset(trained_project, "topic_map_by_archive")
    assert sum(len(trace.x) for trace in topic_map.data) == (topic_table["topic"] != -1).sum()
    over_time = load_dataset(trained_project, "topics_over_time_figure")
    assert "2000 assigned papers" in over_time.layout.title.text


def test_shares_follow_months_through_bertopic(trained_project):
    """Months spread over the real papers: each month's topics counted on their own, and
    their words BERTopic's ``topics_over_time`` words, counted 7 papers at a time."""
    bundle = load_dataset(trained_project, "topic_model")
    assignments = load_dataset(trained_project, "topic_assignments")
    papers = pq.ParquetFile(trained_project / "data/03_primary/papers.parquet")
    assigned = assigned_papers(papers, assignments, bundle.config["text_template"])
    months = np.where(np.arange(len(assigned.frame)) < 1200, "2007-04-01", "2007-05-01")
    months[-10:] = "2007-07-01"  # too few papers: left out
    assigned.frame["month"] = pd.to_datetime(months)
    # BERTopic's topics_over_time takes a topic's global words from the row at its position
    # among the topics it is given, which is the topic's own row only where it is given
    # every topic of the model, the outlier topic included (BERTopic issue #128): a paper
    # of each month made an outlier.
    if bundle.model._outliers:
        assigned.frame.loc[[0, 1200], "topic"] = -1
    assert set(assigned.frame["topic"].iloc[:-10]) == set(bundle.model.get_topics())

    shares = topic_shares_over_time(bundle.model, assigned, min_month_papers=20, chunk_size=7)
    assert shares.groupby("month")["month_papers"].first().tolist() == [1200, 790]
    kept = assigned.frame.iloc[:-10]
    expected = kept.groupby(["month", "topic"]).size()
    assert shares.set_index(["month", "topic"])["papers"].to_dict() == expected.to_dict()
    np.testing.assert_allclose(shares.groupby("month")["share"].sum(), [1.0, 1.0], atol=1e-12)

    # BERTopic's own, on every text at once (it normalises the model's c-TF-IDF in place:
    # run last).
    documents = assigned.texts.slice(0, len(kept)).to_pylist()
    own = bundle.model.topics_over_time(documents, kept["month"].tolist(), topics=kept["topic"].tolist())
    own_words = dict(zip(zip(pd.to_datetime(own["Timestamp"]), own["Topic"]), own["Words"], strict=True))
    assert shares.set_index(["month", "topic"])["words"].to_dict() == own_words


def test_the_summary_tells_what_the_project_holds_with_test_metrics_beside_the_baselines(
    trained_project, caplog
):
    caplog.set_level(logging.INFO)
    # The summary reports what the project holds, whichever pipelines the run ran.
    run_pipelines(trained_project, ["study_reports"])
    metrics = json.loads((trained_project / "data/08_reporting/metrics.json").read_text())
    summary = summary_of(caplog)
    prior = metrics["classifier"]["models"]["label_prior"]
    assert "Label prior" in summary and f"micro_f1 {prior['micro_f1']:.3f}" in summary
    lda = metrics["topics"]["models"]["lda"]["test"]
    assert f"c_npmi {lda['c_npmi']:.3f}" in summary and "gensim LDA" in summary
    assert "Not produced yet" not in summary  # the reported copy holds every output

    topic_table = load_dataset(trained_project, "topic_table")
    n_topics = int((topic_table["topic"] != -1).sum())
    assert f"Topic model: {n_topics} topics" in summary
    assert "kept 2000 papers" in summary
    assert "kedro studies dashboard topic_tuning" in summary and "kedro viz" in summary
    assert "Topic atlas (open it in a browser; no server, no internet needed): data/08_reporting/topic_atlas.html" in summary
    # Each results folder is named with a few of its files and how many more it holds.
    reports = sorted(
        path.name + ("/" if path.is_dir() else "")
        for path in (trained_project / "data/08_reporting").iterdir()
        if not path.name.startswith(".")
    )
    assert f"data/08_reporting: {', '.join(reports[:6])} and {len(reports) - 6} more" in summary


def test_a_partial_run_tells_what_it_has(project, arxiv_sample, caplog):
    caplog.set_level(logging.INFO)
    run_pipelines(project, ["ingestion"], snapshot_path=str(arxiv_sample))
    summary = summary_of(caplog)
    assert "2000 lines, kept 2000 papers" in summary
    assert "Not produced yet (run these pipelines): topic_tuning, evaluation." in summary
    assert "kedro studies dashboard" not in summary  # no study yet
    assert "data/08_reporting: ingestion_summary.json" in summary
