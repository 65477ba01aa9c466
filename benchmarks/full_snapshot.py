"""The whole snapshot's cost: every default pipeline at growing corpus sizes, against linear.

For each size (default: the 118,180 real papers of ``../shared/data``, then 500,000,
1,000,000 and 2,500,000 papers grown from them by ``../shared/tools/scale_snapshot.py``;
a size below the source's takes its first papers),
runs every pipeline of the default ``kedro run`` in its own child process, under a Kedro
environment (default ``snapshot_cpu``, the CPU-only profile for the whole snapshot), in a
work folder per size, and prints per pipeline and size:

- wall time and peak RSS (the child and the processes it waited for, ``os.wait4``), and
  the peak anonymous memory of the child and its processes together, which leaves out the
  pages of memory-mapped files that RSS counts (``real_corpus.AnonymousMemoryPeak``; a
  dash for runs measured before it was);
- growth against linear: the pipeline's seconds per paper at that size divided by its
  seconds per paper at the smallest size (1.00 = linear; the goal is at most 1.2).

Then it checks what each run left: every paper of every split has a fine and a coarse topic,
the evaluation report, the topic views and the studies exist. The table is written to
``docs/figures/full_snapshot.md`` (or ``--figures``) with the machine it ran on.

Grown corpora are for cost and memory only: their abstracts mix sentences of two real papers,
so no quality figure is read from them (the real-corpus benchmark has those).

Resumable: the grown snapshots are written once; rerunning with the same arguments skips
the pipelines each work folder records as done (see ``real_corpus.py``). Each pipeline's log
is ``<work root>/<size>/logs/<pipeline>.log``. ``--report-only`` writes the table of what the
work folders hold so far, running nothing (a run still going is left as it is).

Usage (from the repository root)::

    .venv/bin/python benchmarks/full_snapshot.py                       # 118k .. 2.5M: hours
    .venv/bin/python benchmarks/full_snapshot.py --sizes 118180 500000
    .venv/bin/python benchmarks/full_snapshot.py --env base --sizes 30000 118180
    .venv/bin/python benchmarks/full_snapshot.py --sizes 2500000 --report-only
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path
from typing import Any

import _figures
import numpy as np
import real_corpus
from _project import REPO_ROOT

SCALE_TOOL = REPO_ROOT.parent / "shared" / "tools" / "scale_snapshot.py"
SIZES = (118_180, 500_000, 1_000_000, 2_500_000)
#: Datasets a complete run leaves, by catalog name, beside the topic of every paper.
COMPLETE_OUTPUTS = (
    "evaluation_report",
    "topic_atlas",
    "topics_over_time_figure",
    "document_map_by_archive",
    "topic_study",
    "classifier_study",
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--source", type=Path, default=real_corpus.DEFAULT_SNAPSHOT, help="real papers"
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=SIZES, help="papers per corpus")
    parser.add_argument("--env", default="snapshot_cpu", help="Kedro environment of every run")
    parser.add_argument("--params", default="", help="to every kedro run: 'key=value,key2=value2'")
    parser.add_argument(
        "--workroot", type=Path, default=REPO_ROOT / "data" / "benchmarks" / "full_snapshot",
        help="a work folder per size and the grown snapshots",
    )  # fmt: skip
    parser.add_argument("--figures", type=Path, help="default: docs/figures/full_snapshot.md")
    parser.add_argument(
        "--report-only", action="store_true",
        help="write the table of the pipelines the work folders hold, running nothing",
    )  # fmt: skip
    return parser.parse_args(argv)


def snapshot_of(size: int, source: Path, workroot: Path) -> Path:
    """A snapshot of ``size`` papers: the real ones first, then grown ones (written once)."""
    target = workroot / f"snapshot_{size}.jsonl.gz"
    if not target.is_file():
        partial = target.with_name(target.name + ".partial.gz")
        print(f"full_snapshot: growing {source.name} to {size:,} papers ({target})", flush=True)
        subprocess.run(
            [sys.executable, str(SCALE_TOOL), str(source), "--n", str(size), "-o", str(partial)],
            check=True,
        )
        partial.rename(target)
    return target


def run_size(size: int, args: argparse.Namespace) -> dict[str, Any]:
    """Every pipeline at ``size`` papers (those not done yet), then the completeness checks."""
    snapshot = snapshot_of(size, args.source, args.workroot)
    argv = ["--snapshot", str(snapshot), "--workdir", str(args.workroot / str(size))]
    workdir, state, params = real_corpus.prepare(
        real_corpus.parse_args(argv + ["--params", args.params])
    )
    for name in real_corpus.PIPELINES:
        if name in state["pipelines"]:
            continue
        print(
            f"full_snapshot: {size:,} papers: {name} (log: {workdir / 'logs' / name}.log)",
            flush=True,
        )
        state["pipelines"][name] = real_corpus.run_pipeline(name, params, workdir, env=args.env)
        state["machine"] = _figures.machine()
        real_corpus.save(workdir, state)
    state["complete"] = completeness(workdir, args.env)
    real_corpus.save(workdir, state)
    return state


def completeness(workdir: Path, env: str) -> dict[str, Any]:
    """Papers without a topic at either level, and the complete outputs missing, of a run."""
    from kedro.framework.session import KedroSession

    with KedroSession.create(workdir, env=env) as session:
        catalog = session.load_context().catalog
        splits = catalog.load("paper_splits")
        assignments = catalog.load("topic_assignments")
        missing = [name for name in COMPLETE_OUTPUTS if not catalog.exists(name)]
    assigned = assignments.dropna(subset=["topic", "coarse_topic"])
    return {
        "papers": len(splits),
        "without_topic": len(splits) - int(splits["id"].isin(assigned["id"]).sum()),
        "missing_outputs": missing,
    }


def report(states: dict[int, dict[str, Any]]) -> str:
    """Wall time, peak RSS and growth against linear, per pipeline and size, as markdown."""
    sizes = sorted(states)
    smallest = sizes[0]
    header = ["pipeline"] + [f"{size:,}: min / GB / anon GB / growth" for size in sizes]
    rows = []
    for name in (*real_corpus.PIPELINES, "all"):
        cells = [name if name != "all" else "**all**"]
        for size in sizes:
            run, base = _run(states[size], name), _run(states[smallest], name)
            if run is None or base is None:
                cells.append("—")
                continue
            # One size alone has nothing to grow from.
            growth = f"{(run['seconds'] / base['seconds']) / (size / smallest):.2f}" if len(sizes) > 1 else "—"
            anonymous = f"{run['peak_anon_mb'] / 1024:.1f}" if run.get("peak_anon_mb") else "—"
            cells.append(f"{run['seconds'] / 60:.1f} / {run['peak_rss_mb'] / 1024:.1f} / {anonymous} / {growth}")
        rows.append(cells)
    checks = [f"{size:,} papers: {_completeness_line(states[size])}" for size in sizes]
    return "\n\n".join([
        "Per pipeline and corpus size: wall minutes / peak RSS GB / peak anonymous memory GB "
        "(all its processes together; — where not measured) / growth against linear "
        f"(seconds per paper relative to {smallest:,} papers; 1.00 = linear; — for one size alone).",
        real_corpus.table(header, rows),
        "Completeness: " + "; ".join(checks) + ".",
        *projection(states, max(SIZES)),
    ]) + "\n"  # fmt: skip


def projection(states: dict[int, dict[str, Any]], target: int) -> list[str]:
    """Each pipeline's cost at ``target`` papers on a line through the measured sizes.

    A least-squares line (a fixed cost plus a cost per paper) through every measured size,
    for wall time and for peak RSS; empty until two sizes below ``target`` are measured.
    A forecast, not a measurement: costs that grow faster than linearly beyond the largest
    measured size are missed.
    """
    sizes = sorted(size for size in states if size < target and _run(states[size], "all"))
    if len(sizes) < 2:
        return []
    rows = []
    for name in (*real_corpus.PIPELINES, "all"):
        runs = [_run(states[size], name) for size in sizes]
        time_line = np.polyfit(sizes, [run["seconds"] for run in runs], 1)
        peak = np.polyval(np.polyfit(sizes, [run["peak_rss_mb"] for run in runs], 1), target)
        rows.append([
            name if name != "all" else "**all** (peak: the largest pipeline's)",
            f"{time_line[0] * 1000:.2f}",
            f"{np.polyval(time_line, target) / 60:.0f}",
            f"{peak / 1024:.1f}",
        ])  # fmt: skip
    return [
        f"Projected to {target:,} papers, not measured: per pipeline, a line (fixed cost plus "
        f"cost per paper) fitted through the {len(sizes)} measured sizes "
        f"({', '.join(f'{size:,}' for size in sizes)}), for wall time and for peak RSS.",
        real_corpus.table(
            ["pipeline", "seconds per 1,000 more papers", f"minutes at {target:,}", f"peak RSS GB at {target:,}"],
            rows,
        ),
    ]


def _completeness_line(state: dict[str, Any]) -> str:
    """What a size's completeness checks found, or which pipelines it has not run yet."""
    if "complete" not in state:
        missing = [name for name in real_corpus.PIPELINES if name not in state["pipelines"]]
        return f"not checked: {', '.join(missing)} not run yet"
    complete = state["complete"]
    outputs = (
        f"missing {', '.join(complete['missing_outputs'])}"
        if complete["missing_outputs"] else "every complete output present"
    )  # fmt: skip
    return f"{complete['without_topic']} without a topic; {outputs}"


def _run(state: dict[str, Any], name: str) -> dict[str, float] | None:
    """One pipeline's measurement, or the whole run's (``all``: summed time, largest peak)."""
    runs = state["pipelines"]
    if name != "all":
        return runs.get(name)
    if set(runs) != set(real_corpus.PIPELINES):
        return None
    anonymous = [run.get("peak_anon_mb") for run in runs.values()]
    return {
        "seconds": sum(run["seconds"] for run in runs.values()),
        "peak_rss_mb": max(run["peak_rss_mb"] for run in runs.values()),
        **({"peak_anon_mb": max(anonymous)} if all(anonymous) else {}),
    }


def main(argv: list[str] | None = None) -> str:
    args = parse_args(argv)
    # Absolute before any work folder is entered.
    args.source, args.workroot = args.source.resolve(), args.workroot.resolve()
    args.workroot.mkdir(parents=True, exist_ok=True)
    if args.report_only:
        found = {size: real_corpus.load(args.workroot / str(size)) for size in sorted(args.sizes)}
        states = {size: state for size, state in found.items() if state is not None}
        if not states:
            raise SystemExit(f"full_snapshot: no measured size in {args.workroot}")
    else:
        states = {size: run_size(size, args) for size in sorted(args.sizes)}
    text = report(states)
    measured_on = next(iter(states.values())).get("machine") or _figures.machine()
    print(f"Measured on: {measured_on}.\n\n{text}")
    _figures.write(
        "full_snapshot", text, measured_on=measured_on,
        path=args.figures,
    )  # fmt: skip
    return text


if __name__ == "__main__":
    main()
