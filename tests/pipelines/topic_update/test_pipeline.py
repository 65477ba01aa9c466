"""topic_update: a new snapshot of the real sample placed on the saved topic map.

The new snapshot is the sample with 20 papers of a new month, one revised abstract and
one paper withdrawn. The trained project embeds with TF-IDF + SVD, which is refitted
whenever the training papers change, so the changed papers are ones the keyed-hash
splits place in validation or test: the training texts, and with them the encoder, stay
as they were (a new training paper is refused, see test_update.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from arxiv_pipeline.corpus.splitting import split_papers
from tests.conftest import load_dataset, run_pipelines
from tests.workflows import trained_copy

NEW_PAPERS = 20


@pytest.fixture
def trained_project(project, arxiv_sample):
    """The project with models trained once per session (shared with the evaluation tests)."""
    return trained_copy(project, arxiv_sample)


def held_out_ids(project: Path, count: int) -> list[str]:
    """``count`` ids of May 2007 that the project's splits place outside train."""
    split = yaml.safe_load((project / "conf/base/parameters_ingestion.yml").read_text())["ingestion"]["split"]
    candidates = [f"0705.{number:04d}" for number in range(1, 1000)]
    placed = split_papers(candidates, split["fractions"], split["size_fractions"], split["seed"])
    return placed.loc[placed["split"] != "train", "id"].head(count).tolist()


def next_snapshot(project: Path, sample: Path, previous: pd.DataFrame) -> tuple[Path, list[str], str, str]:
    """The sample plus new papers, one held-out paper revised and one withdrawn.

    Returns the snapshot, the new ids, the revised id and the withdrawn id.
    """
    records = [json.loads(line) for line in sample.read_text().splitlines()]
    held_out = previous.loc[previous["split"] != "train", "id"].tolist()
    withdrawn, revised = held_out[0], held_out[1]
    new_ids = held_out_ids(project, NEW_PAPERS)
    # New papers: abstracts of held-out papers, under new ids (their month is May 2007).
    sources = {record["id"]: record for record in records if record["id"] in held_out[2:]}
    new = [{**source, "id": paper_id} for paper_id, source in zip(new_ids, sources.values(), strict=False)]
    kept = []
    for record in records:
        if record["id"] == revised:
            record = {**record, "abstract": record["abstract"] + " We correct an error in the proof."}
        if record["id"] != withdrawn:
            kept.append(record)
    snapshot = project / "next_snapshot.jsonl"
    snapshot.write_text("".join(json.dumps(record) + "\n" for record in kept + new))
    return snapshot, new_ids, revised, withdrawn


def test_an_update_places_exactly_the_new_and_revised_papers(trained_project, arxiv_sample):
    previous = load_dataset(trained_project, "topic_assignments")
    snapshot, new_ids, revised, withdrawn = next_snapshot(trained_project, arxiv_sample, previous)

    run_pipelines(trained_project, ["ingestion", "embeddings", "topic_update"], snapshot_path=str(snapshot))

    updated = load_dataset(trained_project, "topic_assignments")
    report = load_dataset(trained_project, "topic_update_report")
    splits = load_dataset(trained_project, "paper_splits")
    bundle = load_dataset(trained_project, "topic_model")
    assert len(new_ids) == NEW_PAPERS
    assert report["papers"] == {
        "kept": len(previous) - 2,
        "new": NEW_PAPERS,
        "revised": 1,
        "placed": NEW_PAPERS + 1,
        "dropped": 1,
    }
    assert sorted(updated["id"]) == sorted(splits["id"]) and withdrawn not in set(updated["id"])
    # Every unchanged paper keeps its split, fine and coarse topic and text hash exactly.
    unchanged = previous[~previous["id"].isin([revised, withdrawn])].set_index("id")
    columns = ["split", "topic", "coarse_topic", "text_hash"]
    pd.testing.assert_frame_equal(updated.set_index("id").loc[unchanged.index, columns], unchanged[columns])
    # The placed papers: the revised one's text hash changed, every coarse topic is the model's.
    by_id = updated.set_index("id")
    assert by_id.loc[revised, "text_hash"] != previous.set_index("id").loc[revised, "text_hash"]
    placed = by_id.loc[[*new_ids, revised]]
    coarse_of = np.asarray(bundle.config["coarse_of"])
    expected_coarse = np.where(placed["topic"] >= 0, coarse_of[placed["topic"].clip(lower=0)], -1)
    np.testing.assert_array_equal(placed["coarse_topic"], expected_coarse)
    # The drift report: which model placed which snapshot, and shares of real topics.
    assert report["lineage"]["model_data_fingerprint"] == bundle.config["data_fingerprint"]
    assert report["lineage"]["snapshot_data_fingerprint"] != bundle.config["data_fingerprint"]
    # The run summary compares the evaluation's papers with these (test_update.py).
    ingestion = load_dataset(trained_project, "ingestion_summary")
    assert ingestion["splits_fingerprint"] == report["lineage"]["snapshot_data_fingerprint"]
    assert report["outlier_share"] == pytest.approx(np.mean(placed["topic"] == -1), abs=1e-6)
    assert 0.0 <= report["outlier_share"] <= report["outlier_share_before"] <= 1.0
    assert report["refit_advised"] == (report["outlier_share_before"] > report["max_outlier_share_before"])
    moved = report["moved_topics"]
    assert 0 < len(moved) <= 10
    assert [abs(topic["change"]) for topic in moved] == sorted((abs(topic["change"]) for topic in moved), reverse=True)
    for topic in moved:
        assert topic["share_among_placed"] == pytest.approx(np.mean(placed["topic"] == topic["topic"]), abs=1e-6)
        assert topic["share_among_previous"] == pytest.approx(np.mean(previous["topic"] == topic["topic"]), abs=1e-6)

    # An update on the same snapshot places nothing and changes nothing.
    run_pipelines(trained_project, ["topic_update"], snapshot_path=str(snapshot))
    again = load_dataset(trained_project, "topic_update_report")
    assert again["papers"] == {"kept": len(updated), "new": 0, "revised": 0, "placed": 0, "dropped": 0}
    assert again["moved_topics"] == [] and not again["refit_advised"]
    pd.testing.assert_frame_equal(load_dataset(trained_project, "topic_assignments"), updated)

    # Topics over time read the updated assignments: the new month appears.
    run_pipelines(trained_project, ["topic_views"], to_outputs=["topic_shares_over_time"])
    months = load_dataset(trained_project, "topic_shares_over_time")["month"]
    assert pd.Timestamp("2007-05-01") in set(pd.to_datetime(months))
