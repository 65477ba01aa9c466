"""The topic atlas: one self-contained HTML page of the two-level topic model.

The page lists the coarse topics; a click on one opens its fine topics. Every topic
shows its name, words, size, monthly share (an inline SVG sparkline), top primary
categories and representative papers. The page's data is JSON in a
``<script type="application/json">`` element, drawn by an inlined vanilla script
(``atlas_page.js``, styled by ``atlas_page.css``): no server, no library, no request at
load, so the file can be opened from disk or sent by mail.

Counts are of every assigned paper (all splits), as in ``topic_shares_over_time``: a
topic's share of a month is its papers over all the papers assigned in that month,
outliers included, and months with fewer than ``min_month_papers`` papers are left out.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from arxiv_pipeline.topics.taxonomy import dominant_labels
from arxiv_pipeline.topics.views import paper_months

#: Columns of ``papers`` the atlas reads (``update_date``: a month for ids in neither scheme).
PAPER_COLUMNS = ["id", "title", "categories", "update_date"]
#: Papers read at a time: memory stays bounded whatever the size of the corpus.
BATCH_SIZE = 65_536
#: Monthly shares are stored as integers in this unit (0.01 %): a third of the bytes of
#: rounded floats, and finer than a 32-pixel-high sparkline can show.
SHARE_UNIT = 1e-4
WORDS_SHOWN = 10
REPRESENTATIVES_SHOWN = 5
OUTLIER_TOPIC = -1
TITLE = "Topic atlas"


@dataclass(frozen=True)
class AtlasCounts:
    """The assigned papers, counted in one pass over ``papers``.

    Attributes
    ----------
    by_month
        ``topic``, ``coarse_topic``, ``month`` (its first day), ``papers``; papers
        without a month are left out.
    by_category
        ``topic``, ``coarse_topic``, ``category`` (the primary one), ``papers``.
    titles
        The title of each wanted (representative) paper, by id.
    assigned
        Assigned papers counted.
    """

    by_month: pd.DataFrame
    by_category: pd.DataFrame
    titles: dict[str, str]
    assigned: int


def _summed(parts: list[pd.Series], keys: list[str]) -> pd.DataFrame:
    """Per-batch group counts added up, as a frame with ``keys`` and ``papers``.

    ``parts`` is never empty: ingestion refuses to save papers without a row.
    """
    return pd.concat(parts).groupby(level=keys).sum().rename("papers").reset_index()


def count_assigned_papers(
    papers: pq.ParquetFile,
    topic_assignments: pd.DataFrame,
    wanted_titles: Iterable[str],
    batch_size: int = BATCH_SIZE,
) -> AtlasCounts:
    """Count the assigned papers per topic and month and per topic and primary category.

    ``papers`` is read batch by batch, only :data:`PAPER_COLUMNS`, and only group counts
    are kept between batches, so memory does not grow with the corpus.

    Parameters
    ----------
    papers
        All papers (``id``, ``title``, ``categories`` primary first, ``update_date``).
    topic_assignments
        ``id``, ``topic`` (fine) and ``coarse_topic`` of every assigned paper.
    wanted_titles
        Ids whose titles are kept (the representative papers).
    batch_size
        Papers read at a time.

    Raises
    ------
    ValueError
        If an assigned paper is not in ``papers`` (ingestion ran again after topic_tuning).
    """
    # One hash table of the assigned ids, looked up by every batch.
    assigned_ids = pd.Index(topic_assignments["id"].astype(str))
    fine = topic_assignments["topic"].to_numpy(dtype=np.int64)
    coarse = topic_assignments["coarse_topic"].to_numpy(dtype=np.int64)
    wanted = pa.array(sorted(set(wanted_titles)), pa.string())
    by_month, by_category, titles, found = [], [], {}, 0
    for batch in papers.iter_batches(batch_size=batch_size, columns=PAPER_COLUMNS):
        ids = batch.column("id")
        shown = pc.is_in(ids, value_set=wanted)
        titles.update(
            zip(ids.filter(shown).to_pylist(), batch.column("title").filter(shown).to_pylist())
        )
        rows = assigned_ids.get_indexer(ids.to_pandas())
        kept = rows >= 0
        batch = batch.filter(pa.array(kept))
        rows = rows[kept]
        found += len(rows)
        frame = pd.DataFrame(
            {
                "topic": fine[rows],
                "coarse_topic": coarse[rows],
                "month": paper_months(
                    batch.column("id").to_pandas(), batch.column("update_date").to_pandas()
                ).to_numpy(),
                # Ingestion keeps no paper without a category, and lists the primary one first.
                "category": pc.list_element(batch.column("categories"), 0).to_pandas().to_numpy(),
            }
        )
        by_month.append(frame.groupby(["topic", "coarse_topic", "month"]).size())
        by_category.append(frame.groupby(["topic", "coarse_topic", "category"]).size())
    if found != len(topic_assignments):
        raise ValueError(
            f"{len(topic_assignments) - found} papers of topic_assignments are not in papers: run "
            "topic_tuning again after ingestion."
        )
    return AtlasCounts(
        by_month=_summed(by_month, ["topic", "coarse_topic", "month"]),
        by_category=_summed(by_category, ["topic", "coarse_topic", "category"]),
        titles=titles,
        assigned=found,
    )


def month_totals(by_month: pd.DataFrame, min_month_papers: int) -> pd.Series:
    """Assigned papers of each month (sorted), months with fewer than ``min_month_papers`` left out."""
    totals = by_month.groupby("month")["papers"].sum().sort_index()
    return totals[totals >= min_month_papers]


@dataclass(frozen=True)
class LevelCounts:
    """What the page shows of the topics of one level (fine or coarse), by topic.

    Attributes
    ----------
    papers
        Assigned papers.
    trends
        Share of each kept month's papers, in :data:`SHARE_UNIT` (rows: topics, columns:
        the kept months).
    categories
        The top primary categories, each ``{"name", "share"}`` (share of the topic's papers).
    """

    papers: pd.Series
    trends: pd.DataFrame
    categories: dict[int, list[dict[str, Any]]]


def level_counts(
    counts: AtlasCounts, level: str, totals: pd.Series, top_categories: int
) -> LevelCounts:
    """The counts of ``level`` (``topic`` or ``coarse_topic``) on the months of ``totals``."""
    monthly = (
        counts.by_month.groupby([level, "month"])["papers"].sum().unstack("month", fill_value=0)
    )
    shares = monthly.reindex(columns=totals.index, fill_value=0).div(totals, axis=1)
    crosstab = (
        counts.by_category.groupby([level, "category"])["papers"]
        .sum()
        .unstack("category", fill_value=0)
    )
    top = dominant_labels(crosstab.rename_axis(index="topic").reset_index(), top_categories)
    return LevelCounts(
        papers=counts.by_category.groupby(level)["papers"].sum(),
        trends=(shares / SHARE_UNIT).round().astype(int),
        categories={
            int(row.topic): [
                {"name": name, "share": round(share, 4)}
                for name, share in zip(row.labels, row.shares)
            ]
            for row in top.itertuples()
        },
    )


def topic_entry(row: pd.Series, level: LevelCounts, titles: dict[str, str]) -> dict[str, Any]:
    """One topic as the page shows it, from its row in a topic table."""
    topic = int(row["topic"])
    trend = (
        level.trends.loc[topic]
        if topic in level.trends.index
        else pd.Series(0, level.trends.columns)
    )
    return {
        "topic": topic,
        "name": str(row["name"]),
        "words": [str(word) for word in list(row["words"])[:WORDS_SHOWN]],
        "size": int(row["size"]),
        "papers": int(level.papers.get(topic, 0)),
        "trend": [int(value) for value in trend],
        "categories": level.categories.get(topic, []),
        "representatives": [
            {"id": str(paper), "title": titles.get(str(paper))}
            for paper in list(row["representative_ids"])[:REPRESENTATIVES_SHOWN]
        ],
    }


def coarse_rows(topic_table: pd.DataFrame, coarse_topic_table: pd.DataFrame) -> pd.DataFrame:
    """The coarse topics shown, largest first; the outliers' group (-1) last where it has fine topics.

    The group -1 holds the fine outlier row and any fine topic without a coarse topic;
    it is made up (no words, no papers) where ``coarse_topic_table`` has no row -1.

    Raises
    ------
    ValueError
        If a fine topic belongs to a coarse topic that ``coarse_topic_table`` lacks (the
        two tables are of different runs).
    """
    known = set(coarse_topic_table["topic"].astype(int)) | {OUTLIER_TOPIC}
    unknown = sorted(set(topic_table["coarse_topic"].astype(int)) - known)
    if unknown:
        raise ValueError(
            f"topic_table names coarse topics {unknown} that coarse_topic_table lacks."
        )
    coarse = coarse_topic_table[coarse_topic_table["topic"] != OUTLIER_TOPIC]
    coarse = coarse.sort_values(["size", "topic"], ascending=[False, True])
    outlier_fine = topic_table[topic_table["coarse_topic"] == OUTLIER_TOPIC]
    if outlier_fine.empty:
        return coarse.reset_index(drop=True)
    outliers = coarse_topic_table[coarse_topic_table["topic"] == OUTLIER_TOPIC]
    if outliers.empty:
        outliers = pd.DataFrame(
            [
                {
                    "topic": OUTLIER_TOPIC,
                    "size": int(outlier_fine["size"].sum()),
                    "words": [],
                    "name": "outliers (no coarse topic)",
                    "representative_ids": [],
                }
            ]
        )
    return pd.concat([coarse, outliers], ignore_index=True)


def _month_offsets(months: pd.Index) -> list[int]:
    """Calendar months since the first kept month: a gap between kept months keeps its width."""
    numbers = [month.year * 12 + month.month for month in months]
    return [number - numbers[0] for number in numbers]


def atlas_data(
    topic_table: pd.DataFrame,
    coarse_topic_table: pd.DataFrame,
    counts: AtlasCounts,
    min_month_papers: int,
    top_categories: int,
) -> dict[str, Any]:
    """The page's data: the coarse topics, largest first, each holding its fine topics.

    Parameters
    ----------
    topic_table, coarse_topic_table
        One row per fine / coarse topic: ``topic``, ``size``, ``words``, ``name``,
        ``representative_ids``; the fine one also ``coarse_topic``.
    counts
        :func:`count_assigned_papers` of the assigned papers.
    min_month_papers
        Months with fewer assigned papers are left out of the trends.
    top_categories
        Primary categories listed per topic.

    Returns
    -------
    dict
        ``months`` (``YYYY-MM``) and ``month_offsets`` (the x of each month in the
        sparklines), ``share_unit``, ``assigned`` (papers), ``fine_topics`` (excluding
        the outliers), ``outliers`` (training papers of fine topic -1) and ``coarse``: a
        list of topic entries (``topic``, ``name``, ``words``, ``size``, ``papers``,
        ``trend``, ``categories``, ``representatives``), each with ``fine``, the entries
        of its fine topics, largest first.
    """
    totals = month_totals(counts.by_month, min_month_papers)
    fine_level = level_counts(counts, "topic", totals, top_categories)
    coarse_level = level_counts(counts, "coarse_topic", totals, top_categories)
    fine_rows = topic_table.sort_values(["size", "topic"], ascending=[False, True])
    coarse = []
    for _, row in coarse_rows(topic_table, coarse_topic_table).iterrows():
        members = fine_rows[fine_rows["coarse_topic"].astype(int) == int(row["topic"])]
        entry = topic_entry(row, coarse_level, counts.titles)
        entry["fine"] = [
            topic_entry(fine, fine_level, counts.titles) for _, fine in members.iterrows()
        ]
        coarse.append(entry)
    return {
        "months": [f"{month:%Y-%m}" for month in totals.index],
        "month_offsets": _month_offsets(totals.index),
        "share_unit": SHARE_UNIT,
        "assigned": counts.assigned,
        "fine_topics": int((topic_table["topic"] != OUTLIER_TOPIC).sum()),
        "outliers": int(topic_table.loc[topic_table["topic"] == OUTLIER_TOPIC, "size"].sum()),
        "min_month_papers": min_month_papers,
        "coarse": coarse,
    }


def atlas_summary(data: dict[str, Any]) -> str:
    """One line on what the page holds (plain text)."""
    coarse = sum(entry["topic"] != OUTLIER_TOPIC for entry in data["coarse"])
    months = data["months"]
    span = (
        f"monthly shares from {months[0]} to {months[-1]} (months with at least "
        f"{data['min_month_papers']} assigned papers)"
        if months
        else f"no month has {data['min_month_papers']} assigned papers: no trends"
    )
    return (
        f"{data['fine_topics']} fine topics in {coarse} coarse topics; {data['assigned']:,} "
        f"assigned papers (all splits), {data['outliers']:,} training papers are outliers; {span}. "
        "Size: training papers; click a coarse topic to show its fine topics."
    )


def _script_json(data: dict[str, Any]) -> str:
    """JSON that cannot end its ``<script>`` element: ``<``, ``>`` and ``&`` as JSON escapes."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def _asset(name: str) -> str:
    return resources.files("arxiv_pipeline.topics").joinpath(name).read_text(encoding="utf-8")


def render_atlas(data: dict[str, Any], title: str = TITLE) -> str:
    """The self-contained page of :func:`atlas_data`.

    Text written here is HTML-escaped; the script writes the data's texts as text nodes
    only (``textContent``), so no name or title can inject markup.
    """
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>
{_asset("atlas_page.css")}</style>
</head>
<body>
<header>
<h1>{html.escape(title)}</h1>
<p class="summary">{html.escape(atlas_summary(data))}</p>
<input type="search" id="search" placeholder="Search names and words" aria-label="Search topics">
<span id="matches" aria-live="polite"></span>
</header>
<main id="atlas"></main>
<script type="application/json" id="atlas-data">{_script_json(data)}</script>
<script>
{_asset("atlas_page.js")}</script>
</body>
</html>
"""


def build_atlas(
    topic_table: pd.DataFrame,
    coarse_topic_table: pd.DataFrame,
    topic_assignments: pd.DataFrame,
    papers: pq.ParquetFile,
    min_month_papers: int,
    top_categories: int,
) -> str:
    """The atlas page of the two topic tables and the assigned papers."""
    wanted = [
        str(paper)
        for table in (topic_table, coarse_topic_table)
        for ids in table["representative_ids"]
        for paper in list(ids)[:REPRESENTATIVES_SHOWN]
    ]
    counts = count_assigned_papers(papers, topic_assignments, wanted)
    return render_atlas(
        atlas_data(topic_table, coarse_topic_table, counts, min_month_papers, top_categories)
    )
