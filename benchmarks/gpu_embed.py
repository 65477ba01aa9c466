"""Benchmark: embed N abstracts on a CUDA GPU the pipeline's way; project the full snapshot.

The texts are real abstracts (the 2,000 of ``../shared/data``, or the ``papers.parquet``
of an ingestion run given with ``--papers``), repeated until there are N, joined with the
project's text template. Two paths, on the same loaded model, precision and batch size:

- ``pipeline``: the embeddings pipeline's encoding (``encode_new_texts``) saving chunk by
  chunk through ``EmbeddingCacheDataset`` (the per-paper cache), then the matrix assembled
  from it (``assemble_split``) through ``EmbeddingsDataset`` (``.npy``, ids, sidecar), in
  a temporary folder;
- ``direct``: ``SentenceTransformer.encode`` on the same texts, returning one array.

Prints abstracts/s, the pipeline's time against the direct call, the peak GPU memory,
and the time the 2.3M papers of the full snapshot would take. Then checks that the
per-paper cache does not depend on where it was filled: the sample's texts are encoded
on the CPU in float32 into a cache, the GPU's float16 encoder (torch on both) runs the pipeline's encoding
against it (it must encode none of them), and the two devices' vectors of those texts are
compared (cosine similarity). Writes both to
``docs/figures/gpu_embed.md`` (``--figures`` names another file). Refuses to run without
a CUDA GPU: ``benchmarks/embeddings.py`` measures the CPU.

Run: ``.venv/bin/python benchmarks/gpu_embed.py [--n 200000] [--batch-size 512] [--precisions float16 float32]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import _figures
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from arxiv_pipeline.datasets.embedding_cache_dataset import EmbeddingCacheDataset
from arxiv_pipeline.datasets.embeddings_dataset import EmbeddingsDataset
from arxiv_pipeline.embedding import EncodingSettings, SentenceTransformerSpec, resolve_model
from arxiv_pipeline.embedding.encoding import assemble_split, encode_new_texts
from arxiv_pipeline.embedding.paper_cache import CacheAppend
from arxiv_pipeline.embedding.sentence_transformer import SentenceTransformerEncoder
from arxiv_pipeline.text.templates import SplitTexts, fingerprint, render_texts

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE = REPO_ROOT.parent / "shared" / "data" / "arxiv_sample_2007.jsonl"
SNAPSHOT_PAPERS = 2_300_000
PRECISIONS = ("float16", "float32")
PARAMETERS = yaml.safe_load((REPO_ROOT / "conf/base/parameters_embeddings.yml").read_text())
DEFAULTS = PARAMETERS["embeddings"]


def require_cuda() -> str:
    """The GPU's name; exits with the reason when torch sees no CUDA device."""
    import torch

    if not torch.cuda.is_available():
        build = f"CUDA {torch.version.cuda}" if torch.version.cuda else "a CPU-only build"
        raise SystemExit(
            f"gpu_embed.py measures CUDA throughput, but torch {torch.__version__} ({build}) "
            "sees no CUDA GPU. Run it on a machine with an NVIDIA GPU and a CUDA build of "
            "torch (see the Makefile's TORCH variable); benchmarks/embeddings.py measures CPU."
        )
    return torch.cuda.get_device_name(0)


def load_texts(n: int, papers: Path | None) -> tuple[pa.Array, pa.Array, int]:
    """N texts cycled from the real papers, fresh ids, and how many distinct papers they hold.

    Each copy of a paper's text starts with its copy's number: the per-paper cache encodes
    a text once however often it occurs, and the benchmark must encode N texts.
    """
    if papers is not None:
        table = pq.read_table(papers, columns=["id", "title", "abstract"])
    else:
        records = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
        # Whitespace normalised as ingestion does, so the token counts are the pipeline's.
        table = pa.table(
            {
                field: [" ".join(record[field].split()) for record in records]
                for field in ("title", "abstract")
            }
        )
    texts = render_texts(table, DEFAULTS["text_template"])
    repeats = -(-n // len(texts))
    cycled = pa.concat_arrays([texts] * repeats).slice(0, n)
    copies = pa.array([f"{row // len(texts)} " for row in range(n)])
    distinct = pc.binary_join_element_wise(copies, cycled, "")
    return pa.array([str(i) for i in range(n)]), distinct, len(texts)


def run(
    ids: pa.Array,
    texts: pa.Array,
    model: str,
    device: str,
    batch_size: int,
    fp16: bool,
    direct: bool,
) -> dict[str, float]:
    """Seconds of each path on ``device`` (``cuda`` from ``main``; any device for a dry run)."""
    import torch

    encoder = encoder_on(model, device, batch_size, fp16)
    chunk_size = DEFAULTS["encoding"]["chunk_size"]
    # Warm-up: loads the model and initialises the CUDA kernels outside the clock.
    encoder.encode(texts.slice(0, batch_size).to_pylist())
    split = SplitTexts("bench", ids, texts, fingerprint(ids, texts, DEFAULTS["text_template"]))

    def synchronise() -> None:
        if torch.cuda.is_available():
            torch.cuda.synchronize()

    seconds = {}
    with tempfile.TemporaryDirectory(prefix="gpu-embed-") as folder:
        synchronise()
        start = time.perf_counter()
        # What the pipeline's nodes and Kedro's runner do: save every item a node yields.
        cache, dataset = EmbeddingCacheDataset(folder), EmbeddingsDataset(folder, "bench")
        encoders, stored = {"gpu_embed": encoder}, {"bench": dataset.load()}
        for item in encode_new_texts([split], encoders, cache.load(), stored, chunk_size):
            cache.save(item)
        for item in assemble_split(split, encoders, cache.load(), dataset.load(), chunk_size):
            dataset.save(item)
        synchronise()
        seconds["pipeline"] = time.perf_counter() - start
    if direct:
        as_list = texts.to_pylist()
        start = time.perf_counter()
        encoder.model.encode(as_list, batch_size=batch_size, normalize_embeddings=True)
        synchronise()
        seconds["direct"] = time.perf_counter() - start
    return seconds


def encoder_on(model: str, device: str, batch_size: int, fp16: bool) -> SentenceTransformerEncoder:
    """The pipeline's sentence-transformers encoder of ``model`` run by torch on ``device``.

    torch on the CPU too: ``runtime: auto`` there may choose an exported runtime, whose
    vectors have a cache of their own (docs: the embeddings pipeline's runtimes).
    """
    encoding = EncodingSettings(
        device=device,
        batch_size=batch_size,
        fp16=fp16,
        chunk_size=DEFAULTS["encoding"]["chunk_size"],
    )
    return SentenceTransformerEncoder(
        SentenceTransformerSpec(model=model, runtime="torch"),
        resolve_model("gpu_embed", model),
        encoding,
    )


def cache_across_devices(
    texts: pa.Array, model: str, batch_size: int, gpu: str = "cuda"
) -> list[str]:
    """The sample's texts cached from the CPU (float32), then encoded on the GPU (float16).

    Returns the lines that report how many texts each device encoded through the pipeline's
    encoding and how close the two devices' vectors are. ``gpu="cpu"`` is a dry run.
    """
    ids = pa.array([str(i) for i in range(len(texts))])
    split = SplitTexts("check", ids, texts, fingerprint(ids, texts, DEFAULTS["text_template"]))
    encoded, vectors = {}, {}
    with tempfile.TemporaryDirectory(prefix="gpu-embed-cache-") as folder:
        cache, dataset = EmbeddingCacheDataset(folder), EmbeddingsDataset(folder, "check")
        for side, device, fp16 in (("cpu", "cpu", False), ("gpu", gpu, gpu != "cpu")):
            encoder = encoder_on(model, device, batch_size, fp16)
            stored = {"check": dataset.load()}
            items = list(encode_new_texts([split], {"minilm": encoder}, cache.load(), stored, len(texts)))
            encoded[side] = sum(len(item.hashes) for item in items if isinstance(item, CacheAppend))
            for item in items:
                cache.save(item)
            vectors[side] = np.asarray(encoder.encode(texts.to_pylist()), dtype=np.float32)
    cpu, gpu_vectors = vectors["cpu"], vectors["gpu"]
    cosine = np.sum(cpu * gpu_vectors, axis=1) / (
        np.linalg.norm(cpu, axis=1) * np.linalg.norm(gpu_vectors, axis=1)
    )
    return [
        f"The per-paper cache across devices, on the {len(texts):,} sample texts: filled on "
        f"the CPU in float32 ({encoded['cpu']:,} encoded), then the GPU's float16 encoder "
        f"encoded {encoded['gpu']:,} of them (the cache key holds no device or precision). "
        f"Cosine similarity of the two devices' vectors: minimum {cosine.min():.5f}, "
        f"mean {cosine.mean():.5f}.",
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200_000, help="abstracts to embed")
    parser.add_argument("--model", default=DEFAULTS["models"]["minilm"]["model"])
    parser.add_argument(
        "--batch-size", type=int, default=DEFAULTS["encoding"]["batch_size"]["cuda"]
    )
    parser.add_argument(
        "--precisions", nargs="+", choices=PRECISIONS, default=list(PRECISIONS),
        help="each is measured on the same texts, one after the other",
    )
    parser.add_argument("--no-direct", action="store_true", help="skip the direct baseline")
    parser.add_argument("--papers", type=Path, help="a papers.parquet written by ingestion")
    parser.add_argument("--figures", type=Path, help="default: docs/figures/gpu_embed.md")
    args = parser.parse_args()
    gpu = require_cuda()

    import torch

    ids, texts, distinct = load_texts(args.n, args.papers)
    lines = [
        f"{gpu}; torch {torch.__version__} (CUDA {torch.version.cuda}); {args.model}; "
        f"batch {args.batch_size}; {args.n:,} texts cycled from {distinct:,} real papers.",
        "",
        "| precision | path | seconds | abstracts/s | vs direct | peak GPU memory | projected 2.3M papers |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for precision in args.precisions:
        torch.cuda.reset_peak_memory_stats()
        fp16 = precision == "float16"
        seconds = run(ids, texts, args.model, "cuda", args.batch_size, fp16, not args.no_direct)
        peak = torch.cuda.max_memory_allocated() / 1e9
        for path, elapsed in seconds.items():
            ratio = f"{elapsed / seconds['direct']:.3f}" if "direct" in seconds else "n/a"
            projected = SNAPSHOT_PAPERS / (args.n / elapsed)
            lines.append(
                f"| {precision} | {path} | {elapsed:.1f} | {args.n / elapsed:,.0f} | {ratio} "
                f"| {peak:.2f} GB | {projected / 60:.1f} min |"
            )
        print("\n".join(lines), flush=True)
    sample = load_texts(distinct, args.papers)[1] if args.papers is None else texts.slice(0, 2_000)
    lines += ["", *cache_across_devices(sample, args.model, args.batch_size)]
    print(lines[-1], flush=True)
    _figures.write("gpu_embed", "\n".join(lines), path=args.figures)


if __name__ == "__main__":
    main()
