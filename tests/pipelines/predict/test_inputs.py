"""Reading new abstracts: every row is kept, a bad one with the reason it cannot be used."""

import csv
import json
import re
from pathlib import Path

import pytest
from kedro.io import DatasetError

from arxiv_pipeline.datasets import AbstractsFileDataset
from arxiv_pipeline.pipelines.predict.__main__ import main
from arxiv_pipeline.text.abstracts import abstracts_from_texts, format_of, parse_abstracts
from tests.conftest import REPO_ROOT, run_pipelines

JSON_LINES = "\n".join(
    [
        '{"id": "a", "title": "Dark matter", "abstract": "We simulate halos."}',
        '{"id": 7, "abstract": "No title here."}',
        "",
        '{"id": "empty", "abstract": "  \\n "}',
        '{"id": "number", "abstract": 42}',
        '{"id": "missing", "title": "Only a title"}',
        '{"id": "bad title", "title": ["a", "list"], "abstract": "Text."}',
        "not json at all",
        '["an", "array"]',
    ]
)


def test_json_lines_rows_are_checked_one_by_one():
    rows = parse_abstracts(JSON_LINES)
    assert rows["row"].tolist() == [
        1,
        2,
        4,
        5,
        6,
        7,
        8,
        9,
    ]  # line numbers; the blank line is skipped
    assert rows["id"].tolist() == ["a", "7", "empty", "number", "missing", "bad title", None, None]
    assert rows["error"].tolist() == [
        None,
        None,
        "'abstract' is empty",
        "'abstract' must be text, not int",
        "no 'abstract' given",
        "'title' must be text, not list",
        "line is not valid JSON: Expecting value at column 1",
        "record must be a JSON object, not list",
    ]
    assert rows.loc[0, "abstract"] == "We simulate halos." and rows.loc[1, "title"] == ""


def test_csv_rows_with_a_header():
    rows = parse_abstracts(
        'id,title,abstract\n1,"A, title","An abstract, with commas."\n2,Empty,\n'
    )
    assert rows["abstract"].tolist() == ["An abstract, with commas.", None]
    assert rows["title"].tolist() == ["A, title", "Empty"]
    assert rows["error"].tolist() == [None, "'abstract' is empty"]


def test_a_csv_without_an_abstract_column_says_so():
    rows = parse_abstracts("id,text\n1,Something\n")
    assert rows["error"].tolist() == ["the CSV header ['id', 'text'] has no 'abstract' column"]


def test_an_empty_file_has_no_rows_and_texts_from_the_command_line_are_numbered():
    assert parse_abstracts(" \n").empty
    rows = abstracts_from_texts(["First.", ""], title="Shared")
    assert rows["row"].tolist() == [1, 2] and rows["title"].tolist() == ["Shared", "Shared"]
    assert rows["error"].tolist() == [None, "'abstract' is empty"]


GOOD_LINE = '{"id": "good", "abstract": "We simulate halos."}'


def test_a_byte_that_is_not_utf8_costs_its_row_only():
    data = b'{"id": "bad", "abstract": "caf\xe9"}\n' + GOOD_LINE.encode() + b"\n"
    rows = parse_abstracts(data)
    assert rows["error"].tolist() == ["line is not valid UTF-8: byte 0xe9 at character 31", None]
    assert rows.loc[1, "abstract"] == "We simulate halos."

    csv_data = b"id,abstract\nbad,caf\xe9\ngood,Fine text.\n"
    rows = parse_abstracts(csv_data)
    assert rows["error"].tolist() == [
        "'abstract' is not valid UTF-8: byte 0xe9 at character 4",
        None,
    ]


def test_a_byte_order_mark_is_skipped_before_the_format_is_chosen():
    rows = parse_abstracts(b"\xef\xbb\xbf" + GOOD_LINE.encode())
    assert rows["error"].tolist() == [None] and rows["id"].tolist() == ["good"]
    rows = parse_abstracts("\ufeffabstract,id\nSome text.,x\n".encode())
    assert rows["error"].tolist() == [None] and rows["abstract"].tolist() == ["Some text."]


def test_a_json_array_is_read_element_by_element():
    rows = parse_abstracts(b' \n[{"id": "a", "abstract": "One."},\n 7,\n {"abstract": ""}]')
    assert rows["row"].tolist() == [1, 2, 3] and rows["id"].tolist() == ["a", None, None]
    assert rows["error"].tolist() == [
        None,
        "record must be a JSON object, not int",
        "'abstract' is empty",
    ]
    assert parse_abstracts(b'[{"abstract": "x"},').loc[0, "error"] == (
        "file is not valid JSON: Expecting value at line 1 column 20"
    )


def test_the_extension_decides_the_format_when_it_names_one():
    assert format_of(Path("new.JSONL")) == "jsonl" and format_of(Path("a.csv")) == "csv"
    assert format_of(Path("new.json")) is None  # the arXiv snapshot is JSON lines named .json
    # A CSV file whose first field starts with "[" is still CSV.
    rows = parse_abstracts(b"abstract\n[1] shows that.\n", format_of(Path("x.csv")))
    assert rows["abstract"].tolist() == ["[1] shows that."]


def test_a_deeply_nested_line_costs_its_row_only():
    deep = '{"abstract": "x", "extra": ' + "[" * 1000 + "]" * 1000 + "}"
    rows = parse_abstracts("\n".join([deep, GOOD_LINE, "[" * 100_000]))
    assert rows["error"].tolist() == [
        "line is nested too deeply to read (too_deep)",
        None,
        "line is nested too deeply to read (too_deep)",
    ]


def test_only_a_newline_ends_a_json_line():
    line = json.dumps({"abstract": "One\u2028two\x0cthree"}, ensure_ascii=False)
    rows = parse_abstracts(line + "\r\n" + GOOD_LINE)
    assert rows["error"].tolist() == [None, None]
    assert rows.loc[0, "abstract"] == "One\u2028two\x0cthree"


def test_a_csv_record_the_csv_module_refuses_costs_its_row_only():
    too_long = "x" * (csv.field_size_limit() + 1)
    rows = parse_abstracts(f"id,abstract\n1,{too_long}\n2,Fine.\n")
    assert rows["error"].tolist() == [
        f"CSV record is unreadable: field larger than field limit ({csv.field_size_limit()})",
        None,
    ]
    assert rows["abstract"].tolist() == [None, "Fine."]


@pytest.mark.parametrize(
    ("content", "what"),
    [(b"", "empty (0 bytes)"), (b" \n\n\t\n", "blank"), (b"\xef\xbb\xbf\n", "blank")],
)
def test_an_empty_or_blank_input_file_is_an_error_naming_it(tmp_path, content, what):
    """It made an empty predictions file and the run exited 0, as if all went well."""
    source = tmp_path / "mine.jsonl"
    source.write_bytes(content)
    with pytest.raises(DatasetError, match=re.escape(f"'{source}' is {what}")):
        AbstractsFileDataset(filepath=str(source)).load()


def test_predict_refuses_an_empty_input_file_before_any_model_is_read(project, tmp_path):
    source = tmp_path / "mine.jsonl"
    source.write_bytes(b"")
    # The project holds no trained model: the run fails on the input, not on a model.
    with pytest.raises(DatasetError, match=re.escape(f"'{source}' is empty (0 bytes)")):
        run_pipelines(project, ["predict"], predict_input=str(source))


def test_the_example_input_is_read_as_bytes():
    example = REPO_ROOT / "data/01_raw/predict_example.jsonl"
    data = AbstractsFileDataset(filepath=str(example)).load()
    assert isinstance(data, bytes) and not parse_abstracts(data).empty


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("mine.jsonl", b""),
        ("mine.jsonl", b"\n \n"),
        ("mine.json", b"[]"),
        ("mine.csv", b"id,abstract\n"),
    ],
)
def test_the_command_line_refuses_a_file_without_abstracts(tmp_path, name, content):
    source = tmp_path / name
    source.write_bytes(content)
    with pytest.raises(SystemExit, match=re.escape(f"--file {source}: no abstracts in it")):
        main(["--file", str(source)])
