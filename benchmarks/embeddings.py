"""Benchmark: the pipeline's embedding step against ``SentenceTransformer.encode`` on its texts.

Ingests the 2,000 real papers of ``../shared/data`` into a temporary copy of the
project, then runs each contender in its own process (so neither inherits the other's
warm caches) and times it after its imports:

- ``direct``: load the default model (all-MiniLM-L6-v2) and call ``encode`` once on the
  texts of all three splits (the baseline);
- ``pipeline``: ``kedro run --pipelines embeddings`` with the default model only, through
  a KedroSession, on an empty cache: texts, fingerprints, model load, encoding per split,
  memory-mapped writes and sidecars;
- ``cache hit``: the same run again, which finds the cache and encodes nothing.

Both encoders use the batch size and device of ``conf/base/parameters_embeddings.yml``, and
both run torch at the model's own token limit (the project copy's ``runtime`` and
``max_seq_length`` are set so), so the pipeline's vectors are checked against the direct ones. Prints a Markdown table and
writes it to ``docs/figures/embeddings.md`` (``--figures`` names another file).

Run: ``.venv/bin/python benchmarks/embeddings.py [--repeats 1]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _figures
import numpy as np
import yaml
from _project import SAMPLE, keep_embedding_models, project_copy

MODEL_KEY = "minilm"
SPLITS = ("train", "validation", "test")
CONTENDERS = ("ingest", "direct", "pipeline")


def split_texts(project: Path) -> list[str]:
    """The text of every paper: train, validation, then test, each in paper_splits order.

    Rendered here from the papers, as the pipeline's ``build_embedding_texts`` does, so the
    direct contender does not read texts the pipeline wrote.
    """
    import pandas as pd

    parameters = yaml.safe_load((project / "conf/base/parameters_embeddings.yml").read_text())
    template = parameters["embeddings"]["text_template"]
    papers = pd.read_parquet(project / "data/03_primary/papers.parquet").set_index("id")
    splits = pd.read_parquet(project / "data/03_primary/paper_splits.parquet")
    ids = [i for split in SPLITS for i in splits.loc[splits["split"] == split, "id"]]
    return [
        template.format(title=papers.at[i, "title"], abstract=papers.at[i, "abstract"]) for i in ids
    ]


def like_direct(project: Path) -> None:
    """Run the copy's model as ``SentenceTransformer.encode`` does: torch, its own token limit."""
    path = project / "conf/base/parameters_embeddings.yml"
    parameters = yaml.safe_load(path.read_text())
    parameters["embeddings"]["models"][MODEL_KEY].update(runtime="torch", max_seq_length=None)
    path.write_text(yaml.safe_dump(parameters))


def run_contender(name: str, project: Path, out: Path) -> None:
    """Body of one contender's process: prints its timed seconds as JSON."""
    os.chdir(project)
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    bootstrap_project(project)
    if name == "ingest":
        with KedroSession.create(project, runtime_params={"snapshot_path": str(SAMPLE)}) as session:
            session.run(pipeline_names=["ingestion"])
        return
    # Imported before the clock starts, by both contenders alike.
    import sentence_transformers

    from arxiv_pipeline.embedding import resolve_device, resolve_model

    parameters = yaml.safe_load((project / "conf/base/parameters_embeddings.yml").read_text())
    encoding = parameters["embeddings"]["encoding"]
    spec = parameters["embeddings"]["models"][MODEL_KEY]
    texts = split_texts(project) if name == "direct" else None
    start, cpu_start = time.perf_counter(), time.process_time()
    if name == "direct":
        device = resolve_device(encoding["device"])
        model = sentence_transformers.SentenceTransformer(
            str(resolve_model(MODEL_KEY, spec["model"]).path), device=device
        )
        if device.startswith("cuda") and encoding["fp16"]:
            model.half()
        batch_size = encoding["batch_size"]
        vectors = model.encode(
            texts,
            batch_size=batch_size if isinstance(batch_size, int) else batch_size[model.device.type],
            normalize_embeddings=spec["normalize_embeddings"],
            show_progress_bar=False,
        )
    else:
        with KedroSession.create(project) as session:
            session.run(pipeline_names=["embeddings"])
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    if name == "direct":
        np.save(out, vectors.astype(np.float32))
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu_seconds}))


def measure(name: str, project: Path, out: Path) -> tuple[float, float, float]:
    """Timed wall and CPU seconds, and peak RSS (GB), of one contender in a fresh process."""
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"}
    command = [sys.executable, __file__, "--contender", name, "--project", project, "--out", out]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    stdout = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"{name} failed with status {status}")
    if name == "ingest":
        return 0.0, 0.0, 0.0
    times = json.loads(stdout.splitlines()[-1])
    return times["seconds"], times["cpu_seconds"], usage.ru_maxrss / 1e6  # ru_maxrss: KiB


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=1, help="runs of each contender (median)")
    parser.add_argument("--figures", type=Path, help="default: docs/figures/embeddings.md")
    parser.add_argument("--contender", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--project", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.contender:
        run_contender(args.contender, args.project, args.out)
        return
    if not SAMPLE.is_file():
        raise SystemExit(f"needs the real sample at {SAMPLE}")
    with tempfile.TemporaryDirectory(prefix="embeddings-bench-") as folder:
        project = project_copy("embeddings-bench-", Path(folder))
        keep_embedding_models(project, [MODEL_KEY])
        like_direct(project)
        direct_out = Path(folder) / "direct.npy"
        measure("ingest", project, direct_out)
        cache = project / "data/04_feature/embeddings"
        runs: dict[str, list[tuple[float, float, float]]] = {
            "direct": [],
            "pipeline": [],
            "cache hit": [],
        }
        for _ in range(args.repeats):
            # Interleaved, so that a slow spell of the machine hits both contenders.
            runs["direct"].append(measure("direct", project, direct_out))
            shutil.rmtree(cache, ignore_errors=True)
            runs["pipeline"].append(measure("pipeline", project, direct_out))
            runs["cache hit"].append(measure("pipeline", project, direct_out))
        stored = np.concatenate([np.load(cache / MODEL_KEY / f"{split}.npy") for split in SPLITS])
        difference = float(np.abs(stored - np.load(direct_out)).max())
        metadata = json.loads((cache / MODEL_KEY / "train.json").read_text())
    n_texts = len(stored)
    lines = [
        f"{n_texts:,} real abstracts, {metadata['cache_key']['model']} on "
        f"{metadata['run']['device']} ({metadata['run']['precision']}), batch "
        f"{metadata['run']['batch_size']}; load average {os.getloadavg()[1]:.1f} over the "
        f"last 5 min; median of {args.repeats}; max |pipeline - direct| = {difference:.1e}.",
        "",
        "| step | wall s | abstracts/s | wall vs direct | CPU s | CPU vs direct | peak RSS GB |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    # CPU seconds are shown beside wall seconds: on a shared machine they vary far less.
    medians = {
        name: [statistics.median(result[i] for result in results) for i in range(2)]
        for name, results in runs.items()
    }
    wall_baseline, cpu_baseline = medians["direct"]
    for name, (seconds, cpu_seconds) in medians.items():
        rss = max(result[2] for result in runs[name])
        lines.append(
            f"| {name} | {seconds:.1f} | {n_texts / seconds:,.0f} | {seconds / wall_baseline:.3f} "
            f"| {cpu_seconds:.1f} | {cpu_seconds / cpu_baseline:.3f} | {rss:.2f} |"
        )
    print("\n".join(lines))
    _figures.write("embeddings", "\n".join(lines), path=args.figures)

if __name__ == "__main__":
    main()
