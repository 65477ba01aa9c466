"""Topics over time: each topic's share of the papers of each month, and which topics rise or fall.

The month of a paper comes from its arXiv identifier, which encodes the year and month
of the first submission in both schemes: ``YYMM.NNNN`` / ``YYMM.NNNNN`` (from April
2007) and ``archive/YYMMNNN`` (``hep-th/9901001``, ``math.GT/0309136``, before it).
The snapshot's ``update_date`` is the date of the last update (and is missing on most
lines of recent snapshots), so it is only the fallback for an id in neither scheme.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from arxiv_pipeline.corpus.splitting import hash_positions
from arxiv_pipeline.text.templates import TextChunks, texts_of_papers

if TYPE_CHECKING:
    from bertopic import BERTopic
    from scipy.sparse import csr_matrix

# An optional version suffix (``v2``) is allowed: some sources keep it on the id.
_NEW_STYLE_ID = r"^(?P<yy>\d{2})(?P<mm>\d{2})\.\d{4,5}(?:v\d+)?$"
_OLD_STYLE_ID = r"^[a-z-]+(?:\.[A-Za-z-]+)?/(?P<yy>\d{2})(?P<mm>\d{2})\d{3}(?:v\d+)?$"
#: Old-style ids ran from 1991 (``9108``) to March 2007 (``0703``).
_FIRST_OLD_STYLE_YEAR = 91

SHARE_COLUMNS = ["month", "topic", "papers", "month_papers", "share", "words"]
TREND_COLUMNS = ["topic", "slope_per_month", "first_share", "last_share", "months"]


@dataclass
class TopicViews:
    """``topic_views`` in parameters yml (see ``conf/base/parameters_topic_views.yml``).

    Attributes
    ----------
    trend_months
        The last months whose shares a topic's trend is fitted on (at least 2).
    min_month_papers
        Months with fewer assigned papers are left out of the shares: a handful of late
        cross-lists would otherwise make months where one paper is a 100% share.
    n_trending
        Topics listed as rising and as falling.
    top_categories
        Dominant primary categories kept per topic in the taxonomy table.
    document_map_papers
        Training papers drawn (under ``seed``) for the document map; all when fewer.
    seed
        Seed of that draw: the same seed gives the same figure.
    chunk_size
        Papers whose texts are counted at a time for each month's topic words.
    month_topic_papers
        The papers of a topic in a month whose texts give its words that month: where it
        has more, those first by a keyed hash of the id (keyed with ``seed``), so adding
        papers changes a sample only by the new papers that enter it. ``None``: all of
        them. The papers and shares always count every paper.
    """

    trend_months: int = 6
    min_month_papers: int = 20
    n_trending: int = 5
    top_categories: int = 3
    document_map_papers: int = 5000
    seed: int = 0
    chunk_size: int = 10_000
    month_topic_papers: int | None = 200

    def __post_init__(self) -> None:
        for name, low in (
            ("trend_months", 2),
            ("min_month_papers", 1),
            ("n_trending", 1),
            ("top_categories", 1),
            ("document_map_papers", 1),
            ("seed", 0),
            ("chunk_size", 1),
            ("month_topic_papers", 1),
        ):
            value = getattr(self, name)
            if name == "month_topic_papers" and value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int) or value < low:
                raise ValueError(f"topic_views.{name} must be an integer >= {low}, got {value!r}.")


def paper_months(ids: pd.Series, fallback_dates: pd.Series) -> pd.Series:
    """The month of each paper (``datetime64``, the first day of the month).

    Taken from the id (see the module docstring); ``fallback_dates`` (``update_date``)
    gives the month of an id in neither scheme; NaT where that is missing too.
    """
    ids = ids.astype("string").str.strip()
    years, months = pd.Series(np.nan, index=ids.index), pd.Series(np.nan, index=ids.index)
    for pattern, old_style in ((_NEW_STYLE_ID, False), (_OLD_STYLE_ID, True)):
        found = ids.str.extract(pattern).astype(float)
        year = 2000 + found["yy"]
        if old_style:
            year = year.where(found["yy"] < _FIRST_OLD_STYLE_YEAR, 1900 + found["yy"])
        valid = found["mm"].between(1, 12) & years.isna()
        years = years.where(~valid, year)
        months = months.where(~valid, found["mm"])
    from_ids = pd.to_datetime(
        pd.DataFrame({"year": years, "month": months, "day": 1}).dropna(), errors="raise"
    ).reindex(ids.index)
    fallback = pd.to_datetime(fallback_dates, errors="coerce").dt.to_period("M").dt.to_timestamp()
    return from_ids.fillna(fallback).rename("month")


@dataclass(frozen=True)
class AssignedPapers:
    """The assigned papers, in ``topic_assignments``' order.

    Attributes
    ----------
    frame
        ``topic`` and ``month`` of each paper, and ``text_row``: its row in ``texts``, -1
        for a paper whose words are not counted (outside its month and topic's sample).
    texts
        The texts of the papers whose words are counted (Arrow, compact), made Python
        strings a chunk at a time (:class:`~arxiv_pipeline.text.templates.TextChunks`).
    """

    frame: pd.DataFrame
    texts: pa.Array


def assigned_papers(
    papers: pq.ParquetFile,
    topic_assignments: pd.DataFrame,
    template: str,
    month_topic_papers: int | None = None,
    seed: int = 0,
) -> AssignedPapers:
    """The assigned papers' topics and months, and the texts of the papers whose words count.

    The text is rendered with ``template``, the one the topic model was built on. Of each
    topic in each month, the first ``month_topic_papers`` papers by a hash of the id keyed
    with ``seed`` have their texts read (all where ``None``): see
    :attr:`TopicViews.month_topic_papers`.

    Raises
    ------
    ValueError
        If an assigned paper is not in ``papers`` (ingestion ran again after topic_tuning).
    """
    ids = pa.array(topic_assignments["id"], pa.string())
    dates = papers.read(columns=["id", "update_date"])
    rows = pc.index_in(ids, value_set=dates["id"])
    if rows.null_count:
        raise ValueError(
            f"{rows.null_count} papers of topic_assignments are not in papers: run topic_tuning "
            "again after ingestion."
        )
    frame = pd.DataFrame(
        {
            "topic": topic_assignments["topic"].astype(int).to_numpy(),
            "month": paper_months(ids.to_pandas(), dates["update_date"].take(rows).to_pandas()),
        }
    )
    counted = _word_sample(frame, ids, month_topic_papers, seed)
    frame["text_row"] = np.where(counted, np.cumsum(counted) - 1, -1)
    return AssignedPapers(frame, texts_of_papers(papers, ids.filter(pa.array(counted)), template))


def _word_sample(frame: pd.DataFrame, ids: pa.Array, cap: int | None, seed: int) -> np.ndarray:
    """Whether each paper is among the first ``cap`` of its month and topic by keyed hash."""
    if cap is None:
        return np.ones(len(frame), dtype=bool)
    key = pd.Series(hash_positions(ids.to_pylist(), seed)[:, 0], index=frame.index)
    # Papers without a month fall in no group: a NaN rank, never counted.
    rank = key.groupby([frame["month"], frame["topic"]]).rank(method="first")
    return (rank <= cap).to_numpy()


def _month_counts(model: BERTopic, texts: TextChunks, topics: np.ndarray, chunk_size: int) -> csr_matrix:
    """The words of one month's papers counted per topic (rows: ``np.unique(topics)``).

    BERTopic joins each topic's documents into one and counts its words; the counts of
    each chunk of papers are summed instead, which gives the same unigram counts (the
    documents are cleaned as BERTopic cleans them, and joined with a space that no token
    crosses), without the month's texts in memory at once. An n-gram across two papers'
    texts, which the join would count, is not counted.
    """
    from scipy.sparse import csr_matrix

    labels, groups = np.unique(topics, return_inverse=True)
    counts = csr_matrix((len(labels), len(model.vectorizer_model.vocabulary_)), dtype=np.int64)
    for start in range(0, len(texts), chunk_size):
        chunk = model.vectorizer_model.transform(model._preprocess_text(texts[start : start + chunk_size]))
        stop = start + chunk.shape[0]
        membership = csr_matrix(
            (np.ones(stop - start, dtype=np.int64), (groups[start:stop], np.arange(stop - start))),
            shape=(len(labels), stop - start),
        )
        counts = counts + membership @ chunk
    return counts


def _month_words(model: BERTopic, counts: csr_matrix, topics: np.ndarray, global_ctfidf: csr_matrix) -> dict[int, str]:
    """Each topic's five best words in one month, as BERTopic's ``topics_over_time`` gives them.

    The month's c-TF-IDF (the model's fitted transformer) is averaged with the topic's
    global c-TF-IDF, both l1-normalised (``global_tuning``; its ``evolution_tuning``
    leaves the values as they are). The global row of a topic is its own, also where
    the assignments leave a topic out.
    """
    from sklearn.preprocessing import normalize

    labels = np.unique(topics)
    month = normalize(model.ctfidf_model.transform(counts), axis=1, norm="l1")
    tuned = (global_ctfidf[labels + model._outliers] + month) / 2.0
    words = model.vectorizer_model.get_feature_names_out()
    # BERTopic's own word ranking (ties included), on the month's matrix; it reads no
    # documents, as the project's models have no representation model.
    ranked = model._extract_words_per_topic(words, pd.DataFrame({"Topic": labels}), tuned, calculate_aspects=False)
    return {int(topic): ", ".join(word for word, _ in values[:5]) for topic, values in ranked.items()}


def topic_shares_over_time(
    model: BERTopic, papers: AssignedPapers, min_month_papers: int, chunk_size: int
) -> pd.DataFrame:
    """Each topic's papers and share of the month's papers, with its words in that month.

    Papers are counted per month and topic from the assignments. The words are BERTopic's
    ``topics_over_time`` words (the month's c-TF-IDF averaged with the topic's global
    one) of the papers whose texts ``papers`` holds (all, or a sample of each month and
    topic): the month's texts are counted ``chunk_size`` papers at a time
    (:func:`_month_counts`), one month after another, so memory holds one month's
    counts per topic. Shares are of all papers the model assigned in the
    month, outliers (topic -1) included, so a month's shares sum to 1.

    ``papers`` is :func:`assigned_papers`; papers without a month, and months with fewer
    than ``min_month_papers`` papers, are left out.
    """
    from sklearn.preprocessing import normalize

    frame = papers.frame.dropna(subset=["month"])
    month_papers = frame.groupby("month").size()
    kept = month_papers[month_papers >= min_month_papers]
    frame = frame[frame["month"].isin(kept.index)]
    if frame.empty:
        return pd.DataFrame(columns=SHARE_COLUMNS)
    global_ctfidf = normalize(model.c_tf_idf_, axis=1, norm="l1")
    parts = []
    for month, group in frame.groupby("month", sort=True):
        counted = group[group["text_row"] >= 0]
        topics = counted["topic"].to_numpy()
        month_texts = TextChunks(papers.texts, counted["text_row"].to_numpy())
        counts = _month_counts(model, month_texts, topics, chunk_size)
        words = _month_words(model, counts, topics, global_ctfidf)
        sizes = group.groupby("topic").size()
        parts.append(
            pd.DataFrame(
                {"month": month, "topic": sizes.index.astype(int), "papers": sizes.to_numpy(dtype=int)}
            ).assign(words=lambda part, words=words: part["topic"].map(words))
        )
    shares = pd.concat(parts, ignore_index=True)
    shares["month_papers"] = shares["month"].map(kept).astype(int)
    shares["share"] = shares["papers"] / shares["month_papers"]
    return shares.sort_values(["month", "topic"], ignore_index=True)[SHARE_COLUMNS]


def _month_number(months: pd.Index) -> np.ndarray:
    """Calendar months counted from year 0: gaps between months keep their length."""
    return np.asarray(months.year * 12 + months.month, dtype=float)


def topic_trends(shares: pd.DataFrame, trend_months: int) -> pd.DataFrame:
    """Each topic's least-squares slope of share per month over the last ``trend_months`` months.

    A topic absent from a month has share 0 there. The outlier topic -1 is left out.
    Empty when the shares span fewer than two months (no trend can be fitted).
    """
    wide = shares.pivot_table(index="month", columns="topic", values="share", fill_value=0.0)
    wide = wide.drop(columns=-1, errors="ignore").sort_index().iloc[-trend_months:]
    if len(wide) < 2 or wide.shape[1] == 0:
        return pd.DataFrame(columns=TREND_COLUMNS)
    slopes = np.polyfit(_month_number(pd.DatetimeIndex(wide.index)), wide.to_numpy(), deg=1)[0]
    trends = pd.DataFrame(
        {
            "topic": wide.columns.astype(int),
            "slope_per_month": slopes,
            "first_share": wide.iloc[0].to_numpy(),
            "last_share": wide.iloc[-1].to_numpy(),
            "months": len(wide),
        }
    )
    return trends.sort_values(["slope_per_month", "topic"], ascending=[False, True], ignore_index=True)


def topic_labels(topic_table: pd.DataFrame) -> dict[int, str]:
    """Each topic's label in ``topic_table`` (``0: quantum, states, qubit``), by topic number."""
    return dict(zip(topic_table["topic"].astype(int), topic_table["label"].astype(str), strict=True))


def trends_report(trends: pd.DataFrame, shares: pd.DataFrame, topic_table: pd.DataFrame, n_trending: int) -> str:
    """Markdown: the topics whose share rose and fell most, and what that was measured on."""
    lines = ["# Rising and falling topics", ""]
    if trends.empty:
        months = shares["month"].nunique()
        return "\n".join(
            lines + [f"The assigned papers span {months} month(s): a trend needs at least two.", ""]
        )
    labels = topic_labels(topic_table)
    span = shares["month"].drop_duplicates().sort_values().iloc[-int(trends["months"].iloc[0]) :]
    lines += [
        f"Share of each month's assigned papers (train, validation and test; outliers count in "
        f"the total), over the last {len(span)} months with papers, {span.iloc[0]:%Y-%m} to "
        f"{span.iloc[-1]:%Y-%m}. Slope: least-squares change of the share per month, in "
        "percentage points.",
        "",
    ]
    for title, rows in (
        ("Rising", trends[trends["slope_per_month"] > 0].head(n_trending)),
        ("Falling", trends[trends["slope_per_month"] < 0].iloc[::-1].head(n_trending)),
    ):
        lines += [f"## {title}", "", "| topic | slope (pp/month) | first share | last share |", "|---|---|---|---|"]
        lines += [
            f"| {labels.get(row.topic, row.topic)} | {100 * row.slope_per_month:+.2f} | "
            f"{row.first_share:.1%} | {row.last_share:.1%} |"
            for row in rows.itertuples()
        ] or ["| (none) | | | |"]
        lines.append("")
    return "\n".join(lines)


def plot_topic_shares(shares: pd.DataFrame, topic_table: pd.DataFrame) -> go.Figure:
    """Each topic's share of the month's papers, one line per topic (outliers left out)."""
    labels = topic_labels(topic_table)
    shown = shares[shares["topic"] != -1].assign(label=lambda frame: frame["topic"].map(labels))
    total = int(shares.drop_duplicates("month")["month_papers"].sum())
    figure = px.line(
        shown,
        x="month",
        y="share",
        color="label",
        markers=True,
        hover_data={"papers": True, "words": True},
        labels={"share": "share of the month's papers", "label": "topic"},
    )
    figure.update_layout(
        title=f"Topics over time: share of each month's papers ({total} assigned papers, all splits)",
        yaxis_tickformat=".0%",
    )
    return figure
