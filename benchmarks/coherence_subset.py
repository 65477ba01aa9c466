"""Benchmark: topic coherence against a nested subset of the reference texts, as
``evaluation.coherence_max_papers`` measures it, beside coherence against all of them.

Run from the repository root::

    .venv/bin/python benchmarks/coherence_subset.py                 # the 118,180 real papers
    .venv/bin/python benchmarks/coherence_subset.py --limit 30000

The papers of ``../shared/data/arxiv_2025_2026.jsonl.gz`` are split as ingestion splits
them (:func:`~arxiv_pipeline.corpus.splitting.split_papers`, the ``ingestion.split`` seed
and size fractions) into a ``fit`` split (20%) and a held-out ``reference`` split (80%),
with the embeddings' template as their texts. Fixed topic sets (the top 10 words of
k-means clusters of TF-IDF vectors of the fit split's 0.4 subset, k = 20 and 50, as in
``benchmarks/coherence.py``) are scored (c_npmi, c_v) against every nested subset of the
reference split, as the evaluation scores a model fitted on train against a held-out
split; the table gives each subset's scores, their difference from the whole split's,
and the time and peak traced memory of building the reference (tokenised a chunk at a
time). With the default cap the full
snapshot's 250,000 validation papers are scored against their 0.4 subset: the 0.4 row's
difference is that cut's cost at this size. The table is also written to
``docs/figures/coherence_subset.md`` when the whole snapshot is read (no ``--limit``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import time
import tracemalloc
from pathlib import Path

import _figures
import numpy as np
import pyarrow as pa
import yaml
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import TfidfVectorizer

from arxiv_pipeline.corpus.splitting import split_papers
from arxiv_pipeline.text.templates import TextChunks, render_texts
from arxiv_pipeline.topics.coherence import CoherenceScorer
from arxiv_pipeline.topics.model import Tokenised, chunks_of

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOT = ROOT / ".." / "shared" / "data" / "arxiv_2025_2026.jsonl.gz"
N_CLUSTERS = (20, 50)
TOPN = 10


def read_papers(limit: int | None) -> pa.Table:
    """Id, title and abstract of the first ``limit`` papers of the snapshot (all: None)."""
    rows = []
    with gzip.open(SNAPSHOT, "rt", encoding="utf-8") as lines:
        for number, line in enumerate(lines):
            if limit is not None and number >= limit:
                break
            record = json.loads(line)
            rows.append({name: " ".join(record[name].split()) for name in ("id", "title", "abstract")})
    return pa.Table.from_pylist(rows)


def topic_sets(texts: list[str]) -> dict[int, list[list[str]]]:
    """The top ``TOPN`` words of each k-means cluster of the texts' TF-IDF vectors, per k."""
    vectorizer = TfidfVectorizer(stop_words="english", min_df=3)
    matrix = vectorizer.fit_transform(texts)
    vocabulary = vectorizer.get_feature_names_out()
    return {
        k: [
            list(vocabulary[np.argsort(-centre, kind="stable")[:TOPN]])
            for centre in KMeans(n_clusters=k, n_init=1, random_state=0).fit(matrix).cluster_centers_
        ]
        for k in N_CLUSTERS
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--limit", type=int, help="read only the first LIMIT papers")
    arguments = parser.parse_args()
    conf = ROOT / "conf" / "base"
    split = yaml.safe_load((conf / "parameters_ingestion.yml").read_text())["ingestion"]["split"]
    template = yaml.safe_load((conf / "parameters_embeddings.yml").read_text())["embeddings"]["text_template"]

    table = read_papers(arguments.limit)
    splits = split_papers(
        table["id"].to_pylist(), {"fit": 0.2, "reference": 0.8}, split["size_fractions"], split["seed"]
    )
    order = {paper: row for row, paper in enumerate(table["id"].to_pylist())}
    rows = np.array([order[paper] for paper in splits["id"]])
    texts = render_texts(table, template).take(pa.array(rows))
    sizes = splits["size_fraction"].to_numpy()
    held_out = (splits["split"] == "reference").to_numpy()
    fit = np.flatnonzero(~held_out & (sizes <= 0.4))
    topics = topic_sets(TextChunks(texts, fit)[:])

    scores, costs = {}, {}
    for fraction in split["size_fractions"]:
        reference = TextChunks(texts, np.flatnonzero(held_out & (sizes <= fraction)))
        tracemalloc.start()
        start = time.perf_counter()
        scorer = CoherenceScorer.from_chunks(chunks_of(Tokenised(reference))).prepare()
        costs[fraction] = (len(reference), time.perf_counter() - start, tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        scores[fraction] = {
            (k, measure): scorer.score([[w for w in topic if scorer.has_word(w)] for topic in words], measure, TOPN)
            for k, words in topics.items()
            for measure in ("c_npmi", "c_v")
        }

    whole = scores[1.0]
    columns = [f"k={k} {measure}" for k, measure in whole]
    lines = [
        f"{len(texts)} papers of `{SNAPSHOT.name}`: topics from the {len(fit)} papers of the fit "
        f"split's 0.4 subset, scored against nested subsets of the {int(held_out.sum())} papers of "
        "the held-out split (in brackets: the difference from the whole split).",
        "",
        "| reference | papers | build s | peak MiB | " + " | ".join(columns) + " |",
        "|---" * (4 + len(columns)) + "|",
    ]
    for fraction, values in scores.items():
        papers, seconds, peak = costs[fraction]
        cells = [f"{values[key]:.4f} ({values[key] - whole[key]:+.4f})" for key in whole]
        lines.append(f"| {fraction:g} subset | {papers} | {seconds:.1f} | {peak / 2**20:.0f} | " + " | ".join(cells) + " |")
    table = "\n".join(lines)
    print(f"Measured on: {_figures.machine()}.\n\n{table}")
    if arguments.limit is None:
        _figures.write("coherence_subset", table)


if __name__ == "__main__":
    main()
