"""The parts of topic_update that need no trained project: checks, drift shares, the summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.pipeline import Node, Pipeline

from arxiv_pipeline.embedding.lineage import LineageMismatchError, check_embeds_like_model
from arxiv_pipeline.embedding.vectors import Embeddings
from arxiv_pipeline.hooks import RunSummaryHooks, summary_logger
from arxiv_pipeline.reporting.run_summary import metric_lines, topic_update_lines
from arxiv_pipeline.text.templates import text_hashes
from arxiv_pipeline.topics.settings import TopicUpdate
from arxiv_pipeline.topics.update import check_previous_assignments, moved_topics

IDENTITY = {"backend": "tfidf_svd", "model": "tfidf_svd", "model_hash": "trained-on-old-train"}
CONFIG = {
    "data_fingerprint": "d1",
    "embedding_model": "tfidf_svd",
    "embedding_settings": {},
    "embedding_identity": IDENTITY,
    "embedding_cache_key": {**IDENTITY, "text_fingerprint": "t1", "rows": 2},
}
REPORT = {
    "lineage": {"model_data_fingerprint": "d1", "snapshot_data_fingerprint": "d2"},
    "papers": {"kept": 1998, "new": 20, "revised": 1, "placed": 21, "dropped": 1},
    "outlier_share_before": 0.4,
    "outlier_share": 0.05,
    "max_outlier_share_before": 0.3,
    "refit_advised": True,
}


def embeddings(model_hash: str) -> Embeddings:
    cache_key = {**IDENTITY, "model_hash": model_hash, "text_fingerprint": "t2", "rows": 3}
    return Embeddings(
        np.array(["a", "b", "c"], dtype=object),
        np.zeros((3, 2), np.float32),
        {"cache_key": cache_key},
    )


def test_other_splits_are_allowed_but_not_another_encoder():
    # Other texts and rows (a new snapshot's split), the same encoder: allowed.
    check_embeds_like_model("topic model", CONFIG, embeddings("trained-on-old-train"))
    # TF-IDF + SVD refitted on other training papers: its vectors are another space.
    with pytest.raises(LineageMismatchError, match=r"not comparable .*topic_tuning.study_name"):
        check_embeds_like_model("topic model", CONFIG, embeddings("trained-on-new-train"))
    with pytest.raises(LineageMismatchError, match="no longer configured"):
        check_embeds_like_model("topic model", CONFIG, None)
    unrecorded = {name: value for name, value in CONFIG.items() if name != "data_fingerprint"}
    with pytest.raises(LineageMismatchError, match="data_fingerprint missing"):
        check_embeds_like_model("topic model", unrecorded, embeddings("trained-on-old-train"))


def test_assignments_without_text_hashes_are_refused():
    old = pd.DataFrame({"id": ["a"], "split": ["train"], "topic": [0], "coarse_topic": [0]})
    with pytest.raises(ValueError, match="no text_hash .*Run the topic_tuning pipeline once more"):
        check_previous_assignments(old)
    check_previous_assignments(old.assign(text_hash=np.uint64(1)))


def test_a_text_hash_follows_the_text_alone():
    hashes = text_hashes(pa.array(["an abstract", "another", "an abstract", "an abstract."]))
    assert hashes.dtype == np.uint64 and len(hashes) == 4
    assert hashes[0] == hashes[2] and len(set(hashes.tolist())) == 3
    assert len(text_hashes(pa.array([], pa.string()))) == 0


def test_moved_topics_compare_shares_among_placed_and_previous_papers():
    previous = np.array([0, 0, 0, 0, 1, 1, 1, -1])  # shares 0.5, 0.375, 0.125
    placed = np.array([1, 2, 2, 2])  # shares 0.25 (topic 1), 0.75 (topic 2, new)
    moved = moved_topics(placed, previous, np.array([0, 0, 1]), {0: ["a"], 1: ["b"], 2: ["c"]}, 3)
    assert [(topic["topic"], topic["change"]) for topic in moved] == [
        (2, 0.75),
        (0, -0.5),
        (-1, -0.125),
    ]
    assert moved[0] == {
        "topic": 2,
        "coarse_topic": 1,
        "words": ["c"],
        "share_among_placed": 0.75,
        "share_among_previous": 0.0,
        "change": 0.75,
    }
    assert moved[2]["coarse_topic"] == -1 and moved[2]["words"] == []
    assert moved_topics(np.array([], dtype=np.int64), previous, np.array([0, 0, 1]), {}, 3) == []


@pytest.mark.parametrize(
    ("values", "key"),
    [
        ({"max_outlier_share_before": 1.5}, "max_outlier_share_before"),
        ({"moved_topics": 0}, "moved_topics"),
    ],
)
def test_bad_settings_are_refused_naming_the_key(values, key):
    with pytest.raises(ValueError, match=f"topic_update.{key}"):
        TopicUpdate(**values)


def test_the_summary_advises_a_refit_above_the_threshold():
    advised = topic_update_lines(REPORT)
    assert advised[0] == (
        "Topic update: placed 21 papers (20 new, 1 revised) on the topic model built on data d1, "
        "kept the topics of 1998 and dropped 1; 40.0% of the placed papers are outliers before "
        "outlier reduction (5.0% after)."
    )
    assert (
        "above topic_update.max_outlier_share_before (30.0%): a refit or a new study is advised"
        in advised[1]
    )
    within = topic_update_lines({**REPORT, "outlier_share_before": 0.2, "refit_advised": False})
    assert "no refit is needed" in within[1]


def test_only_the_run_that_placed_a_snapshot_summarises_it(project, caplog):
    catalog = DataCatalog({"topic_update_report": MemoryDataset(REPORT)})
    update = Pipeline(
        [Node(lambda: None, inputs=None, outputs="topic_update_report", name="update")]
    )
    summary_logger.addHandler(caplog.handler)
    try:
        for pipeline in (update, Pipeline([])):
            RunSummaryHooks().after_pipeline_run(
                run_params={"project_path": str(project)},
                run_result={},
                pipeline=pipeline,
                catalog=catalog,
            )
    finally:
        summary_logger.removeHandler(caplog.handler)
    summaries = [
        record.getMessage() for record in caplog.records if record.name == summary_logger.name
    ]
    assert ["Topic update: placed 21" in summary for summary in summaries] == [True, False]


def test_metrics_of_an_earlier_snapshot_are_named_as_such():
    topic = {"c_npmi": 0.1, "diversity": 0.9, "n_topics": 12, "outlier_share": 0.0}
    metrics = {
        "data": {
            "splits_fingerprint": "d1",
            "papers_per_split": {"train": 1600, "validation": 200, "test": 200},
        },
        "classifier": {"models": {"tuned": {"micro_f1": 0.5, "macro_f1": 0.4, "lrap": 0.6}}},
        "topics": {"models": {"tuned": {"test": topic}}},
    }
    current = metric_lines(metrics, splits_fingerprint="d1")[0]
    assert current.startswith("Test-split metrics, each model beside its baselines")
    earlier = metric_lines(metrics, splits_fingerprint="d2")
    assert earlier[0].startswith(
        "Test-split metrics of an EARLIER snapshot (2000 papers, splits d1)"
    )
    assert (
        "topic_tuning.study_name=<new>" in earlier[0] and earlier[1:] == metric_lines(metrics)[1:]
    )
    # Metrics of a run before fingerprints were recorded are shown as they are.
    unknown = {**metrics, "data": {"papers_per_split": metrics["data"]["papers_per_split"]}}
    assert metric_lines(unknown, splits_fingerprint="d2")[0] == current
