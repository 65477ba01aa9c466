"""Benchmark: the ingestion pipeline against reading the same snapshot with pyarrow and pandas.

Builds a snapshot-format file of at least ``--gigabytes`` GB from the 2,000 real papers
in ``../shared/data`` (each copy gets fresh ids), then runs each contender in its own
process and prints throughput (MB/s of uncompressed snapshot) and peak RSS:

- ``pipeline``: ``kedro run --pipelines ingestion`` on that file (parse, quarantine,
  deduplicate, canonicalise, label vocabulary, splits, summary), through a KedroSession;
- ``pyarrow``: ``pyarrow.json.read_json`` of the whole file (the baseline);
- ``pandas``: ``pandas.read_json(lines=True)`` of the whole file.

Prints a markdown table and writes it to ``docs/figures/ingestion.md`` (``--figures``
names another file).

Run: ``.venv/bin/python benchmarks/ingestion.py [--gigabytes 1.0] [--skip pandas]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import _figures
from _project import SAMPLE, project_copy

CONTENDERS = ("pipeline", "pyarrow", "pandas")


def build_snapshot(path: Path, gigabytes: float) -> None:
    """Repeat the real records with fresh new-style ids until the file holds ``gigabytes``."""
    records = [json.loads(line) for line in SAMPLE.read_text(encoding="utf-8").splitlines()]
    target = int(gigabytes * 1e9)
    written, copy = 0, 0
    with path.open("w", encoding="utf-8") as out:
        while written < target:
            for number, record in enumerate(records):
                record["id"] = f"{9000 + copy // 50:04d}.{(copy % 50) * 2000 + number:05d}"
                line = json.dumps(record, ensure_ascii=False) + "\n"
                out.write(line)
                written += len(line.encode("utf-8"))
            copy += 1


def run_contender(name: str, snapshot: Path) -> None:
    """Body of one contender's process."""
    if name == "pipeline":
        from kedro.framework.session import KedroSession

        project = project_copy("ingestion-bench-")
        with KedroSession.create(project, runtime_params={"snapshot_path": str(snapshot)}) as session:
            session.run(pipeline_names=["ingestion"])
        shutil.rmtree(project)
    elif name == "pyarrow":
        import pyarrow.json

        pyarrow.json.read_json(snapshot)
    elif name == "pandas":
        import pandas

        pandas.read_json(snapshot, lines=True)


def measure(name: str, snapshot: Path) -> tuple[float, float]:
    """Wall seconds and peak RSS (GB) of one contender in a fresh process."""
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1"}
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, __file__, "--contender", name, "--snapshot", str(snapshot)],
        env=env,
        stdout=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    if status != 0:
        raise SystemExit(f"{name} failed with status {status}")
    return seconds, usage.ru_maxrss / 1e6  # ru_maxrss is in KiB on Linux


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gigabytes", type=float, default=1.0)
    parser.add_argument("--skip", nargs="*", default=[], choices=CONTENDERS)
    parser.add_argument("--figures", type=Path, help="default: docs/figures/ingestion.md")
    parser.add_argument("--contender", choices=CONTENDERS, help=argparse.SUPPRESS)
    parser.add_argument("--snapshot", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.contender:
        run_contender(args.contender, args.snapshot)
        return
    if not SAMPLE.is_file():
        raise SystemExit(f"needs the real sample at {SAMPLE}")
    with tempfile.TemporaryDirectory(prefix="snapshot-") as folder:
        snapshot = Path(folder) / "arxiv-metadata-oai-snapshot.json"
        build_snapshot(snapshot, args.gigabytes)
        megabytes = snapshot.stat().st_size / 1e6
        with snapshot.open("rb") as file:
            papers = sum(block.count(b"\n") for block in iter(lambda: file.read(1 << 24), b""))
        description = (
            f"A {megabytes:,.0f} MB snapshot-format file: {papers:,} papers, copies of the real "
            f"sample with fresh ids; load average {os.getloadavg()[1]:.1f} before the runs. "
            "Each contender runs in its own process."
        )
        print(description + "\n")
        results = {name: measure(name, snapshot) for name in CONTENDERS if name not in args.skip}
    baseline = results["pyarrow"][0] if "pyarrow" in results else None
    lines = [
        description,
        "",
        "| contender | seconds | MB/s | throughput vs pyarrow | peak RSS (GB) |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, (seconds, rss) in results.items():
        ratio = f"{baseline / seconds:.2f}x" if baseline else "n/a"
        lines.append(f"| {name} | {seconds:.1f} | {megabytes / seconds:.0f} | {ratio} | {rss:.2f} |")
    print("\n".join(lines[2:]))
    _figures.write("ingestion", "\n".join(lines), path=args.figures)


if __name__ == "__main__":
    main()
