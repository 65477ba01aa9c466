"""The predict pipeline and its command line, with models trained on the real sample."""

import json

import pytest

from arxiv_pipeline.pipelines.predict.__main__ import main
from tests.conftest import load_dataset, run_pipelines
from tests.pipelines.evaluation.test_pipeline import trained_copy

GOOD = {
    "id": "halo",
    "title": "Dark matter halos",
    "abstract": "We study the density profiles of dark matter halos in N-body simulations "
    "of galaxy formation.",
}
ROWS = [
    json.dumps(GOOD),
    json.dumps({"id": "empty", "abstract": "   "}),
    json.dumps({"id": "number", "abstract": 3.5}),
    "{not json",
    json.dumps(
        {"abstract": "Entanglement entropy of a critical spin chain and the central charge."}
    ),
]


@pytest.fixture
def trained_project(project, arxiv_sample):
    return trained_copy(project, arxiv_sample)


def check_prediction(row: dict, labels: list[str], top_k: int) -> None:
    assert row["error"] is None
    probabilities = [category["probability"] for category in row["categories"]]
    assert len(probabilities) == top_k and probabilities == sorted(probabilities, reverse=True)
    assert all(category["label"] in labels for category in row["categories"])
    assert set(row["predicted_categories"]) <= set(labels)
    assert isinstance(row["topic"], int) and isinstance(row["topic_words"], list)


def test_predict_classifies_good_rows_and_reports_bad_ones(trained_project, tmp_path):
    source = tmp_path / "new.jsonl"
    source.write_text("\n".join(ROWS) + "\n")
    output = tmp_path / "predictions.jsonl"
    run_pipelines(
        trained_project, ["predict"], predict_input=str(source), predict_output=str(output)
    )
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    labels = load_dataset(trained_project, "label_vocabulary")["labels"]

    assert [row["row"] for row in rows] == [1, 2, 3, 4, 5]
    check_prediction(rows[0], labels, top_k=3)
    check_prediction(rows[4], labels, top_k=3)
    assert rows[0]["id"] == "halo" and rows[0]["categories"][0]["label"].startswith("astro-ph")
    assert [row["error"] for row in rows[1:4]] == [
        "'abstract' is empty",
        "'abstract' must be text, not float",
        "line is not valid JSON: Expecting property name enclosed in double quotes at column 2",
    ]
    assert all(row["categories"] is None and row["topic"] is None for row in rows[1:4])

    # The same abstracts as CSV give the same predictions.
    csv_source = tmp_path / "new.csv"
    csv_source.write_text(f"id,title,abstract\nhalo,{GOOD['title']},{GOOD['abstract']}\n")
    run_pipelines(
        trained_project, ["predict"], predict_input=str(csv_source), predict_output=str(output)
    )
    assert json.loads(output.read_text()) == rows[0]


def test_the_command_line_prints_one_json_object_per_abstract(trained_project, capsys):
    status = main(["--top-k", "2", "--title", GOOD["title"], GOOD["abstract"], ""])
    lines = capsys.readouterr().out.splitlines()
    assert status == 1  # one abstract could not be classified
    first, second = (json.loads(line) for line in lines)
    check_prediction(first, load_dataset(trained_project, "label_vocabulary")["labels"], top_k=2)
    assert second["error"] == "'abstract' is empty"
    assert main([GOOD["abstract"]]) == 0
