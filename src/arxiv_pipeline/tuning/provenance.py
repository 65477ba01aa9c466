"""Provenance of a tuning study: code revision, package versions, data fingerprint."""

from __future__ import annotations

import hashlib
import subprocess
from collections.abc import Mapping, Sequence
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import pandas as pd

from arxiv_pipeline.corpus.splitting import splits_fingerprint
from arxiv_pipeline.embedding.vectors import Embeddings

#: Packages whose versions change results.
PACKAGES = (
    "arxiv_pipeline",
    "kedro",
    "optuna",
    "bertopic",
    "umap-learn",
    "hdbscan",
    "scikit-learn",
    "sentence-transformers",
    "torch",
    "gensim",
    "numpy",
)


def git_revision(path: Path | None = None) -> str | None:
    """The commit checked out at ``path`` (``+dirty`` when files differ), None outside git."""
    try:
        revision = _git(path, "rev-parse", "HEAD")
        dirty = _git(path, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.CalledProcessError):
        return None
    return revision + ("+dirty" if dirty else "")


def _git(path: Path | None, *args: str) -> str:
    result = subprocess.run(
        ["git", *args], cwd=path, capture_output=True, text=True, check=True, timeout=10
    )
    return result.stdout.strip()


def package_versions() -> dict[str, str | None]:
    """Installed version of each of :data:`PACKAGES` (None when absent)."""
    versions: dict[str, str | None] = {}
    for name in PACKAGES:
        try:
            versions[name] = version(name)
        except PackageNotFoundError:
            versions[name] = None
    return versions


def provenance(
    data_fingerprint: str, paper_splits: pd.DataFrame, **details: Any
) -> dict[str, Any]:
    """Everything a study's user attrs record about how its trials were produced.

    ``splits_fingerprint`` (of ``paper_splits``) is known right after ingestion, so a run
    on other papers is refused before it embeds them
    (:func:`~arxiv_pipeline.tuning.study.check_splits`).
    """
    return {
        "git_revision": git_revision(),
        "packages": package_versions(),
        "data_fingerprint": data_fingerprint,
        "splits_fingerprint": splits_fingerprint(paper_splits),
        **details,
    }


def data_fingerprint(
    embeddings: Mapping[str, Embeddings],
    size_fraction: float,
    labels: Sequence[str] | None = None,
    validation_fraction: float = 1.0,
) -> str:
    """What a study's trials depend on: the subsets, the label vocabulary (if any) and the texts.

    The texts are known by each embeddings input's text fingerprint (its cache key), so
    the fingerprint costs nothing to compute: ``size_fraction=1.0;labels=…;minilm__train:…``.
    A validation subset (``validation_fraction`` below 1.0) is named after the training
    subset; the whole split is not, so studies scored on all of it keep their fingerprint.
    """
    parts = [f"size_fraction={size_fraction}"]
    if validation_fraction < 1.0:
        parts.append(f"validation_size_fraction={validation_fraction}")
    if labels is not None:
        parts.append("labels=" + hashlib.blake2b("\n".join(labels).encode(), digest_size=8).hexdigest())
    texts = sorted(
        (name, value.metadata["cache_key"]["text_fingerprint"]) for name, value in embeddings.items()
    )
    return ";".join(parts) + ";" + ";".join(f"{name}:{text}" for name, text in texts)
