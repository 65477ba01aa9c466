import pytest

from arxiv_pipeline.corpus.lines import LineBlock
from arxiv_pipeline.corpus.parsing import RAW_LINE_CHARS, parse_block
from tests.pipelines.ingestion.snapshot_lines import BROKEN_LINES, encode, record, with_deep_field

MAPPING = {"math.IT": "cs.IT", "alg-geom": "math.AG"}


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
    text = bad.decode("utf-8", errors="replace")  # the 2,000-deep line is cut to RAW_LINE_CHARS
    assert rows[1]["raw_line"] in (text, text[:RAW_LINE_CHARS] + "…")
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


@pytest.mark.parametrize("categories", ["", "   ", " \t\n ", "\u00a0\u2003"])
def test_a_record_without_a_label_is_rejected_not_fatal(categories):
    lines = [record(categories=categories).encode(), record(id="0704.0002").encode()]
    for rows in (parse(lines), parse(lines + [b"{broken"])[:-1]):  # fast path, slow path
        assert [row["reject_reason"] for row in rows] == ["empty_field:categories", None]
        assert rows[0]["primary_category"] is None and rows[1]["primary_category"] == "hep-th"


def test_fields_are_judged_after_cleaning_on_both_paths():
    lines = [
        record(id=" 0704.0009 ").encode(),
        record(id="\u2003").encode(),
        record(title="\u00a0\n").encode(),
        record(abstract="\t\r\n").encode(),
    ]
    fast = parse(lines)
    slow = parse(lines + [b"{broken"])[:-1]
    assert fast == slow
    assert [row["reject_reason"] for row in fast] == [
        None, "empty_field:id", "empty_field:title", "empty_abstract"
    ]
    assert fast[0]["id"] == "0704.0009"


def test_a_deep_value_in_a_field_not_read_keeps_its_record_on_both_paths():
    lines = [with_deep_field("authors_parsed", depth=100_000).encode(), record(id="0704.0002").encode()]
    fast = parse(lines)
    slow = parse(lines + [b"{broken"])
    assert slow[:-1] == fast
    assert [row["reject_reason"] for row in slow] == [None, None, "invalid_json"]
    assert fast[0]["title"] == "A title" and fast[0]["n_versions"] == 1
