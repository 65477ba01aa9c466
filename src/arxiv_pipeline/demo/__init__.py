"""The bundled synthetic demo corpus: 3,000 papers in the arXiv snapshot's exact format.

The corpus is package data (``arxiv-demo-synthetic.jsonl.gz``), read like any snapshot,
and is used only when chosen: ``kedro run --params demo=true`` (``make run`` chooses it
when ``data/01_raw/`` holds no snapshot). Its records have the snapshot's 14
keys in order, hard-wrapped titles and abstracts, RFC 2822 version dates and parsed
authors. Structure is planted for the models to find: 16 primary categories, each with
its own vocabulary, about a third of the papers multi-labelled through neighbouring
categories, a few secondary labels being arXiv aliases or retired archives for the
category map to canonicalise, and 2% old-style ids.

It was written once by the seeded generator that lived in ``arxiv_pipeline/demo_corpus.py``
up to commit bf73a6b (``python -m arxiv_pipeline.demo_corpus OUT --papers 3000 --seed 0``,
then ``gzip -9 -n``), so runs on it are the same as before the corpus became a file.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

DEMO_FILENAME = "arxiv-demo-synthetic.jsonl.gz"


def demo_corpus_path() -> Path:
    """Where the installed package keeps the demo corpus (a regular file in any install)."""
    return Path(str(files(__name__) / DEMO_FILENAME))
