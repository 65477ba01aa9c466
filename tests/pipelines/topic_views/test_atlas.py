"""The topic atlas on small tables: its data (nesting, sizes, shares, categories), its page and its node."""

from __future__ import annotations

import inspect
import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from arxiv_pipeline.datasets.html_dataset import HTMLDataset
from arxiv_pipeline.hooks import _written_path
from arxiv_pipeline.pipelines.topic_views import create_pipeline
from arxiv_pipeline.reporting.run_summary import render_summary
from arxiv_pipeline.topics.atlas import (
    AtlasCounts,
    atlas_data,
    build_atlas,
    count_assigned_papers,
    render_atlas,
)
from arxiv_pipeline.topics.views import TopicViews

#: A title and a name that would run script or break the page if written as markup.
HOSTILE_TITLE = '</script><script>window.pwned = 1</script><img src=x onerror="window.pwned = 2">'
HOSTILE_NAME = "<b>bold</b> & <i>co</i>"

#: Paper id, fine topic, coarse topic, primary category. January and February 2024 hold
#: 4 assigned papers each; April 2024 and January 1999 fewer than MIN_MONTH_PAPERS.
PAPERS = [
    ("2401.00001", 0, 0, "cs.LG"),
    ("2401.00002", 0, 0, "cs.LG"),
    ("2401.00003", 1, 0, "cs.CV"),
    ("2401.00004", 2, 1, "math.GT"),
    ("2402.00001", 0, 0, "stat.ML"),
    ("2402.00002", 2, 1, "math.GT"),
    ("2402.00003", 2, 1, "math.AT"),
    ("2402.00004", -1, -1, "hep-th"),
    ("2404.00001", 3, 2, "hep-th"),
    ("2404.00002", 3, 2, "hep-th"),
    ("hep-th/9901001", 3, 2, "hep-ph"),
]
MIN_MONTH_PAPERS = 3


def papers_file(folder: Path) -> pq.ParquetFile:
    """The papers, and one no topic was assigned to, in row groups of 3."""
    ids = [paper for paper, *_ in PAPERS] + ["2401.99999"]
    titles = {"2401.00001": HOSTILE_TITLE}
    table = pa.table(
        {
            "id": ids,
            "title": [titles.get(paper, f"Title of {paper}") for paper in ids],
            "categories": [[category, "cs.AI"] for *_, category in PAPERS] + [["cs.LG"]],
            "update_date": pa.array([None] * len(ids), pa.date32()),
        }
    )
    pq.write_table(table, folder / "papers.parquet", row_group_size=3)
    return pq.ParquetFile(folder / "papers.parquet")


def atlas_tables() -> dict[str, pd.DataFrame]:
    """``topic_table``, ``coarse_topic_table`` and ``topic_assignments`` of :data:`PAPERS`."""
    topic_table = pd.DataFrame(
        {
            "topic": [-1, 0, 1, 2, 3],
            "size": [5, 30, 10, 20, 8],
            "words": [
                ["the", "of"],
                ["graph", "neural", "networks"],
                ["image", "segmentation"],
                ["knot", "link"],
                ["string", "brane"],
            ],
            "name": [
                "outliers",
                "graph, neural, networks",
                HOSTILE_NAME,
                "knot, link",
                "string, brane",
            ],
            "coarse_topic": [-1, 0, 0, 1, 2],
            "representative_ids": [
                [],
                ["2401.00001", "2401.00002"],
                ["2401.00003"],
                ["2402.00002"],
                ["2404.00001"],
            ],
        }
    )
    coarse_topic_table = pd.DataFrame(
        {
            "topic": [0, 1, 2],
            "size": [40, 20, 8],
            "words": [["learning", "neural"], ["algebraic", "topology"], ["theory", "string"]],
            "name": ["learning, neural", "algebraic, topology", "theory, string"],
            "representative_ids": [["2401.00001"], ["2401.00004"], []],
        }
    )
    topic_assignments = pd.DataFrame(
        {
            "id": [paper for paper, *_ in PAPERS],
            "split": ["train", "validation", "test"] * 3 + ["train", "train"],
            "topic": [topic for _, topic, _, _ in PAPERS],
            "coarse_topic": [coarse for _, _, coarse, _ in PAPERS],
        }
    )
    return {
        "topic_table": topic_table,
        "coarse_topic_table": coarse_topic_table,
        "topic_assignments": topic_assignments,
    }


@pytest.fixture
def tables(tmp_path: Path) -> dict:
    return {**atlas_tables(), "papers": papers_file(tmp_path)}


def data_of(tables: dict, top_categories: int = 2) -> dict:
    ids = [
        paper
        for table in ("topic_table", "coarse_topic_table")
        for ids in tables[table]["representative_ids"]
        for paper in ids
    ]
    counts = count_assigned_papers(tables["papers"], tables["topic_assignments"], ids, batch_size=3)
    return atlas_data(
        tables["topic_table"],
        tables["coarse_topic_table"],
        counts,
        MIN_MONTH_PAPERS,
        top_categories,
    )


def page_data(page: str) -> dict:
    """The JSON the page's script reads."""
    found = re.search(r'<script type="application/json" id="atlas-data">(.*?)</script>', page, re.S)
    return json.loads(found.group(1))


def test_coarse_topics_hold_their_fine_topics_largest_first(tables):
    data = data_of(tables)
    tree = {entry["topic"]: [fine["topic"] for fine in entry["fine"]] for entry in data["coarse"]}
    # Largest coarse topic first; the outliers' group, made up here, last.
    assert list(tree) == [0, 1, 2, -1]
    assert tree == {0: [0, 1], 1: [2], 2: [3], -1: [-1]}
    coarse = {entry["topic"]: entry for entry in data["coarse"]}
    assert [coarse[topic]["size"] for topic in (0, 1, 2, -1)] == [40, 20, 8, 5]
    assert coarse[-1]["name"] == "outliers (no coarse topic)"
    # Assigned papers (all splits) beside the training sizes of the tables.
    assert [coarse[topic]["papers"] for topic in (0, 1, 2, -1)] == [4, 3, 3, 1]
    assert [fine["papers"] for fine in coarse[0]["fine"]] == [3, 1]
    assert (data["assigned"], data["fine_topics"], data["outliers"]) == (11, 4, 5)


def test_trends_are_shares_of_the_months_with_enough_papers(tables):
    data = data_of(tables)
    assert data["months"] == ["2024-01", "2024-02"] and data["month_offsets"] == [0, 1]
    # Shares in units of 0.01 %.
    assert data["share_unit"] == 1e-4
    coarse = {entry["topic"]: entry for entry in data["coarse"]}
    fine = {entry["topic"]: entry for group in data["coarse"] for entry in group["fine"]}
    trends = {topic: entry["trend"] for topic, entry in fine.items()}
    assert trends == {-1: [0, 2500], 0: [5000, 2500], 1: [2500, 0], 2: [2500, 5000], 3: [0, 0]}
    assert coarse[0]["trend"] == [7500, 2500]
    # A month's shares, outliers included, add up to 1.
    assert [sum(column) for column in zip(*(entry["trend"] for entry in coarse.values()))] == [
        10_000
    ] * 2


def test_a_gap_between_months_keeps_its_width(tables):
    counts = count_assigned_papers(tables["papers"], tables["topic_assignments"], [])
    data = atlas_data(tables["topic_table"], tables["coarse_topic_table"], counts, 1, 3)
    assert data["months"] == ["1999-01", "2024-01", "2024-02", "2024-04"]
    assert data["month_offsets"] == [0, 300, 301, 303]


def test_categories_are_the_top_primary_categories_with_shares(tables):
    data = data_of(tables, top_categories=2)
    coarse = {entry["topic"]: entry for entry in data["coarse"]}
    fine = {entry["topic"]: entry for group in data["coarse"] for entry in group["fine"]}
    assert fine[0]["categories"] == [
        {"name": "cs.LG", "share": 0.6667},
        {"name": "stat.ML", "share": 0.3333},
    ]
    # Ties (cs.CV, stat.ML: 1 of 4 each) go by name.
    assert coarse[0]["categories"] == [
        {"name": "cs.LG", "share": 0.5},
        {"name": "cs.CV", "share": 0.25},
    ]
    assert coarse[2]["categories"] == [
        {"name": "hep-th", "share": 0.6667},
        {"name": "hep-ph", "share": 0.3333},
    ]


def test_representative_papers_carry_their_titles(tables):
    data = data_of(tables)
    fine = {entry["topic"]: entry for group in data["coarse"] for entry in group["fine"]}
    assert fine[0]["representatives"] == [
        {"id": "2401.00001", "title": HOSTILE_TITLE},
        {"id": "2401.00002", "title": "Title of 2401.00002"},
    ]
    assert data["coarse"][1]["representatives"] == [
        {"id": "2401.00004", "title": "Title of 2401.00004"}
    ]


def test_counts_do_not_depend_on_the_batch_size(tables):
    one_pass = [
        count_assigned_papers(
            tables["papers"], tables["topic_assignments"], ["2401.00003"], batch_size=size
        )
        for size in (2, 1000)
    ]
    for name in ("by_month", "by_category"):
        pd.testing.assert_frame_equal(getattr(one_pass[0], name), getattr(one_pass[1], name))
    assert one_pass[0].titles == one_pass[1].titles == {"2401.00003": "Title of 2401.00003"}


def test_an_assigned_paper_missing_from_papers_is_an_error(tables):
    assignments = pd.concat(
        [
            tables["topic_assignments"],
            pd.DataFrame([{"id": "2501.00001", "split": "test", "topic": 0, "coarse_topic": 0}]),
        ]
    )
    with pytest.raises(ValueError, match="1 papers of topic_assignments are not in papers"):
        count_assigned_papers(tables["papers"], assignments, [])


def test_a_fine_topic_of_an_unknown_coarse_topic_is_an_error(tables):
    coarse = tables["coarse_topic_table"][lambda frame: frame["topic"] != 2]
    counts = count_assigned_papers(tables["papers"], tables["topic_assignments"], [])
    with pytest.raises(ValueError, match=r"coarse topics \[2\] that coarse_topic_table lacks"):
        atlas_data(tables["topic_table"], coarse, counts, MIN_MONTH_PAPERS, 3)


def test_no_text_becomes_markup_and_the_page_reads_its_data_back(tables):
    data = data_of(tables)
    page = render_atlas(data, title="Atlas <of> & topics")
    assert "<title>Atlas &lt;of&gt; &amp; topics</title>" in page
    for markup in ("<script>window.pwned", "<img src=x", "<b>bold</b>"):
        assert markup not in page
    assert page_data(page) == data
    # Two scripts, the data and the drawing; nothing loaded from elsewhere: the only
    # addresses are the SVG namespace and the papers' links.
    markup = re.sub(r'(id="atlas-data">).*?(</script>)', r"\1\2", page, flags=re.S)
    assert markup.count("<script") == 2 and "<link" not in markup and "src=" not in markup
    assert set(re.findall(r"https?://[^\s\"'`]+", markup)) == {
        "http://www.w3.org/2000/svg",
        "https://arxiv.org/abs/",
    }


def test_no_month_with_enough_papers_gives_no_trends(tables):
    counts = count_assigned_papers(tables["papers"], tables["topic_assignments"], [])
    data = atlas_data(tables["topic_table"], tables["coarse_topic_table"], counts, 1000, 3)
    assert data["months"] == [] and all(entry["trend"] == [] for entry in data["coarse"])
    assert "no month has 1000 assigned papers: no trends" in render_atlas(data)


def large_counts(
    fine_topics: int, coarse_topics: int, months: int
) -> tuple[pd.DataFrame, pd.DataFrame, AtlasCounts]:
    """Tables and counts of a model of the given size: every topic has papers in every month."""
    words = [f"word{index:02d}" for index in range(10)]
    ids = [
        [f"2401.{paper:05d}" for paper in range(topic * 5, topic * 5 + 5)]
        for topic in range(fine_topics)
    ]
    topic_table = pd.DataFrame(
        {
            "topic": range(fine_topics),
            "size": range(1000, 1000 + fine_topics),
            "words": [words] * fine_topics,
            "name": [", ".join(words[:3])] * fine_topics,
            "coarse_topic": [topic % coarse_topics for topic in range(fine_topics)],
            "representative_ids": ids,
        }
    )
    coarse_table = topic_table.head(coarse_topics).drop(columns="coarse_topic")

    def crossed(labels: list | pd.Index, name: str, spread: int) -> pd.DataFrame:
        """Every topic with every label; papers vary with topic and label."""
        topic, index = np.divmod(np.arange(fine_topics * len(labels)), len(labels))
        return pd.DataFrame(
            {
                "topic": topic,
                "coarse_topic": topic % coarse_topics,
                name: np.asarray(labels)[index],
                "papers": 1 + (topic * 7 + index) % spread,
            }
        )

    by_month = crossed(pd.date_range("2005-01-01", periods=months, freq="MS"), "month", 90)
    by_category = crossed([f"cs.{a}{b}" for a in "ABCDEFGH" for b in "XY"], "category", 13)
    titles = {
        paper: f"A title of typical length for the representative paper {paper} of its topic"
        for group in ids
        for paper in group
    }
    return (
        topic_table,
        coarse_table,
        AtlasCounts(by_month, by_category, titles, int(by_month["papers"].sum())),
    )


def test_a_page_of_150_fine_topics_over_20_years_stays_small():
    topic_table, coarse_table, counts = large_counts(fine_topics=150, coarse_topics=15, months=240)
    page = render_atlas(atlas_data(topic_table, coarse_table, counts, 20, 3))
    # About 300 kB (see the report): one small integer per topic and month dominates.
    assert len(page.encode()) < 400_000


def test_the_node_runs_on_an_in_memory_catalog(tables):
    """The node is pure and talks only through the catalog, as topic_views' others."""
    catalog = DataCatalog(
        {
            **{name: MemoryDataset(value, copy_mode="assign") for name, value in tables.items()},
            "params:topic_views": MemoryDataset(
                TopicViews(min_month_papers=MIN_MONTH_PAPERS, top_categories=2)
            ),
        }
    )
    pipeline = create_pipeline().only_nodes("build_topic_atlas")
    outputs = SequentialRunner().run(pipeline, catalog)
    page = outputs["topic_atlas"].load()
    assert page == build_atlas(**tables, min_month_papers=MIN_MONTH_PAPERS, top_categories=2)
    assert page_data(page) == data_of(tables)


def test_the_dataset_saves_the_page_and_previews_it_as_html(tmp_path):
    dataset = HTMLDataset(filepath=str(tmp_path / "reports" / "atlas.html"))
    dataset.save("<!DOCTYPE html><p>é</p>")
    assert dataset.load() == "<!DOCTYPE html><p>é</p>" == dataset.preview()
    # kedro-viz picks the preview's renderer by the name of its return annotation.
    annotation = inspect.signature(HTMLDataset.preview).return_annotation
    assert getattr(annotation, "__name__", str(annotation)) == "HTMLPreview"


def test_the_run_summary_names_the_atlas_once_written(tmp_path):
    catalog = DataCatalog(
        {"topic_atlas": HTMLDataset(filepath=str(tmp_path / "data/08_reporting/topic_atlas.html"))}
    )
    assert _written_path(catalog, "topic_atlas", tmp_path) is None
    assert _written_path(DataCatalog(), "topic_atlas", tmp_path) is None
    catalog.save("topic_atlas", "<!DOCTYPE html>")
    atlas = _written_path(catalog, "topic_atlas", tmp_path)
    assert atlas == "data/08_reporting/topic_atlas.html"

    def summary(path: str | None) -> str:
        return render_summary(None, None, None, atlas=path, folders={}, study_names=[])

    assert (
        "Topic atlas (open it in a browser; no server, no internet needed): data/08_reporting/topic_atlas.html"
        in summary(atlas)
    )
    assert "Topic atlas" not in summary(None)
