"""Vectorised cleaning of parsed snapshot records into paper columns.

Text is kept honest (design.md §2.1): whitespace is normalised and nothing else, so
decimals, LaTeX and punctuation reach the embeddings as the authors wrote them.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from .categories import archive_of, canonical_categories

#: The paper columns every valid snapshot line is cleaned into.
CLEAN_SCHEMA = pa.schema(
    [
        ("id", pa.string()),
        ("title", pa.string()),
        ("abstract", pa.string()),
        ("categories", pa.list_(pa.string())),
        ("primary_category", pa.string()),
        ("archive", pa.string()),
        ("update_date", pa.date32()),
    ]
)

# RE2's \s is this ASCII set; spelling it out lets single spaces pass untouched, which
# is most of the text, and makes the scan about three times faster.
_WHITESPACE_RUN = r"[\t\n\f\r ]{2,}|[\t\n\f\r]"


def normalise_whitespace(text: pa.ChunkedArray | pa.Array) -> pa.ChunkedArray | pa.Array:
    """Collapse runs of whitespace into one space and trim the ends."""
    return pc.utf8_trim_whitespace(pc.replace_substring_regex(text, _WHITESPACE_RUN, " "))


def _map_distinct(values: pa.ChunkedArray | pa.Array, function, value_type: pa.DataType) -> pa.Array:
    """Apply a Python function once per distinct value: labels repeat across papers."""
    encoded = pc.dictionary_encode(values)
    if isinstance(encoded, pa.ChunkedArray):
        encoded = encoded.combine_chunks()
    mapped = pa.array([function(value) for value in encoded.dictionary.to_pylist()], value_type)
    return mapped.take(encoded.indices)


def clean_records(records: pa.Table, category_map: dict[str, str]) -> dict[str, pa.Array]:
    """Paper columns (:data:`CLEAN_SCHEMA`) from records read with ``parsing.READ_SCHEMA``.

    Every row is cleaned, rejected ones too: a row whose id, title or abstract is empty
    after trimming, or whose ``categories`` holds no label, gets an empty value (and a
    null primary category and archive) here, for the parser to reject.
    """
    labels = _map_distinct(
        records["categories"],
        lambda text: canonical_categories(text, category_map),
        pa.list_(pa.string()),
    )
    # list_element fails on an empty list: give those rows a null first label instead.
    has_labels = pc.greater(pc.list_value_length(labels), 0)
    primary = pc.list_element(pc.if_else(has_labels, labels, pa.scalar([None], labels.type)), 0)
    dates = pc.strptime(records["update_date"], format="%Y-%m-%d", unit="s", error_is_null=True)
    return {
        "id": pc.utf8_trim_whitespace(records["id"]),
        "title": normalise_whitespace(records["title"]),
        "abstract": normalise_whitespace(records["abstract"]),
        "categories": labels,
        "primary_category": primary,
        "archive": _map_distinct(primary, archive_of, pa.string()),
        "update_date": dates.cast(pa.date32()),
    }
