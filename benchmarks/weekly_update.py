"""A weekly update measured against the first run: its wall time, and what it leaves unchanged.

In a work folder that ``real_corpus.py`` or ``full_snapshot.py`` left after a complete first
run (``real_corpus.json`` there records each pipeline's wall seconds and the snapshot), it

1. prepares, untimed: copies the project's current ``conf`` environments over the folder's
   (a folder made by an earlier version lacks the catalog entries of the per-paper cache),
   runs the ``embeddings`` pipeline once on the same snapshot (a folder made before the
   per-paper cache has its split matrices moved into the cache; a no-op for a newer one),
   and records ``paper_splits``, ``topic_assignments``, ``topic_shares_over_time``, each
   split's text hashes and each model's split matrices under ``<work folder>/weekly_update/before``;
2. grows the snapshot ``--grow`` (1%) with ``../shared/tools/scale_snapshot.py`` on the
   source the snapshot was grown from (``--source``, by default the 118,180 real papers for
   ``full_snapshot.py``'s ``snapshot_<n>.jsonl.gz`` and else the snapshot itself; ``--n`` =
   round(N × 1.01), N the snapshot's papers):
   its first records are the snapshot's, which is verified record by record (the tool writes
   each record again with ``json.dumps``, so lines are compared as JSON records, not bytes);
   then gives ``--revise`` (0.3%) of the first run's papers, chosen by a hash of their id, a
   new version whose abstract has a sentence appended (the tool's own revisions repeat a
   paper's text, which leaves it unchanged);
3. times the documented weekly update in a child process (wall time and peak RSS, as
   ``real_corpus.py`` measures a pipeline)::

       kedro run --pipelines ingestion,embeddings,topic_update,topic_views \\
           --params snapshot_path=<grown>,embeddings.tfidf_svd_refit=false [--env ...]

4. checks, one table row each: the update's wall time is at most 5% of the first run's
   (the sum of its pipelines' seconds in ``real_corpus.json``); each model encoded exactly the
   distinct texts of the new and revised papers that the first run lacked (the embeddings
   log's ``<model>/<split>: N texts encoded`` lines); every paper of the first run keeps its
   split and nested size; the unchanged papers' vectors are bitwise the same and their fine
   and coarse topics too; every paper has a topic;
   a month that now has ``topic_views.min_month_papers`` papers appears in the topics over time.

The table is written to ``docs/figures/weekly_update.md`` (or ``--figures``). The update
replaces the folder's outputs with the grown snapshot's: the folder is left as a weekly
update leaves a user's project.

Resumable: ``<work folder>/weekly_update.json`` records each step done; a rerun skips them
(a grown snapshot is written once) and checks again. An update interrupted part way is run
again on the next call, and the table says so (its time is then not a first attempt's). The
update's log is ``<work folder>/logs/weekly_update.log``.

Usage (from the repository root)::

    .venv/bin/python benchmarks/weekly_update.py --workdir data/benchmarks/arxiv_2025_2026
    .venv/bin/python benchmarks/weekly_update.py --workdir data/benchmarks/full_snapshot/118180 --env snapshot_cpu
    .venv/bin/python benchmarks/weekly_update.py --workdir <folder> --source ../shared/data/arxiv_sample_2007.jsonl
"""

from __future__ import annotations

import argparse
import filecmp
import gzip
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import _figures
import numpy as np
import pandas as pd
import real_corpus
from _project import REPO_ROOT
from full_snapshot import SCALE_TOOL
from kedro.framework.startup import bootstrap_project

STATE = "weekly_update.json"
RECORD = "weekly_update"
UPDATE_PIPELINES = "ingestion,embeddings,topic_update,topic_views"
#: The goal: the update costs at most this share of the first run's wall time.
MAX_WALL_SHARE = 0.05
SPLITS = ("train", "validation", "test")
#: full_snapshot.py's grown snapshots, grown from the 118,180 real papers by default.
FULL_SNAPSHOT_GROWN = re.compile(r"snapshot_\d+\.jsonl\.gz")
#: The embeddings pipeline's line per model and split (encoding.py).
ENCODED_LINE = re.compile(r"(\S+)/(train|validation|test): (\d+) texts encoded")
#: What a revision adds to an abstract, and the date of its new version.
REVISION_SENTENCE = (
    "In this version we correct an error in the main proof and extend the discussion."
)
REVISION_DATE = "Mon, 1 Dec 2026 00:00:00 GMT"
#: Rows of the split matrices compared at a time.
COMPARE_ROWS = 65_536


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--workdir", type=Path, required=True, help="a completed first run's folder"
    )
    parser.add_argument("--env", help="Kedro environment of the first run (e.g. snapshot_cpu)")
    parser.add_argument(
        "--grow", type=float, default=0.01, help="new papers, as a share of the snapshot's"
    )
    parser.add_argument(
        "--revise", type=float, default=0.003,
        help="papers of the first run given a revised abstract, as a share of them "
        "(scale_snapshot.py's own revisions repeat the text: they are unchanged papers)",
    )  # fmt: skip
    parser.add_argument(
        "--source", type=Path,
        help="the real papers the snapshot was grown from (default: ../shared/data/"
        "arxiv_2025_2026.jsonl.gz for full_snapshot.py's snapshot_<n>.jsonl.gz, else the snapshot)",
    )  # fmt: skip
    parser.add_argument("--figures", type=Path, help="default: docs/figures/weekly_update.md")
    return parser.parse_args(argv)


def first_run(workdir: Path) -> dict[str, Any]:
    """The first run's record (``real_corpus.json``), refused unless every pipeline completed."""
    path = workdir / real_corpus.STATE
    state = real_corpus.load(workdir)
    if state is None:
        raise SystemExit(
            f"weekly_update: no {path}: pass a folder left by real_corpus.py or full_snapshot.py."
        )
    missing = [name for name in real_corpus.PIPELINES if name not in state["pipelines"]]
    if missing or state["inputs"]["snapshot"] is None:
        raise SystemExit(
            f"weekly_update: {path} records no complete first run on a snapshot "
            f"(missing: {', '.join(missing) or 'none'}; snapshot: {state['inputs']['snapshot']})."
        )
    return state


def first_snapshot(inputs: dict[str, Any], workdir: Path) -> Path:
    """The snapshot file the first run read (its first lines when it ran with ``--limit``)."""
    snapshot = Path(inputs["snapshot"])
    return (
        real_corpus.first_lines(snapshot, inputs["limit"], workdir) if inputs["limit"] else snapshot
    )


def grow_source(inputs: dict[str, Any], override: Path | None) -> Path:
    """The real papers the first run's snapshot was grown from (or taken the first lines of)."""
    if override is not None:
        return override.resolve()
    snapshot = Path(inputs["snapshot"])
    return (
        real_corpus.DEFAULT_SNAPSHOT if FULL_SNAPSHOT_GROWN.fullmatch(snapshot.name) else snapshot
    )


def refresh_conf(workdir: Path) -> list[str]:
    """Copy the project's ``conf`` (its environments, not ``local``) over the folder's.

    Returns the files that were missing or differed.
    """
    replaced = []
    conf = REPO_ROOT / "conf"
    for source in sorted(conf.rglob("*")):
        relative = source.relative_to(conf)
        if not source.is_file() or relative.parts[0] == "local":
            continue
        target = workdir / "conf" / relative
        if not target.is_file() or not filecmp.cmp(source, target, shallow=False):
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy(source, target)
            replaced.append(str(relative))
    return replaced


def load(workdir: Path, env: str | None, names: list[str]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Catalog datasets of the work folder by name, and its parameters."""
    from kedro.framework.session import KedroSession

    with KedroSession.create(workdir, env=env) as session:
        context = session.load_context()
        return {name: context.catalog.load(name) for name in names}, context.params


def text_hashes_of(texts: Any) -> pd.DataFrame:
    """``id`` and ``text_hash`` of one split's texts (a ``SplitTexts``)."""
    from arxiv_pipeline.text.templates import text_hashes

    return pd.DataFrame({"id": texts.ids.to_pandas(), "text_hash": text_hashes(texts.texts)})


def record_before(workdir: Path, env: str | None) -> list[str]:
    """Write what the checks compare the update against under ``weekly_update/before``.

    Returns the embedding models recorded.
    """
    before = workdir / RECORD / "before"
    before.mkdir(parents=True, exist_ok=True)
    tables = ["paper_splits", "topic_assignments", "topic_shares_over_time"]
    data, _ = load(
        workdir,
        env,
        tables + [f"{split}_texts" for split in SPLITS] + [f"{s}_embeddings" for s in SPLITS],
    )
    for name in tables:
        data[name].to_parquet(before / f"{name}.parquet")
    models = set()
    for split in SPLITS:
        text_hashes_of(data[f"{split}_texts"]).to_parquet(before / f"{split}.hashes.parquet")
        for model, embeddings in data[f"{split}_embeddings"].items():
            pd.DataFrame({"id": embeddings.ids}).to_parquet(before / f"{model}.{split}.ids.parquet")
            np.save(before / f"{model}.{split}.npy", embeddings.vectors)
            models.add(model)
    return sorted(models)


def prepare(
    workdir: Path, snapshot: Path, params: str, env: str | None
) -> tuple[dict[str, Any], list[str]]:
    """The untimed preparation: the current conf, the embeddings run once on the first
    snapshot (its vectors moved into the per-paper cache) and the record of the first run.

    Returns the preparation's measurement (wall seconds, peak RSS, conf files replaced,
    texts encoded per model) and the embedding models recorded.
    """
    replaced = refresh_conf(workdir)
    print(
        f"weekly_update: preparing: embeddings on {snapshot.name} "
        f"(log: {workdir}/logs/weekly_prepare.log)",
        flush=True,
    )
    run = real_corpus.run_pipeline(
        "embeddings",
        f"snapshot_path={snapshot},{params}",
        workdir,
        env=env,
        log_name="weekly_prepare",
    )
    encoded = encoded_per_model(workdir / "logs" / "weekly_prepare.log")
    return {**run, "conf_replaced": replaced, "encoded": encoded}, record_before(workdir, env)


def records(path: Path) -> Iterator[dict[str, Any]]:
    """The JSON records of a snapshot file (``.gz`` or plain), blank lines skipped."""
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                yield json.loads(line)


def count_papers(snapshot: Path) -> tuple[int, int]:
    """Records and papers of a snapshot: a record with the id of the one before it is a
    revision that scale_snapshot.py writes on top of ``--n``."""
    count, revisions, previous = 0, 0, None
    for record in records(snapshot):
        count += 1
        revisions += record["id"] == previous
        previous = record["id"]
    return count, count - revisions


def grow(snapshot: Path, source: Path, share: float, folder: Path) -> dict[str, Any]:
    """The snapshot grown by ``share`` new papers (written once), its first records verified.

    Raises SystemExit if the grown file's first records are not the snapshot's: then
    ``source`` is not what the snapshot was grown from.
    """
    count, papers = count_papers(snapshot)
    target_papers = round(papers * (1 + share))
    if target_papers <= papers:
        raise SystemExit(f"weekly_update: --grow {share} adds no paper to {papers} papers.")
    target = folder / f"snapshot_{target_papers}.jsonl.gz"
    if not target.is_file():
        partial = target.with_name(target.name + ".partial.gz")
        print(
            f"weekly_update: growing {source.name} to {target_papers:,} papers ({target})",
            flush=True,
        )
        command = [
            sys.executable,
            str(SCALE_TOOL),
            str(source),
            "--n",
            str(target_papers),
            "-o",
            str(partial),
        ]
        subprocess.run(command, check=True)
        for number, (old, new) in enumerate(
            zip(records(snapshot), records(partial), strict=False), 1
        ):
            if old != new:
                partial.unlink()
                raise SystemExit(
                    f"weekly_update: record {number} of {snapshot} is not record {number} of "
                    f"{source} grown to {target_papers:,} papers (id {old['id']} against {new['id']}): "
                    "the snapshot was not grown from that source; name it with --source."
                )
        partial.rename(target)
    return {
        "source": str(source),
        "path": str(target),
        "records_before": count,
        "papers_before": papers,
        "papers": target_papers,
    }


def is_revised(paper_id: str, share: float) -> bool:
    """Whether the paper is among the ``share`` revised, by a hash of its id alone."""
    digest = hashlib.blake2b(paper_id.encode(), digest_size=8, key=b"weekly_update").digest()
    return int.from_bytes(digest, "big") < share * 2**64


def revise(grown: dict[str, Any], share: float, folder: Path) -> dict[str, Any]:
    """The grown snapshot with a new version of ``share`` of the first run's papers.

    A revised paper's line gets a sentence appended to its abstract and a version entry, as
    arXiv's next snapshot carries a paper's latest version on its one line.
    """
    source = Path(grown["path"])
    target = folder / source.name.replace(".jsonl.gz", f"_revised{share:g}.jsonl.gz")
    partial = target.with_name(target.name + ".partial.gz")
    revised = 0
    with gzip.open(partial, "wt", encoding="utf-8") as sink:
        for number, record in enumerate(records(source)):
            if number < grown["records_before"] and is_revised(record["id"], share):
                record["abstract"] = record["abstract"].rstrip() + f" {REVISION_SENTENCE}\n"
                versions = record.get("versions") or []
                version = {"version": f"v{len(versions) + 1}", "created": REVISION_DATE}
                record["versions"] = [*versions, version]
                revised += 1
            sink.write(json.dumps(record) + "\n")
    partial.rename(target)
    return {**grown, "path": str(target), "grown_path": grown["path"], "revised": revised}


def encoded_per_model(log: Path) -> dict[str, int]:
    """Texts each model encoded, summed over splits, from the embeddings log lines."""
    encoded: dict[str, int] = defaultdict(int)
    for model, _, count in ENCODED_LINE.findall(log.read_text()):
        encoded[model] += int(count)
    return dict(encoded)


def paper_changes(before: Path, after: dict[str, Any]) -> tuple[pd.DataFrame, dict[str, int]]:
    """Every paper before and after with its text hash in each; counts of new, revised,
    unchanged and dropped papers."""
    old = pd.concat([pd.read_parquet(before / f"{split}.hashes.parquet") for split in SPLITS])
    new = pd.concat([text_hashes_of(after[f"{split}_texts"]) for split in SPLITS])
    # Nullable integers: the outer merge would otherwise fill the papers missing on one side
    # with NaN and turn the 64-bit hashes into floats, which round away their low bits.
    old, new = (hashes.astype({"text_hash": "UInt64"}) for hashes in (old, new))
    papers = old.merge(new, on="id", how="outer", suffixes=("_before", "_after"), indicator=True)
    both = papers["_merge"] == "both"
    papers["unchanged"] = both & (papers["text_hash_before"] == papers["text_hash_after"])
    added, revised = papers["_merge"] == "right_only", both & ~papers["unchanged"]
    counts = {
        "new": int(added.sum()),
        "revised": int(revised.sum()),
        "unchanged": int(papers["unchanged"].sum()),
        "dropped": int((papers["_merge"] == "left_only").sum()),
        # What the cache lacks: a text that a paper of the first run had is taken from the
        # cache, and one text shared by several new papers is encoded once (grown
        # abstracts can repeat one).
        "unseen_texts": papers.loc[added | revised, "text_hash_after"]
        .loc[lambda hashes: ~hashes.isin(old["text_hash"])]
        .nunique(),
    }
    return papers, counts


def differing_vectors(
    before: Path, after: dict[str, Any], unchanged: pd.Index, models: list[str]
) -> dict[str, int]:
    """Per model, the unchanged papers whose vector is not bitwise the one recorded before
    (a paper missing from a matrix after the update counts as differing)."""
    differing = {}
    for model in models:
        count = 0
        for split in SPLITS:
            ids = pd.read_parquet(before / f"{model}.{split}.ids.parquet")["id"]
            old_vectors = np.load(before / f"{model}.{split}.npy", mmap_mode="r")
            new = after[f"{split}_embeddings"][model]
            old_rows = np.flatnonzero(ids.isin(unchanged).to_numpy())
            new_rows = pd.Index(new.ids).get_indexer(ids.to_numpy()[old_rows])
            count += int((new_rows < 0).sum())
            old_rows, new_rows = old_rows[new_rows >= 0], new_rows[new_rows >= 0]
            for start in range(0, len(old_rows), COMPARE_ROWS):
                # As integers: bitwise, and a NaN equals itself.
                old_bits = old_vectors[old_rows[start : start + COMPARE_ROWS]].view(np.uint32)
                new_bits = np.asarray(new.vectors[new_rows[start : start + COMPARE_ROWS]]).view(
                    np.uint32
                )
                count += int((old_bits != new_bits).any(axis=1).sum())
        differing[model] = count
    return differing


def new_months(
    before: Path, after: dict[str, Any], min_month_papers: int
) -> tuple[list[str], list[str]]:
    """Months with ``min_month_papers`` assigned papers after the update that the topics over
    time lacked before, and those of them the topics over time now show."""
    from arxiv_pipeline.topics.views import paper_months

    table = after["papers"].read(columns=["id", "update_date"]).to_pandas()
    table = table[table["id"].isin(after["topic_assignments"]["id"])]
    per_month = paper_months(table["id"], table["update_date"]).value_counts()
    shown_before = set(pd.read_parquet(before / "topic_shares_over_time.parquet")["month"])
    expected = sorted(
        m for m in per_month[per_month >= min_month_papers].index if m not in shown_before
    )
    shown = set(after["topic_shares_over_time"]["month"])
    return [f"{m:%Y-%m}" for m in expected], [f"{m:%Y-%m}" for m in expected if m in shown]


def check(
    workdir: Path, env: str | None, state: dict[str, Any], first_seconds: float
) -> list[list[str]]:
    """The table's rows: check, measured, goal, pass/fail."""
    before = workdir / RECORD / "before"
    names = ["paper_splits", "topic_assignments", "topic_shares_over_time", "papers"]
    names += [f"{split}_{kind}" for split in SPLITS for kind in ("texts", "embeddings")]
    after, params = load(workdir, env, names)
    papers, counts = paper_changes(before, after)
    unchanged = pd.Index(papers.loc[papers["unchanged"], "id"])
    placed = counts["new"] + counts["revised"]
    rows = []

    def row(name: str, measured: str, goal: str, passed: bool) -> None:
        rows.append([name, measured, goal, "pass" if passed else "**fail**"])

    seconds = state["update"]["seconds"]
    row("update wall time", f"{seconds:.0f} s = {seconds / first_seconds:.1%} of {first_seconds:.0f} s",
        f"≤ {MAX_WALL_SHARE:.0%}", seconds <= MAX_WALL_SHARE * first_seconds)  # fmt: skip
    encoded = encoded_per_model(workdir / "logs" / "weekly_update.log")
    for model in state["models"]:
        texts = encoded.get(model, 0)
        row(
            f"texts encoded by {model}",
            f"{texts:,}",
            f"{counts['unseen_texts']:,} (the texts of the {placed:,} new and revised papers "
            "that the first run lacked)",
            texts == counts["unseen_texts"],
        )
    splits = pd.read_parquet(before / "paper_splits.parquet").merge(
        after["paper_splits"], on="id", how="left", suffixes=("_before", "_after")
    )
    moved = ~(
        (splits["split_before"] == splits["split_after"])
        & (splits["size_fraction_before"] == splits["size_fraction_after"])
    )
    row(
        "papers of the first run with another split or nested size (or gone)",
        f"{int(moved.sum()):,} of {len(splits):,}",
        "0",
        not moved.any(),
    )
    for model, count in differing_vectors(before, after, unchanged, state["models"]).items():
        row(
            f"unchanged papers whose {model} vector differs",
            f"{count:,} of {len(unchanged):,}",
            "0 (bitwise)",
            count == 0,
        )
    topics = pd.read_parquet(before / "topic_assignments.parquet").merge(
        after["topic_assignments"], on="id", how="inner", suffixes=("_before", "_after")
    )
    topics = topics[topics["id"].isin(unchanged)]
    for level in ("topic", "coarse_topic"):
        changed = int((topics[f"{level}_before"] != topics[f"{level}_after"]).sum())
        row(
            f"unchanged papers with another {level.replace('_', ' ')}",
            f"{changed:,} of {len(topics):,}",
            "0",
            changed == 0 and len(topics) == len(unchanged),
        )
    assigned = after["topic_assignments"].dropna(subset=["topic", "coarse_topic"])
    without = len(after["paper_splits"]) - int(
        after["paper_splits"]["id"].isin(assigned["id"]).sum()
    )
    row(
        "papers without a fine and a coarse topic",
        f"{without:,} of {len(after['paper_splits']):,}",
        "0",
        without == 0,
    )
    expected, shown = new_months(before, after, params["topic_views"].min_month_papers)
    row("new months in the topics over time", ", ".join(shown) or "none",
        ", ".join(expected) or "none expected", shown == expected)  # fmt: skip
    state["papers"] = counts
    return rows


def report(state: dict[str, Any], first: dict[str, Any], rows: list[list[str]]) -> str:
    """The preamble and the checks' table, as markdown."""
    grown, update, prepare = state["grown"], state["update"], state["prepare"]
    counts, first_seconds = (
        state["papers"],
        sum(run["seconds"] for run in first["pipelines"].values()),
    )
    attempts = update.get("attempts", 1)
    conf = ", ".join(prepare["conf_replaced"]) or "none"
    return "\n\n".join([
        f"First run: {grown['papers_before']:,} papers ({Path(first['inputs']['snapshot']).name}), "
        f"{first_seconds:.0f} s in all (the sum of its pipelines in `real_corpus.json`), "
        f"environment {state['env'] or 'base'}. Grown {state['grow']:.0%} with `scale_snapshot.py` on "
        f"{Path(grown['source']).name} to {grown['papers']:,} papers"
        + (f", {grown['revised']:,} of the first run's papers ({state['revise']:.1%}) given a new version "
           "with a sentence appended to the abstract" if grown.get("revised") else "")
        + f": {counts['new']:,} new, "
        f"{counts['revised']:,} revised, {counts['unchanged']:,} unchanged, {counts['dropped']:,} dropped.",
        f"Preparation (untimed in the checks): the project's conf copied over the folder's "
        f"(files replaced: {conf}); the embeddings pipeline run on the first snapshot in "
        f"{prepare['seconds']:.0f} s, texts encoded: "
        + (", ".join(f"{model} {n:,}" for model, n in prepare["encoded"].items()) or "none")
        + " (0: the vectors were in the cache, or moved into it from the first run's matrices).",
        f"The update, `kedro run --pipelines {UPDATE_PIPELINES}` with `embeddings.tfidf_svd_refit=false`: "
        f"{update['seconds']:.0f} s, peak RSS {update['peak_rss_mb'] / 1024:.2f} GB"
        + (f" ({attempts} attempts: the last one's time)" if attempts > 1 else "") + ".",
        real_corpus.table(["check", "measured", "goal", "result"], rows),
    ]) + "\n"  # fmt: skip


def main(argv: list[str] | None = None) -> str:
    args = parse_args(argv)
    workdir = args.workdir.resolve()
    first = first_run(workdir)
    source = grow_source(first["inputs"], args.source)  # before entering the work folder
    os.chdir(workdir)
    bootstrap_project(workdir)
    snapshot = first_snapshot(first["inputs"], workdir)
    first_seconds = sum(run["seconds"] for run in first["pipelines"].values())
    state_file = workdir / STATE
    inputs = {"env": args.env, "grow": args.grow, "revise": args.revise}
    state = json.loads(state_file.read_text()) if state_file.is_file() else dict(inputs)
    if any(state.get(key, 0.0) != value for key, value in inputs.items()):
        held = {key: state.get(key, 0.0) for key in inputs}
        raise SystemExit(
            f"weekly_update: {workdir} holds an update with {held}, not {inputs}: pass the same "
            "arguments, or run it on another copy of the first run."
        )

    def save() -> None:
        state_file.write_text(json.dumps(state, indent=2))

    # The first run's --params too: they may set the embeddings' settings, the cache's key.
    params = ",".join(
        item for item in (first["inputs"]["params"], "embeddings.tfidf_svd_refit=false") if item
    )
    if "prepare" not in state:
        state["prepare"], state["models"] = prepare(workdir, snapshot, params, args.env)
        save()
    if "grown" not in state:
        grown = grow(snapshot, source, args.grow, workdir / RECORD)
        state["grown"] = revise(grown, args.revise, workdir / RECORD) if args.revise else grown
        save()
    elif state["grown"]["source"] != str(source):
        raise SystemExit(
            f"weekly_update: {workdir} holds a snapshot grown from {state['grown']['source']}, "
            f"not {source}: pass that --source, or run it on another copy of the first run."
        )
    if not state.get("update", {}).get("done"):
        attempts = state.get("update", {}).get("attempts", 0) + 1
        state["update"] = {"attempts": attempts, "done": False}
        save()  # an interrupted update is then known as one
        print(f"weekly_update: the update (log: {workdir}/logs/weekly_update.log)", flush=True)
        run = real_corpus.run_pipeline(
            UPDATE_PIPELINES, f"snapshot_path={state['grown']['path']},{params}", workdir,
            env=args.env, log_name="weekly_update",
        )  # fmt: skip
        state["update"] = {**run, "attempts": attempts, "done": True}
        state["machine"] = _figures.machine()
        save()
    rows = check(workdir, args.env, state, first_seconds)
    save()
    text = report(state, first, rows)
    measured_on = state["machine"]
    print(f"Measured on: {measured_on}.\nWork folder: {workdir}\n\n{text}")
    _figures.write(
        "weekly_update", text, measured_on=measured_on,
        path=args.figures,
    )  # fmt: skip
    return text


if __name__ == "__main__":
    main()
