"""The ingestion pipeline end to end, through a real KedroSession."""

import gzip
import json
import zipfile
from pathlib import Path

import pandas as pd
import pytest

from arxiv_pipeline.pipelines.ingestion.nodes import RejectedShareError
from tests.conftest import load_dataset, run_pipelines
from tests.pipelines.ingestion.test_parsing import BROKEN_LINES, encode, record

RETIRED_AND_ALIASES = {"math.IT", "math.MP", "stat.TH", "cs.NA", "cs.SY", "q-fin.EC", "alg-geom",
                       "funct-an", "chao-dyn", "solv-int", "q-alg", "dg-ga", "supr-con", "patt-sol"}


def ingest(project: Path, snapshot: Path, **params):
    run_pipelines(project, ["ingestion"], snapshot_path=str(snapshot), **params)
    papers = load_dataset(project, "papers").read().to_pandas()
    splits = load_dataset(project, "paper_splits")
    summary = json.loads((project / "data/08_reporting/ingestion_summary.json").read_text())
    return papers, splits, summary


def assert_disjoint_and_nested(splits: pd.DataFrame, papers: pd.DataFrame):
    assert splits["id"].is_unique and set(splits["id"]) == set(papers["id"])
    by_split = {name: set(group["id"]) for name, group in splits.groupby("split")}
    assert set(by_split) == {"train", "validation", "test"}
    assert not (by_split["train"] & by_split["validation"] or by_split["train"] & by_split["test"]
                or by_split["validation"] & by_split["test"])
    sizes = sorted(splits["size_fraction"].unique())
    for small, large in zip(sizes, sizes[1:]):
        for name in by_split:
            part = splits[splits["split"] == name]
            assert set(part.loc[part["size_fraction"] <= small, "id"]) < set(
                part.loc[part["size_fraction"] <= large, "id"]
            )


def test_real_sample_is_ingested_whole_with_canonical_labels_and_clean_splits(project, arxiv_sample):
    papers, splits, summary = ingest(project, arxiv_sample)
    assert len(papers) == 2000 and summary["papers"] == 2000 and summary["lines_rejected"] == 0
    labels = {label for paper_labels in papers["categories"] for label in paper_labels}
    assert not labels & RETIRED_AND_ALIASES
    assert (papers["primary_category"] == papers["categories"].str[0]).all()
    assert papers.loc[papers["id"] == "0704.0001", "archive"].item() == "hep-ph"
    # Whitespace normalised, nothing else: LaTeX and decimals intact.
    assert not papers["abstract"].str.contains(r"\s\s|\n|^\s|\s$", regex=True).any()
    assert papers["abstract"].str.contains(r"\$\(k,\\ell\)\$", regex=True).any()
    assert_disjoint_and_nested(splits, papers)
    vocabulary = load_dataset(project, "label_vocabulary")
    assert vocabulary["labels"][0] == "astro-ph" and vocabulary["counts"]["astro-ph"] == 445


@pytest.mark.parametrize("compression", ["gzip", "zip"])
def test_compressed_snapshots_give_the_same_papers(project, arxiv_sample, tmp_path, compression):
    if compression == "gzip":
        packed = tmp_path / "arxiv-metadata-oai-snapshot.json.gz"
        packed.write_bytes(gzip.compress(arxiv_sample.read_bytes()))
        given = tmp_path / "arxiv-metadata-oai-snapshot.json"  # found beside, as .json.gz
    else:
        given = packed = tmp_path / "arxiv.zip"  # what the Kaggle CLI downloads
        with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.write(arxiv_sample, "arxiv-metadata-oai-snapshot.json")
    papers, _, summary = ingest(project, given)
    assert len(papers) == 2000 and summary["source"] == str(packed.resolve())


def write_snapshot(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def test_bad_lines_are_quarantined_and_every_valid_record_kept(project, tmp_path):
    valid = [record(id=f"2101.{i:05d}", categories="math.IT cs.IT").encode() for i in range(1500)]
    bad = [encode(reason, line) for reason, line in BROKEN_LINES.items()]
    lines = valid[:500] + bad + valid[500:]  # 13 of 1513 lines: under the default 1%
    papers, _, summary = ingest(project, write_snapshot(tmp_path / "mixed.json", lines))
    assert len(papers) == 1500 and set(papers["categories"].map(tuple)) == {("cs.IT",)}
    quarantine = load_dataset(project, "quarantine")
    assert quarantine["line_number"].tolist() == list(range(501, 501 + len(bad)))
    assert quarantine["reason"].tolist() == list(BROKEN_LINES)
    assert summary["rejected_by_reason"] == {reason: 1 for reason in BROKEN_LINES}
    assert summary["lines_read"] == len(lines)


def test_too_many_bad_lines_fail_the_run_after_saving_the_quarantine(project, tmp_path):
    lines = [record(id=f"2101.{i:05d}").encode() for i in range(50)] + [b"{oops"] * 2
    with pytest.raises(RejectedShareError, match=r"2 of 52 lines of '.*bad.json' were rejected"):
        ingest(project, write_snapshot(tmp_path / "bad.json", lines))
    assert len(load_dataset(project, "quarantine")) == 2


def test_the_most_recent_version_of_a_duplicated_id_wins(project, tmp_path):
    v1 = [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}]
    v2 = v1 + [{"version": "v2", "created": "Tue, 3 Apr 2007 19:18:42 GMT"}]
    lines = [
        record(id="0704.0001", title="new", versions=v2).encode(),
        record(id="0704.0001", title="old", versions=v1).encode(),
        record(id="0704.0002", title="first", update_date="2008-01-01").encode(),
        record(id="0704.0002", title="second", update_date="2008-01-01").encode(),
    ] + [record(id=f"0704.1{i:03d}").encode() for i in range(20)]
    papers, _, summary = ingest(project, write_snapshot(tmp_path / "dups.json", lines))
    titles = papers.set_index("id")["title"]
    assert titles["0704.0001"] == "new" and titles["0704.0002"] == "second"
    assert summary["duplicates_removed"] == 2 and len(papers) == 22


def test_missing_snapshot_falls_back_to_the_synthetic_demo_corpus(project, tmp_path):
    papers, splits, summary = ingest(project, tmp_path / "absent.json")
    assert summary["is_demo"] and summary["source"].endswith("arxiv-demo-synthetic.jsonl")
    assert len(papers) == 3000 and papers["primary_category"].nunique() >= 12
    assert_disjoint_and_nested(splits, papers)
