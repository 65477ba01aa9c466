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
and the time the 2.3M papers of the full snapshot would take, and writes the table to
``docs/figures/gpu_embed.md`` (``--figures`` names another file). Refuses to run without
a CUDA GPU: ``benchmarks/embeddings.py`` measures the CPU.

Run: ``.venv/bin/python benchmarks/gpu_embed.py [--n 200000] [--batch-size 512] [--no-fp16]``.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import _figures
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import yaml

from arxiv_pipeline.datasets.embedding_cache_dataset import EmbeddingCacheDataset
from arxiv_pipeline.datasets.embeddings_dataset import EmbeddingsDataset
from arxiv_pipeline.embedding import EncodingSettings, SentenceTransformerSpec, resolve_model
from arxiv_pipeline.embedding.encoding import assemble_split, encode_new_texts
from arxiv_pipeline.embedding.sentence_transformer import SentenceTransformerEncoder
from arxiv_pipeline.text.templates import SplitTexts, fingerprint, render_texts

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE = REPO_ROOT.parent / "shared" / "data" / "arxiv_sample_2007.jsonl"
SNAPSHOT_PAPERS = 2_300_000
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

    encoding = EncodingSettings(
        device=device,
        batch_size=batch_size,
        fp16=fp16,
        chunk_size=DEFAULTS["encoding"]["chunk_size"],
    )
    encoder = SentenceTransformerEncoder(
        SentenceTransformerSpec(model=model), resolve_model("gpu_embed", model), encoding
    )
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
        for item in encode_new_texts([split], encoders, cache.load(), stored, encoding.chunk_size):
            cache.save(item)
        for item in assemble_split(split, encoders, cache.load(), dataset.load(), encoding.chunk_size):
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=200_000, help="abstracts to embed")
    parser.add_argument("--model", default=DEFAULTS["models"]["minilm"]["model"])
    parser.add_argument(
        "--batch-size", type=int, default=DEFAULTS["encoding"]["batch_size"]["cuda"]
    )
    parser.add_argument("--no-fp16", action="store_true", help="encode in float32")
    parser.add_argument("--no-direct", action="store_true", help="skip the direct baseline")
    parser.add_argument("--papers", type=Path, help="a papers.parquet written by ingestion")
    parser.add_argument("--figures", type=Path, help="default: docs/figures/gpu_embed.md")
    args = parser.parse_args()
    gpu = require_cuda()

    import torch

    ids, texts, distinct = load_texts(args.n, args.papers)
    seconds = run(
        ids, texts, args.model, "cuda", args.batch_size, not args.no_fp16, not args.no_direct
    )
    lines = [
        f"{gpu}; torch {torch.__version__} (CUDA {torch.version.cuda}); {args.model}; "
        f"{'float32' if args.no_fp16 else 'float16'}; batch {args.batch_size}; "
        f"{args.n:,} texts cycled from {distinct:,} real papers; peak GPU memory "
        f"{torch.cuda.max_memory_allocated() / 1e9:.2f} GB.",
        "",
        "| path | seconds | abstracts/s | vs direct | projected 2.3M papers |",
        "|---|---:|---:|---:|---:|",
    ]
    for path, elapsed in seconds.items():
        ratio = f"{elapsed / seconds['direct']:.3f}" if "direct" in seconds else "n/a"
        projected = SNAPSHOT_PAPERS / (args.n / elapsed)
        lines.append(
            f"| {path} | {elapsed:.1f} | {args.n / elapsed:,.0f} | {ratio} "
            f"| {projected / 60:.1f} min |"
        )
    print("\n".join(lines))
    _figures.write("gpu_embed", "\n".join(lines), path=args.figures)

if __name__ == "__main__":
    main()
