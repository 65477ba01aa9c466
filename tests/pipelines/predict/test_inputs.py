"""Reading new abstracts: every row is kept, a bad one with the reason it cannot be used."""

from arxiv_pipeline.text.abstracts import abstracts_from_texts, parse_abstracts

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
