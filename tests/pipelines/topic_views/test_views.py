"""Months from arXiv ids, topic trends, crosstabs, dominant categories and the document map on small frames."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from arxiv_pipeline.embedding.vectors import Embeddings
from arxiv_pipeline.topics.document_map import document_points, model_embeddings, plot_document_map
from arxiv_pipeline.topics.taxonomy import (
    dominant_labels,
    paper_labels,
    taxonomy_table,
    topic_crosstab,
)
from arxiv_pipeline.topics.views import (
    TopicViews,
    assigned_papers,
    paper_months,
    topic_trends,
    trends_report,
)


def test_months_come_from_new_and_old_style_ids():
    ids = pd.Series(["0704.0001", "2101.00001", "2512.12345v2", "hep-th/9901001", "math.GT/0309136", "astro-ph/0703999"])
    months = paper_months(ids, pd.Series([None] * len(ids)))
    assert months.dt.strftime("%Y-%m").tolist() == ["2007-04", "2021-01", "2025-12", "1999-01", "2003-09", "2007-03"]


def test_an_id_in_neither_scheme_takes_the_update_date_month_or_none():
    ids = pd.Series(["0704.0001", "not-an-id", "0713.0001", "oddity"])
    # The id's month wins over update_date (the last update, not the first submission).
    dates = pd.Series(pd.to_datetime(["2010-06-30", "2010-05-03", "2011-02-01", None]))
    months = paper_months(ids, dates)
    assert months.iloc[:3].dt.strftime("%Y-%m").tolist() == ["2007-04", "2010-05", "2011-02"]
    assert pd.isna(months.iloc[3])


def _papers_and_assignments(tmp_path, n: int) -> tuple[pq.ParquetFile, pd.DataFrame]:
    """``n`` papers, ids over two months, topics 0 and 1 in turn; written in small row groups."""
    ids = [f"{2501 + i % 2}.{i:05d}" for i in range(n)]
    table = pa.table({"id": ids, "title": ids, "abstract": ["words"] * n, "update_date": [None] * n})
    path = tmp_path / f"papers_{n}.parquet"
    pq.write_table(table, path, row_group_size=7)
    return pq.ParquetFile(path), pd.DataFrame({"id": ids, "topic": [i // 2 % 2 for i in range(n)]})


def test_words_are_counted_on_a_stable_keyed_sample_of_each_month_and_topic(tmp_path):
    """At most 5 papers of each month and topic have their texts read; papers added later can
    only push a paper out of its sample, never one in."""
    papers, assignments = _papers_and_assignments(tmp_path, 40)
    assigned = assigned_papers(papers, assignments, "{title}", month_topic_papers=5, seed=3)
    frame = assigned.frame.assign(id=assignments["id"])
    counted = frame[frame["text_row"] >= 0]
    assert counted.groupby(["month", "topic"]).size().tolist() == [5, 5, 5, 5]
    # Each counted paper's text is its own (the template is the title, the title the id).
    assert assigned.texts.take(pa.array(counted["text_row"])).to_pylist() == counted["id"].tolist()

    papers, more = _papers_and_assignments(tmp_path, 60)
    grown = assigned_papers(papers, more, "{title}", month_topic_papers=5, seed=3).frame
    counted_later = set(more["id"][grown["text_row"] >= 0])
    assert counted_later & set(assignments["id"]) <= set(counted["id"])
    other_seed = assigned_papers(papers, more, "{title}", month_topic_papers=5, seed=4).frame
    assert set(more["id"][other_seed["text_row"] >= 0]) != counted_later
    everything = assigned_papers(papers, more, "{title}").frame
    assert (everything["text_row"] == np.arange(60)).all()


def shares_frame() -> pd.DataFrame:
    """Topic 0 rises 10 points a month, topic 1 falls 5, topic 2 is absent in March; a gap in April."""
    rows = []
    for month, (a, b, c) in {
        "2025-01-01": (0.1, 0.5, 0.2),
        "2025-02-01": (0.2, 0.45, 0.2),
        "2025-03-01": (0.3, 0.4, None),
        "2025-05-01": (0.5, 0.3, 0.2),
    }.items():
        for topic, share in ((0, a), (1, b), (2, c), (-1, 0.1)):
            if share is not None:
                rows.append({"month": pd.Timestamp(month), "topic": topic, "share": share})
    return pd.DataFrame(rows)


def test_trends_are_least_squares_slopes_over_calendar_months():
    trends = topic_trends(shares_frame(), trend_months=6).set_index("topic")
    assert list(trends.index) == [0, 2, 1]  # rising first; the outlier topic -1 left out
    np.testing.assert_allclose(trends.loc[0, "slope_per_month"], 0.1, atol=1e-12)
    np.testing.assert_allclose(trends.loc[1, "slope_per_month"], -0.05, atol=1e-12)
    # Topic 2: shares 0.2, 0.2, 0 (absent), 0.2 at months 0, 1, 2, 4.
    x, y = np.array([0, 1, 2, 4.0]), np.array([0.2, 0.2, 0.0, 0.2])
    np.testing.assert_allclose(trends.loc[2, "slope_per_month"], np.polyfit(x, y, 1)[0], atol=1e-12)
    assert trends.loc[0, ["first_share", "last_share"]].tolist() == [0.1, 0.5]


def test_trends_use_only_the_last_months_and_need_two():
    last_two = topic_trends(shares_frame(), trend_months=2).set_index("topic")
    np.testing.assert_allclose(last_two.loc[1, "slope_per_month"], -0.05, atol=1e-12)
    np.testing.assert_allclose(last_two.loc[2, "slope_per_month"], 0.1, atol=1e-12)
    one_month = shares_frame()[lambda frame: frame["month"] == "2025-01-01"]
    assert topic_trends(one_month, trend_months=6).empty


def test_the_report_lists_rising_and_falling_topics_with_their_labels():
    shares = shares_frame()
    table = pd.DataFrame({"topic": [-1, 0, 1, 2], "label": ["-1_x", "0_rise", "1_fall", "2_flat"]})
    report = trends_report(topic_trends(shares, 6), shares, table, n_trending=1)
    rising, falling = report.split("## Rising")[1].split("## Falling")
    assert "| 0_rise | +10.00 | 10.0% | 50.0% |" in rising and "1_fall" not in rising
    assert "| 1_fall | -5.00 | 50.0% | 30.0% |" in falling
    assert "2025-01 to 2025-05" in report


@pytest.mark.parametrize(
    "key", ["trend_months", "min_month_papers", "n_trending", "top_categories", "document_map_papers", "month_topic_papers"]
)
def test_bad_settings_name_their_key(key):
    with pytest.raises(ValueError, match=f"topic_views.{key}"):
        TopicViews(**{key: 0})


def test_crosstab_counts_papers_per_topic_and_archive():
    assignments = pd.DataFrame({"id": ["a", "b", "c", "d", "e"], "topic": [0, 0, 1, -1, 0]})
    labels = pd.DataFrame({"id": ["e", "d", "c", "b", "a"], "archive": ["cs", "math", "cs", "hep-th", "cs"]})
    table = topic_crosstab(assignments, labels, "archive")
    assert table.to_dict("list") == {
        "topic": [-1, 0, 1],
        "cs": [0, 2, 1],
        "hep-th": [0, 1, 0],
        "math": [1, 0, 0],
    }
    ranked = dominant_labels(table, top=2).set_index("topic")
    assert ranked.loc[0, "labels"] == ["cs", "hep-th"]
    np.testing.assert_allclose(ranked.loc[0, "shares"], [2 / 3, 1 / 3], atol=1e-6)
    # Ties go by name, and labels with no papers are not listed.
    assert ranked.loc[1, "labels"] == ["cs"]


def test_the_taxonomy_table_keeps_the_topic_table_columns():
    topic_table = pd.DataFrame({"topic": [0, 1], "size": [3, 1], "words": [["w"], ["v"]], "label": ["0_w", "1_v"]})
    archives = pd.DataFrame({"topic": [0, 1], "cs": [1, 1], "math": [2, 0]})
    categories = pd.DataFrame({"topic": [0, 1], "cs.LG": [1, 1], "math.CO": [2, 0]})
    table = taxonomy_table(topic_table, archives, categories, top=3)
    pd.testing.assert_frame_equal(table[topic_table.columns], topic_table)
    assert table["dominant_archive"].tolist() == ["math", "cs"]
    np.testing.assert_allclose(table["dominant_archive_share"], [2 / 3, 1.0], atol=1e-6)
    assert table["top_categories"].tolist() == [["math.CO", "cs.LG"], ["cs.LG"]]


def test_a_paper_missing_from_papers_is_named():
    assignments = pd.DataFrame({"id": ["a", "zz"], "topic": [0, 1]})
    labels = pd.DataFrame({"id": ["a"], "archive": ["cs"]})
    with pytest.raises(ValueError, match=r"\(e.g. 'zz'\) have no archive in papers"):
        topic_crosstab(assignments, labels, "archive")


def test_labels_looked_up_in_papers_give_the_crosstab_of_the_whole_table(tmp_path):
    path = tmp_path / "papers.parquet"
    papers = pd.DataFrame({"id": ["e", "d", "c", "b", "a", "f"], "archive": ["cs", "math", "cs", "hep-th", "cs", "gr-qc"]})
    papers.to_parquet(path)
    assignments = pd.DataFrame({"id": ["a", "b", "c", "d", "e"], "topic": [0, 0, 1, -1, 0]})
    labels = paper_labels(pq.ParquetFile(path), assignments["id"], ["archive"])
    assert labels["id"].tolist() == ["a", "b", "c", "d", "e"] and labels["archive"].dtype == "category"
    expected = topic_crosstab(assignments, papers, "archive")
    pd.testing.assert_frame_equal(topic_crosstab(assignments, labels, "archive"), expected)
    with pytest.raises(ValueError, match=r"\(e.g. 'zz'\) have no archive in papers"):
        missing = pd.Series(["a", "zz"])
        topic_crosstab(pd.DataFrame({"id": missing, "topic": [0, 1]}), paper_labels(pq.ParquetFile(path), missing, ["archive"]), "archive")


#: Made-up training papers: archive "cs" near (10, 0, 0), "math" near (-10, 0, 0), "hep-th" near (0, 10, 0).
DOCUMENT_ARCHIVES = ["cs"] * 10 + ["math"] * 8 + ["hep-th"] * 6


@pytest.fixture
def document_inputs(tmp_path):
    rng = np.random.default_rng(7)
    centres = {"cs": [10.0, 0, 0, 0], "math": [-10.0, 0, 0, 0], "hep-th": [0, 10.0, 0, 0]}
    vectors = np.array([centres[a] for a in DOCUMENT_ARCHIVES]) + rng.normal(0, 0.5, (len(DOCUMENT_ARCHIVES), 4))
    ids = np.array([f"2501.{index:05d}" for index in range(len(DOCUMENT_ARCHIVES))], dtype=object)
    embeddings = Embeddings(ids, vectors.astype(np.float32), {"model_key": "minilm", "split": "train"})
    # papers in another order than the embeddings, with a paper that has none.
    table = pa.table(
        {
            "id": [*ids[::-1], "2501.99999"],
            "archive": [*DOCUMENT_ARCHIVES[::-1], "q-bio"],
            "title": [*(f"Title {i}" for i in ids[::-1]), "Unembedded"],
        }
    )
    pq.write_table(table, tmp_path / "papers.parquet")
    topics = [index % 3 - 1 for index in range(len(ids))]
    assignments = pd.DataFrame({"id": ids, "split": "train", "topic": topics})
    topic_table = pd.DataFrame({"topic": [-1, 0, 1], "label": ["-1_noise", "0_graphs", "1_strings"]})
    return embeddings, assignments, pq.ParquetFile(tmp_path / "papers.parquet"), topic_table


def test_the_document_map_samples_papers_and_colours_them_by_archive(document_inputs):
    points = document_points(*document_inputs, n_papers=12, seed=0)
    assert len(points) == 12 and points["id"].is_unique
    by_id = dict(zip(document_inputs[0].ids, DOCUMENT_ARCHIVES, strict=True))
    assert points["archive"].tolist() == [by_id[i] for i in points["id"]]
    assert (points["title"] == "Title " + points["id"]).all()
    assert set(points["topic"]) <= {"-1_noise", "0_graphs", "1_strings"}
    # cs and math lie on opposite sides of the first principal component.
    first = points.groupby("archive")["x"].mean()
    assert np.sign(first["cs"]) == -np.sign(first["math"])

    figure = plot_document_map(points)
    assert [trace.name for trace in figure.data] == sorted(set(points["archive"]))
    assert sum(len(trace.x) for trace in figure.data) == 12
    for trace in figure.data:
        titles = list(trace.hovertext)
        assert set(points.set_index("title").loc[titles, "archive"]) == {trace.name}


def test_the_document_map_takes_every_paper_when_fewer_than_asked(document_inputs):
    points = document_points(*document_inputs, n_papers=5000, seed=0)
    assert sorted(points["id"]) == sorted(document_inputs[0].ids)


def drawn_titles(figure) -> list[str]:
    return sorted(title for trace in figure.data for title in trace.hovertext)


def test_the_same_seed_gives_the_same_figure_and_another_seed_another_sample(document_inputs):
    first, again, other = (
        plot_document_map(document_points(*document_inputs, n_papers=8, seed=seed)) for seed in (3, 3, 4)
    )
    assert [(t.name, list(t.hovertext)) for t in first.data] == [(t.name, list(t.hovertext)) for t in again.data]
    for trace, same in zip(first.data, again.data, strict=True):
        np.testing.assert_allclose([trace.x, trace.y], [same.x, same.y], atol=1e-9)  # PCA runs through BLAS
    assert first.layout == again.layout
    assert drawn_titles(first) != drawn_titles(other)


def test_a_sampled_paper_without_a_topic_is_named(document_inputs):
    embeddings, assignments, papers, topic_table = document_inputs
    with pytest.raises(ValueError, match=r"\(e.g. '2501.00003'\) are not in topic_assignments"):
        document_points(embeddings, assignments.drop(index=3), papers, topic_table, n_papers=100, seed=0)


def test_missing_embeddings_of_the_topic_model_name_the_key(document_inputs):
    with pytest.raises(ValueError, match="built on the 'mpnet' embeddings, but train_embeddings holds \\['minilm'\\]"):
        model_embeddings({"minilm": document_inputs[0]}, "mpnet")
