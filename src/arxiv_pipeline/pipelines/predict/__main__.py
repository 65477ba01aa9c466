"""Classify new abstracts from the command line, with the project's trained models.

Run inside the project folder, after the classifier_tuning and topic_tuning pipelines::

    python -m arxiv_pipeline.pipelines.predict "We study the thermal Hall effect in ..."
    python -m arxiv_pipeline.pipelines.predict --title "Thermal Hall effect" "We study ..."
    python -m arxiv_pipeline.pipelines.predict --file new_abstracts.jsonl --top-k 5

Prints one JSON object per abstract (see ``predict_abstracts``) and exits with 1 when
any abstract could not be classified (its object says why), else 0. Nothing is written.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
from pathlib import Path

import pandas as pd
from kedro.utils import find_kedro_project

from arxiv_pipeline.text.abstracts import abstracts_from_texts, format_of, parse_abstracts

from .pipeline import PREDICT_NODE, create_pipeline


def _positive_int(text: str) -> int:
    """A whole number of 1 or more, for ``--top-k``."""
    if not text.strip().isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"must be a whole number of 1 or more; got {text!r}")
    return int(text)


def _arguments(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m arxiv_pipeline.pipelines.predict",
        description="Top arXiv categories and the topic of new abstracts.",
    )
    parser.add_argument("abstracts", nargs="*", help="abstract texts")
    parser.add_argument("--title", help="a title for the abstracts given as arguments")
    parser.add_argument(
        "--file",
        type=Path,
        help="a JSON-lines, JSON-array or CSV file with an 'abstract' field (the format: "
        "the extension .jsonl, .ndjson or .csv, else the first character)",
    )
    parser.add_argument(
        "--top-k", type=_positive_int, help="categories per abstract (default: predict.top_k)"
    )
    arguments = parser.parse_args(argv)
    if bool(arguments.abstracts) == bool(arguments.file):
        parser.error("give abstracts as arguments or --file, not both or neither")
    if arguments.file and not arguments.file.is_file():
        parser.error(f"--file {arguments.file}: no such file")
    return arguments


def _predictions(project: Path, rows: pd.DataFrame, top_k: int | None) -> pd.DataFrame:
    """The predict node's output for ``rows``, its other inputs loaded through the catalog."""
    # Imported here, where standard output goes to standard error: importing Kedro's
    # project module logs which logging configuration it uses.
    from kedro.framework.session import KedroSession
    from kedro.framework.startup import bootstrap_project

    runtime_params = {"predict": {"top_k": top_k}} if top_k is not None else {}
    # The pipeline's own node, with its inputs loaded through the catalog: the same
    # predictions as `kedro run --pipelines predict`, without writing a file.
    node = next(node for node in create_pipeline().nodes if node.name == PREDICT_NODE)
    bootstrap_project(project)
    with KedroSession.create(project_path=project, runtime_params=runtime_params) as session:
        catalog = session.load_context().catalog
        inputs = {name: catalog.load(name) for name in node.inputs if name != "new_abstracts"}
    return node.run({**inputs, "new_abstracts": rows})["predictions"]


def main(argv: list[str] | None = None) -> int:
    arguments = _arguments(argv)
    rows = (
        parse_abstracts(arguments.file.read_bytes(), format_of(arguments.file))
        if arguments.file
        else abstracts_from_texts(arguments.abstracts, arguments.title)
    )
    if rows.empty:  # only a file can hold no rows: each abstract argument is one
        sys.exit(
            f"--file {arguments.file}: no abstracts in it (it is empty, blank or holds no records)."
        )
    project = find_kedro_project(Path.cwd())
    if project is None:
        sys.exit(
            f"'{Path.cwd()}' is not inside the arxiv_pipeline project: run this from its folder."
        )
    # Standard output carries the JSON only: every log message goes to standard error.
    with contextlib.redirect_stdout(sys.stderr):
        predictions = _predictions(project, rows, arguments.top_k)
    for record in predictions.to_dict("records"):
        print(json.dumps(record, ensure_ascii=False))
    return 1 if predictions["error"].notna().any() else 0


if __name__ == "__main__":
    sys.exit(main())
