"""The names ``kedro run --params`` accepts, so that a mistyped one fails instead of being ignored.

Kedro merges every runtime parameter into the parameters and hands the catalog's
``${runtime_params:...}`` whatever it asked for: a name neither reads
(``predict_inptu=mine.jsonl``) changes nothing, and the run goes on with the defaults.
The known names are the top-level keys of the parameters files and the names the
configuration reads through ``${runtime_params:NAME}`` (``snapshot_path``, ``demo``, ...).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import yaml

#: Endings of the configuration files Kedro reads.
CONFIG_SUFFIXES = (".yml", ".yaml", ".json")
#: The top-level name in ``${runtime_params:name}`` or ``${runtime_params: name.key, default}``.
_RUNTIME_PARAMS_NAME = re.compile(r"\$\{runtime_params:\s*([^.,}\s]+)")


class UnknownParameterError(ValueError):
    """A runtime parameter that no parameters file and no ``${runtime_params:}`` names."""


def _config_files(folder: Path) -> list[Path]:
    """The configuration files under ``folder`` (hidden ones skipped, as Kedro does)."""
    if not folder.is_dir():
        return []
    return sorted(
        path
        for path in folder.rglob("*")
        if path.is_file()
        and path.suffix in CONFIG_SUFFIXES
        and not any(part.startswith(".") for part in path.relative_to(folder).parts)
    )


def known_names(env_folders: Iterable[Path], parameter_patterns: Iterable[str]) -> set[str]:
    """The top-level parameter names and runtime-parameter names of these environments.

    Parameters
    ----------
    env_folders
        The environments' folders (``conf/base``, ``conf/local``).
    parameter_patterns
        The config loader's glob patterns of parameters files (``parameters*``, ...),
        matched against each file's path relative to its environment.
    """
    patterns = list(parameter_patterns)
    names: set[str] = set()
    for folder in env_folders:
        for path in _config_files(folder):
            text = path.read_text(encoding="utf-8")
            names.update(_RUNTIME_PARAMS_NAME.findall(text))
            relative = path.relative_to(folder).as_posix()
            if any(fnmatch(relative, pattern) for pattern in patterns):
                names.update(yaml.safe_load(text) or {})
    return names


def check_runtime_params(runtime_params: Mapping[str, Any], known: set[str]) -> None:
    """Refuse runtime parameters whose top-level name is not ``known``.

    Raises
    ------
    UnknownParameterError
        Naming each unknown parameter and the closest known name, if one is close.
    """
    unknown = sorted(name for name in runtime_params if name not in known)
    if not unknown:
        return
    lines = []
    for name in unknown:
        close = difflib.get_close_matches(name, sorted(known), n=1)
        hint = f"did you mean '{close[0]}'?" if close else f"known: {', '.join(sorted(known))}."
        lines.append(f"Unknown parameter '{name}' (given with --params): {hint}")
    raise UnknownParameterError("\n".join(lines))
