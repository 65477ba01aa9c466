import json

import pytest

from arxiv_pipeline.corpus.parsing import RAW_LINE_CHARS, parse_block
from arxiv_pipeline.datasets.snapshot_dataset import LineBlock

MAPPING = {"math.IT": "cs.IT", "alg-geom": "math.AG"}


def record(**fields):
    base = {
        "id": "0704.0001",
        "title": "A title",
        "abstract": "  An abstract.\n",
        "categories": "hep-th",
        "update_date": "2008-11-26",
        "versions": [{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42 GMT"}],
    }
    base.update(fields)
    return json.dumps({key: value for key, value in base.items() if value is not ...})


BROKEN_LINES = {
    "invalid_json": "{not json at all}",
    "truncated_json": record()[:40],
    "invalid_utf8": record(title="caf\udce9"),  # replaced below by raw invalid bytes
    "blank_line": "   ",
    "not_an_object": '["a", "list"]',
    "missing_field:id": record(id=...),
    "missing_field:abstract": record(abstract=None),
    "missing_field:categories": record(categories=...),
    "empty_abstract": record(abstract=" \n  "),
    "empty_field:title": record(title=""),
    "wrong_type:id": record(id=704.0001),
    "wrong_type:categories": record(categories=["hep-th"]),
    "wrong_type:versions": record(versions="v1"),
}


def encode(reason: str, line: str) -> bytes:
    if reason == "invalid_utf8":
        return record(title="caf").encode().replace(b'"caf"', b'"caf\xe9"')
    return line.encode()


def parse(lines: list[bytes], first_line: int = 1):
    return parse_block(LineBlock(first_line, b"\n".join(lines) + b"\n"), MAPPING).to_pylist()


def test_valid_records_take_the_fast_path_and_keep_their_fields():
    rows = parse([record(id=f"0704.000{i}").encode() for i in range(3)], first_line=7)
    assert [row["line_number"] for row in rows] == [7, 8, 9]
    assert [row["id"] for row in rows] == ["0704.0000", "0704.0001", "0704.0002"]
    assert all(row["reject_reason"] is None and row["raw_line"] is None for row in rows)
    assert rows[0]["abstract"] == "An abstract."
    assert rows[0]["categories"] == ["hep-th"] and rows[0]["archive"] == "hep-th"
    assert rows[0]["n_versions"] == 1


@pytest.mark.parametrize("reason", sorted(BROKEN_LINES))
def test_each_kind_of_broken_line_is_rejected_with_its_reason(reason):
    bad = encode(reason, BROKEN_LINES[reason])
    rows = parse([record(id="0704.0001").encode(), bad, record(id="0704.0003").encode()], 100)
    assert [row["reject_reason"] for row in rows] == [None, reason, None]
    assert [row["line_number"] for row in rows] == [100, 101, 102]
    assert rows[1]["raw_line"] == bad.decode("utf-8", errors="replace")
    assert [rows[0]["id"], rows[2]["id"]] == ["0704.0001", "0704.0003"]


def test_both_paths_give_the_same_verdicts_and_values():
    lines = [
        record(abstract="").encode(),
        record(title=None).encode(),
        record(abstract=" Line one\n  line\ttwo, $x = 1.5$. ", categories="math.IT cs.IT alg-geom").encode(),
        record(title="caf").encode().replace(b'"submitter"', b'"x"').replace(b'"id"', b'"authors": "\xff", "id"'),
    ]
    fast = parse(lines)  # all valid JSON: pyarrow parses the block
    slow = parse(lines + [b"{broken"])[:-1]  # one broken line sends the block line by line
    assert fast == slow
    assert [row["reject_reason"] for row in fast] == ["empty_abstract", "missing_field:title", None, None]
    assert fast[2]["abstract"] == "Line one line two, $x = 1.5$."
    assert fast[2]["categories"] == ["cs.IT", "math.AG"] and fast[2]["primary_category"] == "cs.IT"


def test_a_last_line_without_newline_is_parsed():
    table = parse_block(LineBlock(1, record().encode()), MAPPING).to_pylist()
    assert table[0]["reject_reason"] is None


def test_quarantined_text_is_truncated():
    rows = parse([b"{" + b"x" * (RAW_LINE_CHARS * 2)])
    assert rows[0]["reject_reason"] == "invalid_json"
    assert len(rows[0]["raw_line"]) == RAW_LINE_CHARS + 1
