"""The ingestion pipeline end to end, through a real KedroSession."""

import gzip
import json
import os
import re
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest
from kedro.io import DatasetError
from kedro.validation.exceptions import ParameterValidationError

from arxiv_pipeline.datasets.snapshot_dataset import ArxivSnapshotDataset, SnapshotReadError
from arxiv_pipeline.demo import demo_corpus_path
from arxiv_pipeline.pipelines.ingestion.nodes import RejectedShareError
from tests.conftest import copy_project, load_dataset, run_pipelines
from tests.pipelines.ingestion.snapshot_lines import (
    BROKEN_LINES,
    encode,
    record,
    with_deep_field,
    write_snapshot,
)

RETIRED_AND_ALIASES = {"math.IT", "math.MP", "stat.TH", "cs.NA", "cs.SY", "q-fin.EC", "alg-geom",
                       "funct-an", "chao-dyn", "solv-int", "q-alg", "dg-ga", "supr-con", "patt-sol"}


@dataclass(frozen=True)
class Ingested:
    papers: pd.DataFrame
    splits: pd.DataFrame
    summary: dict
    project: Path


def ingest(project: Path, snapshot: Path | str, **params) -> Ingested:
    run_pipelines(project, ["ingestion"], snapshot_path=str(snapshot), **params)
    papers = load_dataset(project, "papers").read().to_pandas()
    splits = load_dataset(project, "paper_splits")
    summary = json.loads((project / "data/08_reporting/ingestion_summary.json").read_text())
    return Ingested(papers, splits, summary, project)


@pytest.fixture(scope="session")
def ingested_sample(arxiv_sample, tmp_path_factory) -> Ingested:
    """One ingestion of the 2,000 real papers, shared by every test that reads its outputs."""
    folder = tmp_path_factory.mktemp("ingested-sample")
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(folder)
        return ingest(copy_project(folder), arxiv_sample)


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


def test_real_sample_is_ingested_whole_with_canonical_labels_and_clean_splits(ingested_sample):
    papers, splits, summary = ingested_sample.papers, ingested_sample.splits, ingested_sample.summary
    assert len(papers) == 2000 and summary["papers"] == 2000 and summary["lines_rejected"] == 0
    assert summary["is_demo"] is False
    labels = {label for paper_labels in papers["categories"] for label in paper_labels}
    assert not labels & RETIRED_AND_ALIASES
    assert (papers["primary_category"] == papers["categories"].str[0]).all()
    assert papers.loc[papers["id"] == "0704.0001", "archive"].item() == "hep-ph"
    # Whitespace normalised, nothing else: LaTeX and decimals intact.
    assert not papers["abstract"].str.contains(r"\s\s|\n|^\s|\s$", regex=True).any()
    assert papers["abstract"].str.contains(r"\$\(k,\\ell\)\$", regex=True).any()
    assert_disjoint_and_nested(splits, papers)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(ingested_sample.project)
        vocabulary = load_dataset(ingested_sample.project, "label_vocabulary")
    assert vocabulary["labels"][0] == "astro-ph" and vocabulary["counts"]["astro-ph"] == 445


def test_last_weeks_papers_keep_their_splits_in_this_weeks_snapshot(
    project, arxiv_sample, ingested_sample, tmp_path
):
    """This week's snapshot (the whole sample) is last week's plus 1% new papers, a revised
    paper and one withdrawn: every paper both hold keeps its split and nested size."""
    this_week = arxiv_sample.read_bytes().splitlines()
    first = json.loads(this_week[0])  # last week it had an earlier version
    earlier = {**first, "abstract": "An earlier abstract.", "categories": "math.CO"}
    withdrawn = record(id="0704.9999").encode()
    last_week = [json.dumps(earlier).encode(), *this_week[1:1980], withdrawn]
    before = ingest(project, write_snapshot(tmp_path / "last_week.json", last_week)).splits
    after = ingested_sample.splits
    shared = before[before["id"].isin(after["id"])].reset_index(drop=True)
    assert len(shared) == 1980 and first["id"] in set(shared["id"])
    pd.testing.assert_frame_equal(after[after["id"].isin(shared["id"])].reset_index(drop=True), shared)


@pytest.mark.parametrize("compression", ["gzip", "zip"])
def test_compressed_snapshots_give_the_same_papers(
    project, arxiv_sample, ingested_sample, tmp_path, compression
):
    cut = b"".join(arxiv_sample.read_bytes().splitlines(keepends=True)[:200])
    if compression == "gzip":
        packed = tmp_path / "arxiv-metadata-oai-snapshot.json.gz"
        packed.write_bytes(gzip.compress(cut))
        given = tmp_path / "arxiv-metadata-oai-snapshot.json"  # found beside, as .json.gz
    else:
        given = packed = tmp_path / "arxiv.zip"  # what the Kaggle CLI downloads
        with zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("arxiv-metadata-oai-snapshot.json", cut)
    result = ingest(project, given)
    assert result.summary["source"] == str(packed.resolve())
    pd.testing.assert_frame_equal(result.papers, ingested_sample.papers.head(200))


def test_bad_lines_are_quarantined_and_every_valid_record_kept(project, tmp_path):
    valid = [record(id=f"2101.{i:05d}", categories="math.IT cs.IT").encode() for i in range(2000)]
    bad = [encode(reason, line) for reason, line in BROKEN_LINES.items()]
    lines = valid[:500] + bad + valid[500:]  # 16 of 2016 lines: under the default 1%
    result = ingest(project, write_snapshot(tmp_path / "mixed.json", lines))
    assert len(result.papers) == 2000 and set(result.papers["categories"].map(tuple)) == {("cs.IT",)}
    quarantine = load_dataset(project, "quarantine")
    assert quarantine["line_number"].tolist() == list(range(501, 501 + len(bad)))
    assert quarantine["reason"].tolist() == list(BROKEN_LINES)
    assert result.summary["rejected_by_reason"] == {reason: 1 for reason in BROKEN_LINES}
    assert result.summary["lines_read"] == len(lines)


def test_a_label_less_record_in_a_clean_block_is_quarantined(project, tmp_path):
    # No broken line: the block takes pyarrow's fast path, where "" once crashed the run.
    lines = [record(id=f"2101.{i:05d}").encode() for i in range(200)]
    lines[7] = record(id="2101.99999", categories="").encode()
    result = ingest(project, write_snapshot(tmp_path / "nolabel.json", lines), ingestion={
        "max_rejected_share": 0.05
    })
    assert len(result.papers) == 199 and "2101.99999" not in set(result.papers["id"])
    assert result.summary["rejected_by_reason"] == {"empty_field:categories": 1}
    assert load_dataset(project, "quarantine")["line_number"].tolist() == [8]


def test_a_deep_value_beside_a_broken_line_is_not_fatal(project, tmp_path):
    lines = [record(id=f"2101.{i:05d}").encode() for i in range(200)]
    lines[3] = with_deep_field("authors_parsed").encode()  # a field ingestion does not read
    lines[4] = with_deep_field("abstract").encode()
    lines[5] = b"{broken"
    result = ingest(project, write_snapshot(tmp_path / "deep.json", lines), ingestion={
        "max_rejected_share": 0.05
    })
    assert result.summary["rejected_by_reason"] == {"invalid_json": 1, "too_deep": 1}
    assert "0704.0001" in set(result.papers["id"])  # the record with the deep extra field
    assert len(result.papers) == 198


def test_too_many_bad_lines_fail_the_run_after_saving_the_quarantine(project, tmp_path):
    lines = [record(id=f"2101.{i:05d}").encode() for i in range(50)] + [b"{oops"] * 2
    with pytest.raises(RejectedShareError, match=r"2 of 52 lines of '.*bad.json' were rejected"):
        ingest(project, write_snapshot(tmp_path / "bad.json", lines))
    assert len(load_dataset(project, "quarantine")) == 2


def test_a_run_without_any_paper_fails_whatever_the_allowed_share(project, tmp_path):
    lines = [record(id=f"2101.{i:05d}", categories=" ").encode() for i in range(3)]
    with pytest.raises(RejectedShareError, match=r"3 of 3 lines of '.*none.json'.*no valid paper"):
        ingest(project, write_snapshot(tmp_path / "none.json", lines),
               ingestion={"max_rejected_share": 1.0})


def test_the_most_recent_version_of_a_duplicated_id_wins(project, tmp_path):
    v1 = [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}]
    v2 = v1 + [{"version": "v2", "created": "Tue, 3 Apr 2007 19:18:42 GMT"}]
    lines = [
        record(id="0704.0001", title="new", versions=v2).encode(),
        record(id="0704.0001", title="old", versions=v1).encode(),
        record(id="0704.0002", title="first", update_date="2008-01-01").encode(),
        record(id="0704.0002", title="second", update_date="2008-01-01").encode(),
        # A real date beats a missing or invalid one, even on an earlier line.
        record(id="0704.0003", title="dated", update_date="2008-01-01").encode(),
        record(id="0704.0003", title="undated", update_date=None).encode(),
        record(id="0704.0003", title="invalid", update_date="2008-13-45").encode(),
    ] + [record(id=f"0704.1{i:03d}").encode() for i in range(20)]
    result = ingest(project, write_snapshot(tmp_path / "dups.json", lines))
    titles = result.papers.set_index("id")["title"]
    assert titles["0704.0001"] == "new" and titles["0704.0002"] == "second"
    assert titles["0704.0003"] == "dated"
    assert result.summary["duplicates_removed"] == 4 and len(result.papers) == 23


def test_an_empty_snapshot_is_an_error_naming_it(project, tmp_path):
    empty = tmp_path / "empty.json"
    empty.write_bytes(b"")
    with pytest.raises(SnapshotReadError, match=re.escape(f"'{empty}' is empty")) as error:
        ingest(project, empty)
    assert "parsed_snapshot" not in str(error.value)


def test_a_truncated_gzip_is_an_error_naming_it(project, tmp_path):
    lines = [record(id=f"2101.{i:05d}").encode() for i in range(500)]
    packed = gzip.compress(b"\n".join(lines) + b"\n")
    truncated = tmp_path / "cut.json.gz"
    truncated.write_bytes(packed[: len(packed) // 2])
    # The break shows while parsed_snapshot is saved, and Kedro names that dataset first.
    with pytest.raises(DatasetError, match=re.escape(f"'{truncated}' (gzip) could not be read after line")):
        ingest(project, truncated)


def test_a_missing_snapshot_is_an_error_naming_every_path_tried(project, tmp_path):
    missing = tmp_path / "nope.json"
    with pytest.raises(DatasetError) as error:
        ingest(project, missing)
    message = str(error.value)
    for tried in (missing, f"{missing}.gz", f"{missing}.zip", tmp_path / "nope.zip",
                  tmp_path / "arxiv.zip"):
        assert f"'{tried}'" in message
    assert "kaggle datasets download Cornell-University/arxiv" in message
    assert "--params demo=true" in message
    assert not (project / "data/08_reporting/ingestion_summary.json").exists()


def test_the_default_path_without_a_snapshot_is_an_error_not_the_demo(project):
    default = project / "data/01_raw/arxiv-metadata-oai-snapshot.json"
    with pytest.raises(DatasetError, match=re.escape(f"No arXiv snapshot at '{default}'")):
        run_pipelines(project, ["ingestion"])


def test_a_directory_as_snapshot_is_an_error(project, tmp_path):
    with pytest.raises(DatasetError, match=re.escape(f"'{tmp_path}' is a directory")):
        ingest(project, tmp_path)


def test_a_fifo_or_device_as_snapshot_is_named_for_what_it_is(project, tmp_path):
    """A FIFO was reported as missing ("No arXiv snapshot at ...")."""
    fifo = tmp_path / "arxiv-metadata-oai-snapshot.json"
    os.mkfifo(fifo)
    refusal = f"'{fifo}' is a FIFO (named pipe), not a regular file"
    with pytest.raises(DatasetError, match=re.escape(refusal)):
        ingest(project, fifo)
    refusal = "'/dev/null' is a character device, not a regular file"
    with pytest.raises(DatasetError, match=re.escape(refusal)):
        ArxivSnapshotDataset("/dev/null").load()


def test_the_demo_runs_only_when_chosen_and_says_so(project, caplog):
    result = ingest(project, project / "absent.json", demo=True)
    assert result.summary["is_demo"] is True
    assert result.summary["source"] == str(demo_corpus_path())
    assert len(result.papers) == 3000 and result.papers["primary_category"].nunique() == 16
    assert_disjoint_and_nested(result.splits, result.papers)
    assert "SYNTHETIC demo corpus" in caplog.text


def test_a_bad_ingestion_parameter_stops_the_run_naming_its_key(project, tmp_path):
    snapshot = write_snapshot(tmp_path / "ok.json", [record().encode()])
    with pytest.raises(ParameterValidationError, match=r"ingestion\.max_rejected_share must be"):
        ingest(project, snapshot, ingestion={"max_rejected_share": 1.5})
    assert not (project / "data/02_intermediate/parsed_snapshot.parquet").exists()
