"""Provenance of a tuning study: code revision, package versions, data fingerprint."""

from __future__ import annotations

import subprocess
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

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


def provenance(data_fingerprint: str, **details: Any) -> dict[str, Any]:
    """Everything a study's user attrs record about how its trials were produced."""
    return {
        "git_revision": git_revision(),
        "packages": package_versions(),
        "data_fingerprint": data_fingerprint,
        **details,
    }
