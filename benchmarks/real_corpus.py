"""One command for the real-scale figures: the default ``kedro run`` measured pipeline by pipeline.

Runs every pipeline of the default ``kedro run`` (``predict`` aside) on a snapshot, each in
its own ``kedro run --pipelines NAME`` child process inside a work folder that holds a copy
of ``conf/base`` and the run's data, and prints markdown tables:

(a) wall time and peak RSS of each pipeline (the child and the processes it waited for,
    from ``os.wait4``) and in all; where ``/proc`` exists, also the peak of the anonymous
    memory of the child and its processes together (:func:`peak_anonymous_memory`), which
    leaves out the pages of memory-mapped files that RSS counts;
(b) the topic models on the test split: tuned BERTopic vs BERTopic defaults vs gensim LDA,
    mean ± std over ``evaluation.seeds``;
(c) the classifiers on the test split: tuned MLP vs TF-IDF + logistic regression vs the
    label prior (micro-F1, LRAP, P@1);
(d) the cost of one topic trial (the chosen trial's parameters: reduction, clustering,
    c-TF-IDF, coherence on the whole validation split) on the nested training subsets
    0.05 / 0.1 / 0.4 / 1.0, with its growth beside linear growth in documents.

The tables are also written to ``docs/figures/real_corpus.md`` (the docs' real-scale
figures) when the corpus is the default 118,180-paper snapshot read in full, or to the file
``--figures`` names; other corpora are printed only.

Resumable: rerunning with the same arguments skips the pipelines (and the trial costs)
the work folder records as done; a pipeline that is run again reuses the embeddings cache
and resumes its study (studies are never deleted). Delete the work folder to start over.
Each pipeline's log is ``<work folder>/logs/<pipeline>.log``.

Usage (from the repository root)::

    .venv/bin/python benchmarks/real_corpus.py                    # 118,180 papers: about 1 h on 2 cores
    .venv/bin/python benchmarks/real_corpus.py --snapshot ../shared/data/arxiv_sample_2007.jsonl
    .venv/bin/python benchmarks/real_corpus.py --limit 30000      # the first 30,000 papers
    .venv/bin/python benchmarks/real_corpus.py --demo             # the bundled synthetic corpus
    .venv/bin/python benchmarks/real_corpus.py --params topic_tuning.n_trials=30

The topic models are fitted on at most ``topic_tuning.final_max_papers`` training papers
(table (b) says how many). ``benchmarks/topic_cap.py`` compares a fit under a smaller cap
with one on all of train, in the work folder this benchmark leaves.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import _figures
from _project import REPO_ROOT, project_copy

SHARED_DATA = REPO_ROOT.parent / "shared" / "data"
DEFAULT_SNAPSHOT = SHARED_DATA / "arxiv_2025_2026.jsonl.gz"
#: The default pipelines in the order their inputs need (checked against the registry).
PIPELINES = (
    "ingestion",
    "embeddings",
    "topic_tuning",
    "classifier_tuning",
    "topic_views",
    "study_reports",
    "evaluation",
)
FRACTIONS = (0.05, 0.1, 0.4, 1.0)
STATE = "real_corpus.json"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--snapshot", type=Path, default=DEFAULT_SNAPSHOT, help="arXiv snapshot")
    source.add_argument("--demo", action="store_true", help="the demo corpus (demo=true)")
    parser.add_argument("--limit", type=int, help="only the first N papers (lines) of the snapshot")
    parser.add_argument("--params", default="", help="to every kedro run: 'key=value,key2=value2'")
    parser.add_argument("--workdir", type=Path, help="default: data/benchmarks/<corpus>")
    parser.add_argument("--fractions", type=float, nargs="+", default=FRACTIONS, help="for (d)")
    parser.add_argument(
        "--figures", type=Path,
        help="write the tables to this file too (default: docs/figures/real_corpus.md for the "
        "default snapshot in full, no file for other corpora)",
    )  # fmt: skip
    return parser.parse_args(argv)


def figures_file(args: argparse.Namespace) -> Path | None:
    """The docs' file of these tables: the real-scale figures are those of the default corpus."""
    if args.figures is not None:
        return args.figures
    full_default = not args.demo and args.limit is None and args.snapshot.resolve() == DEFAULT_SNAPSHOT.resolve()
    return _figures.FIGURES / "real_corpus.md" if full_default else None


def corpus_name(args: argparse.Namespace) -> str:
    name = "demo" if args.demo else args.snapshot.name.split(".")[0]
    return f"{name}_first{args.limit}" if args.limit else name


def first_lines(snapshot: Path, limit: int, folder: Path) -> Path:
    """The first ``limit`` lines of the snapshot as a plain JSON-lines file (written once)."""
    target = folder / f"{snapshot.name.split('.')[0]}_first{limit}.jsonl"
    if not target.is_file():
        opener = gzip.open if snapshot.suffix == ".gz" else open
        partial = target.with_suffix(".partial")
        with opener(snapshot, "rb") as source, partial.open("wb") as sink:
            for number, line in enumerate(source):
                if number == limit:
                    break
                sink.write(line)
        partial.rename(target)
    return target


def prepare(args: argparse.Namespace) -> tuple[Path, dict[str, Any], str]:
    """The work folder (created with a copy of the project's conf on first use), its state and --params."""
    workdir = (args.workdir or REPO_ROOT / "data" / "benchmarks" / corpus_name(args)).resolve()
    args.snapshot = args.snapshot.resolve()  # before entering the work folder
    if not args.demo and not args.snapshot.is_file():
        raise SystemExit(f"real_corpus: no snapshot at {args.snapshot}")
    inputs = {"snapshot": None if args.demo else str(args.snapshot), "limit": args.limit, "params": args.params}
    state = load(workdir)
    if state is None:
        state = {"inputs": inputs, "pipelines": {}, "trial_cost": {}}
    elif state["inputs"] != inputs:
        raise SystemExit(
            f"real_corpus: {workdir} holds a run of {state['inputs']}, not {inputs}: "
            "pass the same arguments, another --workdir, or delete that folder."
        )
    if (workdir / "conf").is_dir():
        from kedro.framework.startup import bootstrap_project

        os.chdir(workdir)
        bootstrap_project(workdir)
    else:
        workdir.mkdir(parents=True, exist_ok=True)
        project_copy("real-corpus-", workdir)  # enters it and bootstraps it
    save(workdir, state)
    if args.demo:
        runtime = "demo=true"
    else:
        snapshot = first_lines(args.snapshot, args.limit, workdir) if args.limit else args.snapshot
        runtime = f"snapshot_path={snapshot}"
    return workdir, state, ",".join(item for item in (runtime, args.params) if item)


def check_pipelines() -> None:
    """Fail if the registry's default pipelines are not those this benchmark runs."""
    from kedro.framework.project import pipelines

    from arxiv_pipeline.pipeline_registry import ON_DEMAND

    registered = set(pipelines) - ON_DEMAND - {"__default__"}
    if registered != set(PIPELINES):
        raise SystemExit(f"real_corpus: the default run has pipelines {sorted(registered)}, not {PIPELINES}")


def run_pipeline(
    name: str, params: str, workdir: Path, env: str | None = None, log_name: str | None = None
) -> dict[str, float]:
    """``kedro run --pipelines name [--env env]`` in a child process: wall seconds and peak RSS (MB).

    ``name`` may list several pipelines (``ingestion,embeddings``); the log is
    ``<workdir>/logs/<log_name or name>.log``.
    """
    log = workdir / "logs" / f"{log_name or name}.log"
    log.parent.mkdir(exist_ok=True)
    command = [sys.executable, "-m", "kedro", "run", "--pipelines", name, "--params", params]
    command += ["--env", env] if env else []
    # A wide console: Kedro's rich log would wrap at 80 columns in a file.
    env = {**os.environ, "KEDRO_DISABLE_TELEMETRY": "true", "DO_NOT_TRACK": "1", "COLUMNS": "160"}
    start = time.perf_counter()
    with log.open("w") as output:
        child = subprocess.Popen(command, cwd=workdir, stdout=output, stderr=subprocess.STDOUT, env=env)
        anonymous = AnonymousMemoryPeak(child.pid)
        # wait4 gives this child's own rusage: ru_maxrss is the peak of it and of the
        # processes it waited for (Optuna workers), in KiB on Linux.
        _, status, usage = os.wait4(child.pid, 0)
        anonymous.stop()
    seconds = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)
    if child.returncode != 0:
        tail = "".join(log.read_text().splitlines(keepends=True)[-30:])
        raise SystemExit(f"real_corpus: `{' '.join(command)}` failed ({child.returncode}); end of {log}:\n{tail}")
    measured = {"seconds": seconds, "peak_rss_mb": usage.ru_maxrss / 1024}
    return measured | ({"peak_anon_mb": anonymous.peak_mb} if anonymous.peak_mb else {})


class AnonymousMemoryPeak:
    """The peak anonymous memory of a process and its descendants together, sampled each
    second in a thread until :meth:`stop` (Linux ``/proc``; ``peak_mb`` stays 0 elsewhere).

    Peak RSS counts the pages of memory-mapped files (the embeddings and the texts) that
    a process has read, which the system reclaims when it needs memory; anonymous memory is
    what the processes hold. A sample a second misses shorter peaks.
    """

    def __init__(self, pid: int, interval: float = 1.0) -> None:
        self.pid, self.peak_mb = pid, 0.0
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._sample, args=(interval,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stopped.set()
        self._thread.join()

    def _sample(self, interval: float) -> None:
        while not self._stopped.wait(interval):
            self.peak_mb = max(self.peak_mb, sum(map(_anonymous_kib, _process_tree(self.pid))) / 1024)


def _process_tree(pid: int) -> list[int]:
    """``pid`` and its descendants (``/proc/<pid>/task/*/children``)."""
    tree, stack = [], [pid]
    while stack:
        current = stack.pop()
        tree.append(current)
        for task in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                stack += [int(child) for child in task.read_text().split()]
            except OSError:  # the task ended between listing and reading
                continue
    return tree


def _anonymous_kib(pid: int) -> int:
    """``RssAnon`` of a process in KiB (0 where it ended or ``/proc`` does not exist)."""
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in lines if line.startswith("RssAnon:")), 0)


def load(workdir: Path) -> dict[str, Any] | None:
    """The work folder's record (``real_corpus.json``), or None where it has none yet."""
    state_file = workdir / STATE
    return json.loads(state_file.read_text()) if state_file.is_file() else None


def save(workdir: Path, state: dict[str, Any]) -> None:
    (workdir / STATE).write_text(json.dumps(state, indent=2))


def trial_costs(workdir: Path, fractions: list[float], state: dict[str, Any]) -> None:
    """Table (d)'s measurements: one trial of the chosen parameters per training subset."""
    from kedro.framework.session import KedroSession
    from topic_trials import STAGES, TimedObjective, timings

    from arxiv_pipeline.topics.corpus import TopicCorpus
    from arxiv_pipeline.topics.model import coherence_reference
    from arxiv_pipeline.topics.reduction import ReductionCache

    todo = [f for f in fractions if str(f) not in state["trial_cost"]]
    if not todo:
        return
    with KedroSession.create(workdir) as session:
        context = session.load_context()
        catalog, settings = context.catalog, context.params["topic_tuning"]
        final = catalog.load("final_topic_metrics")
        texts = {split: catalog.load(f"{split}_texts") for split in ("train", "validation")}
        splits, embeddings = catalog.load("paper_splits"), {"train": catalog.load("train_embeddings")}
    params, seed = final["params"], final["seed"]
    validation = TopicCorpus(splits, {"validation": texts["validation"]}, {}, 1.0).documents("validation")
    scorer = coherence_reference(validation, "validation")

    def objective(fraction: float) -> TimedObjective:
        corpus = TopicCorpus(splits, {"train": texts["train"]}, embeddings, {"train": fraction})
        return TimedObjective(
            documents=corpus.documents("train"), scorer=scorer, held_out=None, space=settings.space,
            embeddings=corpus.vectors_by_model("train", [params["embedding_model"]]),
            config=settings.objective_config(), cache=ReductionCache(1),
        )

    # An untimed trial first: UMAP's numba kernels compile on first use (seconds).
    objective(min(todo)).fit_and_score(params, seed)
    for fraction in todo:
        trial = objective(fraction)
        timings.clear()
        trial.fit_and_score(params, seed)
        stages = dict(timings)
        stages["c-TF-IDF"] -= stages.get("clustering", 0.0)  # BERTopic's fit minus HDBSCAN's
        state["trial_cost"][str(fraction)] = {
            "documents": len(trial.documents),
            **{stage: stages.get(stage, 0.0) for stage in STAGES},
        }
        save(workdir, state)


def table(header: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    return "\n".join(lines + ["| " + " | ".join(row) + " |" for row in rows])


def report(workdir: Path, state: dict[str, Any], fresh: set[str], level: int = 3) -> str:
    """The four tables as markdown, under headings of ``level`` (3: ``###``)."""
    from kedro.framework.session import KedroSession

    from arxiv_pipeline.reporting.evaluation import CLASSIFIER_NAMES, topic_seed_table

    with KedroSession.create(workdir) as session:
        catalog = session.load_context().catalog
        metrics, final = catalog.load("evaluation_metrics"), catalog.load("final_topic_metrics")
    runs = state["pipelines"]
    sizes = metrics["data"]["papers_per_split"]
    total = sum(run["seconds"] for run in runs.values())
    peak = max(run["peak_rss_mb"] for run in runs.values())
    timing_rows = [
        [name, f"{run['seconds']:.0f}", f"{run['seconds'] / 60:.1f}", f"{run['peak_rss_mb'] / 1024:.2f}"]
        for name, run in runs.items()
    ] + [["**all**", f"**{total:.0f}**", f"**{total / 60:.1f}**", f"**{peak / 1024:.2f}**"]]
    earlier = [name for name in runs if name not in fresh]
    classifier_rows = [
        [CLASSIFIER_NAMES.get(name, name)]
        + [f"{values[column]:.3f}" for column in ("micro_f1", "lrap", "precision_at_1", "macro_f1")]
        for name, values in metrics["classifier"]["models"].items()
    ]
    costs = sorted(state["trial_cost"].items(), key=lambda item: float(item[0]))
    stages = [key for key in (costs[0][1] if costs else {}) if key != "documents"]
    cost_rows = []
    for fraction, cost in costs:
        seconds = sum(cost[stage] for stage in stages)
        base = costs[0][1]
        growth = seconds / sum(base[stage] for stage in stages) / (cost["documents"] / base["documents"])
        cost_rows.append(
            [fraction, str(cost["documents"])]
            + [f"{cost[stage]:.2f}" for stage in stages]
            + [f"{seconds:.2f}", f"{growth:.2f}"]
        )
    topics, inputs = metrics["topics"], state["inputs"]
    source = Path(inputs["snapshot"]).name if inputs["snapshot"] else "the synthetic demo corpus"
    heading = "#" * level
    return "\n\n".join([
        f"Corpus: {source}"
        + "".join(f", --{key} {inputs[key]}" for key in ("limit", "params") if inputs[key])
        + f". Papers per split: train {sizes['train']}, validation {sizes['validation']}, "
        f"test {sizes['test']}.",
        f"{heading} (a) Time and peak memory per pipeline",
        table(["pipeline", "wall s", "wall min", "peak RSS GB"], timing_rows)
        + (f"\n\nMeasured in an earlier run of the same command: {', '.join(earlier)}." if earlier else ""),
        f"{heading} (b) Topic models on the test split (mean ± std over seeds {topics['seeds']})",
        f"Final topic model: trial {final['trial']}, fitted on {final['fit_documents']} papers "
        f"(the nested subset {final['fit_size_fraction']} of train; final_max_papers "
        f"{final['final_max_papers']}), "
        f"validation c_npmi {final['validation']['c_npmi']:.3f}, {final['validation']['n_topics']} topics, "
        f"outlier share train {final['train_outlier_share']:.3f} / validation "
        f"{final['validation_outlier_share']:.3f} / test {final['test_outlier_share']:.3f}.",
        topic_seed_table(topics, ("test",)),
        f"{heading} (c) Classifiers on the test split (thresholds tuned on validation)",
        table(["model", "micro-F1", "LRAP", "P@1", "macro-F1"], classifier_rows),
        f"{heading} (d) Cost of one topic trial by training subset (seconds; the chosen trial's parameters)",
        "Coherence is scored on the whole validation split at every size. growth/linear: "
        "the trial's time relative to the smallest subset's, divided by the ratio of documents "
        "(1.00 = linear growth).",
        table(["size_fraction", "train documents", *stages, "total", "growth/linear"], cost_rows),
    ]) + "\n"


def main(argv: list[str] | None = None, level: int = 3) -> tuple[str, str]:
    """Run what is not done yet, print the tables and write them to the docs' file.

    Returns the tables (headings at ``level``) and the machine they were measured on.
    """
    args = parse_args(argv)
    figures = figures_file(args)
    workdir, state, params = prepare(args)
    check_pipelines()
    fresh = set()
    for name in PIPELINES:
        if name in state["pipelines"]:
            print(f"real_corpus: {name}: done in an earlier run, skipped", flush=True)
            continue
        print(f"real_corpus: {name}: running (log: {workdir / 'logs' / name}.log)", flush=True)
        state["pipelines"][name] = run_pipeline(name, params, workdir)
        state["machine"] = _figures.machine()
        fresh.add(name)
        save(workdir, state)
        print(f"real_corpus: {name}: {state['pipelines'][name]['seconds']:.0f} s", flush=True)
    print("real_corpus: timing one topic trial per training subset", flush=True)
    trial_costs(workdir, args.fractions, state)
    text = report(workdir, state, fresh, level)
    measured_on = state.get("machine") or _figures.machine()
    print(f"Measured on: {measured_on}.\nWork folder: {workdir}\n\n{text}")
    if figures is not None:
        _figures.write("real_corpus", text, measured_on=measured_on, path=figures)
    return text, measured_on


if __name__ == "__main__":
    main()
