"""Canonical arXiv category labels."""

from __future__ import annotations

from collections.abc import Mapping


def canonical_categories(categories: str, category_map: Mapping[str, str]) -> list[str]:
    """Split a snapshot ``categories`` string into canonical labels, first one primary.

    Aliases and retired archives are replaced through ``category_map``; a label that
    appears twice after mapping (``"math.IT cs.IT"``) is kept once, at its first place.

    >>> canonical_categories("math.IT cs.IT alg-geom", {"math.IT": "cs.IT", "alg-geom": "math.AG"})
    ['cs.IT', 'math.AG']
    """
    return list(dict.fromkeys(category_map.get(label, label) for label in categories.split()))


def archive_of(category: str) -> str:
    """The archive a category belongs to: ``"math.CO" -> "math"``, ``"hep-th" -> "hep-th"``."""
    return category.split(".", 1)[0]


def flatten_category_map(category_map: Mapping[str, Mapping[str, str]]) -> dict[str, str]:
    """Merge the ``aliases`` and ``retired`` tables of the configuration into one mapping.

    Raises
    ------
    ValueError
        If a label is mapped twice, mapped to something that is not one label (blank, or
        with spaces: it would empty or split a paper's labels), or mapped to a label that
        is itself mapped (chains would make the result depend on the order of application).
    """
    merged: dict[str, str] = {}
    for table_name, table in category_map.items():
        for source, target in table.items():
            if source in merged:
                raise ValueError(f"category_map: '{source}' is mapped twice (again in '{table_name}').")
            if not isinstance(target, str) or target.split() != [target]:
                raise ValueError(
                    f"category_map.{table_name}.{source}: the target must be one label; got {target!r}."
                )
            merged[source] = target
    chained = sorted(target for target in merged.values() if target in merged)
    if chained:
        raise ValueError(f"category_map: targets {chained} are themselves mapped; map to the final label.")
    return merged
