"""Benchmark: gensim CoherenceModel against arxiv_pipeline.coherence.CoherenceScorer.

Run from the repository root::

    .venv/bin/python benchmarks/coherence.py

On the 2,000 real abstracts of ``../shared/data/arxiv_sample_2007.jsonl`` it scores several topic sets
(k-means clusters of TF-IDF vectors, top words by centroid weight, as a topic model's trials would
produce them) with both implementations, for c_npmi and c_v at topn 10 and 20, and prints markdown
tables: the values side by side with their difference, the one-off cost of building our counts, and
the per-call times with their ratio. gensim recounts the corpus on every call (single process here, as
``processes=1``; its default uses all cores but one and gives the same values). A last table repeats the
corpus 25 times (50,000 texts) to show how our build time, memory and per-call time scale.
The tables are also written to ``docs/figures/coherence.md``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import sys
import time
import tracemalloc
from pathlib import Path

import _figures
import gensim
import numpy as np
from gensim.corpora import Dictionary
from gensim.models.coherencemodel import CoherenceModel
from sklearn.cluster import KMeans
from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer

from arxiv_pipeline.topics.coherence import CoherenceScorer

SAMPLE = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "arxiv_sample_2007.jsonl"
MEASURES = ("c_npmi", "c_v")
TOPNS = (10, 20)
N_CLUSTERS = (10, 20, 30, 40, 50)
REPEATS = 20
SCALE = 25


def topic_sets(abstracts: list[str]) -> list[list[list[str]]]:
    """One topic set per cluster count: the 20 heaviest centroid words of each k-means cluster."""
    vectorizer = TfidfVectorizer(stop_words="english", min_df=3)
    matrix = vectorizer.fit_transform(abstracts)
    vocabulary = vectorizer.get_feature_names_out()
    sets = []
    for n_clusters in N_CLUSTERS:
        centres = KMeans(n_clusters=n_clusters, n_init=1, random_state=0).fit(matrix).cluster_centers_
        sets.append([list(vocabulary[np.argsort(-centre, kind="stable")[:20]]) for centre in centres])
    return sets


def timed(function, *args, **kwargs) -> tuple[object, float]:
    """Return the function's result and its wall time in seconds."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def median_call(scorer: CoherenceScorer, topics: list[list[str]], measure: str, topn: int) -> float:
    """Median wall time of repeated calls, in seconds."""
    return statistics.median(timed(scorer.score, topics, measure=measure, topn=topn)[1] for _ in range(REPEATS))


def build(texts: list[list[str]], dictionary: Dictionary) -> tuple[CoherenceScorer, dict[str, float]]:
    """Build a scorer and index both window sizes, timing each step; then measure memory in a rebuild.

    Memory is measured separately because tracing every allocation slows the build down.
    """
    scorer, construct = timed(CoherenceScorer, texts, dictionary)
    _, npmi_index = timed(scorer.prepare, ["c_npmi"])
    _, cv_index = timed(scorer.prepare, ["c_v"])
    tracemalloc.start()
    probe = CoherenceScorer(texts, dictionary).prepare()
    retained, peak = tracemalloc.get_traced_memory()
    del probe
    tracemalloc.stop()
    return scorer, {
        "construct": construct,
        "c_npmi": npmi_index,
        "c_v": cv_index,
        "retained_mb": retained / 2**20,
        "peak_mb": peak / 2**20,
    }


def main() -> None:
    if not SAMPLE.is_file():
        sys.exit(f"real arXiv sample not found at {SAMPLE} (see ../shared/data/README.md)")
    with SAMPLE.open(encoding="utf-8") as lines:
        abstracts = [json.loads(line)["abstract"] for line in lines]
    analyzer = CountVectorizer(stop_words="english").build_analyzer()
    texts = [analyzer(abstract) for abstract in abstracts]
    dictionary = Dictionary(texts)
    sets = topic_sets(abstracts)

    scorer, cost = build(texts, dictionary)
    lines: list[str] = []

    def emit(text: str) -> None:
        print(text)
        lines.append(text)

    emit(
        f"gensim {gensim.__version__} CoherenceModel against CoherenceScorer: "
        f"{len(texts):,} abstracts, {sum(map(len, texts)):,} tokens, {len(dictionary):,} words; "
        f"topic sets: k-means with {', '.join(map(str, N_CLUSTERS))} clusters; "
        f"Python {platform.python_version()}, {os.cpu_count()} CPUs.\n"
    )
    emit("### Values (mean over topics), one row per topic set\n")
    emit("| measure | topn | topics | gensim | ours | abs diff | gensim s/call | ours ms/call |")
    emit("|---|---:|---:|---:|---:|---:|---:|---:|")
    summary = []
    for measure in MEASURES:
        for topn in TOPNS:
            gensim_times, our_times, diffs = [], [], []
            for topics in sets:
                model = CoherenceModel(
                    topics=topics, texts=texts, dictionary=dictionary, coherence=measure, topn=topn, processes=1
                )
                reference, gensim_time = timed(model.get_coherence)
                ours = scorer.score(topics, measure=measure, topn=topn)
                our_time = median_call(scorer, topics, measure, topn)
                gensim_times.append(gensim_time)
                our_times.append(our_time)
                diffs.append(abs(ours - reference))
                emit(
                    f"| {measure} | {topn} | {len(topics)} | {reference:.10f} | {ours:.10f} | {diffs[-1]:.1e} "
                    f"| {gensim_time:.3f} | {our_time * 1e3:.2f} |"
                )
            summary.append((measure, topn, max(diffs), statistics.median(gensim_times), statistics.median(our_times)))

    emit("\n### One-off cost of our counts (built once per corpus)\n")
    emit(
        "| constructor | c_npmi index (window 10; includes loading the compiled kernel) | c_v index (window 110) "
        "| memory retained | peak |"
    )
    emit("|---:|---:|---:|---:|---:|")
    emit(
        f"| {cost['construct']:.3f} s | {cost['c_npmi']:.3f} s | {cost['c_v']:.3f} s "
        f"| {cost['retained_mb']:.1f} MiB | {cost['peak_mb']:.1f} MiB |"
    )

    emit("\n### Per call (median over topic sets), after the one-off build\n")
    emit("| measure | topn | max abs diff | gensim s/call | ours ms/call | speed-up per call |")
    emit("|---|---:|---:|---:|---:|---:|")
    for measure, topn, diff, gensim_time, our_time in summary:
        emit(
            f"| {measure} | {topn} | {diff:.1e} | {gensim_time:.3f} | {our_time * 1e3:.2f} "
            f"| {gensim_time / our_time:,.0f}x |"
        )

    big_texts = texts * SCALE
    big_scorer, big_cost = build(big_texts, dictionary)
    emit(f"\n### Scale: the corpus repeated {SCALE}x ({len(big_texts):,} texts), ours only\n")
    emit(
        "| constructor | c_npmi index | c_v index | memory retained | peak "
        "| c_npmi ms/call (topn 10) | c_v ms/call (topn 10) |"
    )
    emit("|---:|---:|---:|---:|---:|---:|---:|")
    middle = sets[len(sets) // 2]
    emit(
        f"| {big_cost['construct']:.2f} s | {big_cost['c_npmi']:.2f} s | {big_cost['c_v']:.2f} s "
        f"| {big_cost['retained_mb']:.0f} MiB | {big_cost['peak_mb']:.0f} MiB "
        f"| {median_call(big_scorer, middle, 'c_npmi', 10) * 1e3:.1f} "
        f"| {median_call(big_scorer, middle, 'c_v', 10) * 1e3:.1f} |"
    )

    _figures.write("coherence", "\n".join(lines))


if __name__ == "__main__":
    main()
