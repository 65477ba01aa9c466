"""The predict pipeline and its command line, with models trained on the real sample."""

import json
import shutil
import subprocess
import sys

import numpy as np
import pytest
import yaml

from arxiv_pipeline.embedding import EncodingSettings
from arxiv_pipeline.embedding.lineage import LineageMismatchError
from arxiv_pipeline.pipelines.predict.__main__ import main
from arxiv_pipeline.pipelines.predict.nodes import _encoder
from arxiv_pipeline.topics.topic_map import topic_name
from tests.conftest import REPO_ROOT, load_dataset, run_pipelines
from tests.workflows import trained_copy

GOOD = {
    "id": "halo",
    "title": "Dark matter halos",
    "abstract": "We study the density profiles of dark matter halos in N-body simulations "
    "of galaxy formation.",
}
DEEP = '{"abstract": "x", "extra": ' + "[" * 1000 + "]" * 1000 + "}"
ROWS = [
    json.dumps(GOOD).encode(),
    json.dumps({"id": "empty", "abstract": "   "}).encode(),
    json.dumps({"id": "number", "abstract": 3.5}).encode(),
    b"{not json",
    json.dumps(
        {"abstract": "Entanglement entropy of a critical spin chain and the central charge."}
    ).encode(),
    b'{"id": "latin-1", "abstract": "Caf\xe9 au lait."}',
    DEEP.encode(),
]
# A byte order mark, as some editors write: the rows are still JSON lines.
BATCH = b"\xef\xbb\xbf" + b"\n".join(ROWS) + b"\n"


@pytest.fixture
def trained_project(project, arxiv_sample):
    """The project with models trained once per session (shared with the evaluation tests)."""
    return trained_copy(project, arxiv_sample)


def check_prediction(row: dict, labels: list[str], top_k: int) -> None:
    assert row["error"] is None
    probabilities = [category["probability"] for category in row["categories"]]
    assert len(probabilities) == top_k and probabilities == sorted(probabilities, reverse=True)
    assert all(category["label"] in labels for category in row["categories"])
    assert set(row["predicted_categories"]) <= set(labels)
    assert isinstance(row["topic"], int) and isinstance(row["topic_words"], list)
    # Names as the topic tables have them: the first distinct words, or "outliers".
    if row["topic"] >= 0:
        assert row["topic_name"] == topic_name(row["topic_words"])
        assert row["coarse_topic_name"] == topic_name(row["coarse_topic_words"])
    else:
        assert row["topic_name"] == row["coarse_topic_name"] == "outliers"


def predict(project, source) -> list[dict]:
    output = project / "predictions.jsonl"
    run_pipelines(project, ["predict"], predict_input=str(source), predict_output=str(output))
    return [json.loads(line) for line in output.read_text().splitlines()]


def test_predict_classifies_good_rows_and_reports_bad_ones(trained_project, tmp_path):
    source = tmp_path / "new.jsonl"
    source.write_bytes(BATCH)
    rows = predict(trained_project, source)
    labels = load_dataset(trained_project, "label_vocabulary")["labels"]

    assert [row["row"] for row in rows] == [1, 2, 3, 4, 5, 6, 7]
    check_prediction(rows[0], labels, top_k=3)
    check_prediction(rows[4], labels, top_k=3)
    assert rows[0]["id"] == "halo" and rows[0]["categories"][0]["label"].startswith("astro-ph")
    assert [row["error"] for row in rows[1:4] + rows[5:]] == [
        "'abstract' is empty",
        "'abstract' must be text, not float",
        "line is not valid JSON: Expecting property name enclosed in double quotes at column 2",
        "line is not valid UTF-8: byte 0xe9 at character 35",
        "line is nested too deeply to read (too_deep)",
    ]
    assert all(row["categories"] is None and row["topic"] is None for row in rows[1:4])

    # The same abstract as CSV, and as a JSON array, gives the same prediction.
    csv_source = tmp_path / "new.csv"
    csv_source.write_text(f"id,title,abstract\nhalo,{GOOD['title']},{GOOD['abstract']}\n")
    assert predict(trained_project, csv_source) == rows[:1]
    array_source = tmp_path / "new.json"
    array_source.write_text(json.dumps([GOOD], indent=2))
    assert predict(trained_project, array_source) == rows[:1]


def test_the_models_carry_their_config_and_predict_needs_no_report_or_embeddings(
    trained_project,
):
    topic_model = load_dataset(trained_project, "topic_model")
    config = topic_model.config
    assert config["embedding_model"] == "tfidf_svd"
    assert config["embedding_settings"]["backend"] == "tfidf_svd"
    assert config["embedding_cache_key"]["rows"] > 1000
    assert config["text_template"] == load_dataset(
        trained_project, "params:embeddings.text_template"
    )
    parameters = trained_project / "conf/base/parameters_topic_tuning.yml"
    assert config["topn"] == yaml.safe_load(parameters.read_text())["topic_tuning"]["topn"]
    classifier = load_dataset(trained_project, "classifier").config
    assert classifier["data_fingerprint"] == config["data_fingerprint"]

    (trained_project / "data/08_reporting/final_topic_metrics.json").unlink()
    shutil.rmtree(trained_project / "data/04_feature/embeddings")
    # Nor the papers and texts: the TF-IDF + SVD model is the saved fit, not refitted.
    (trained_project / "data/03_primary/papers.parquet").unlink()
    shutil.rmtree(trained_project / "data/04_feature/texts")
    # The README's example input, as a fresh clone has it.
    rows = predict(trained_project, REPO_ROOT / "data/01_raw/predict_example.jsonl")
    assert [row["id"] for row in rows] == ["a1", "a2", "bad1", "a4", "a5"]
    assert [row["error"] for row in rows] == [None, None, "'abstract' is empty", None, None]
    assert rows[0]["categories"][0]["label"].startswith("astro-ph")


def test_predict_embeds_with_the_saved_fit_the_models_were_trained_with(trained_project):
    config = load_dataset(trained_project, "topic_model").config
    fits = load_dataset(trained_project, "tfidf_svd_fits")
    train = load_dataset(trained_project, "train_texts")
    stored = load_dataset(trained_project, "train_embeddings")["tfidf_svd"]
    encoder = _encoder(config, EncodingSettings(), fits)
    # The stored training vectors are this fit's transform of the same texts (float32 BLAS).
    np.testing.assert_allclose(
        encoder.encode(train.texts.slice(0, 20).to_pylist()), stored.vectors[:20], atol=1e-5
    )


def test_predict_without_a_saved_fit_is_refused_naming_the_command(trained_project, tmp_path):
    shutil.rmtree(trained_project / "data/06_models/embedding_fits")
    source = tmp_path / "new.jsonl"
    source.write_text(json.dumps(GOOD) + "\n")
    with pytest.raises(ValueError, match="no fit of it is saved") as raised:
        predict(trained_project, source)
    assert "`kedro run --pipelines embeddings`" in str(raised.value)


def test_models_built_on_other_data_are_refused_naming_both(trained_project, tmp_path):
    config_file = trained_project / "data/06_models/classifier/config.json"
    config = json.loads(config_file.read_text())
    config["data_fingerprint"] = "from-another-snapshot"
    config_file.write_text(json.dumps(config))
    source = tmp_path / "new.jsonl"
    source.write_text(json.dumps(GOOD) + "\n")
    with pytest.raises(LineageMismatchError) as raised:
        predict(trained_project, source)
    message = str(raised.value)
    assert "The topic model and the classifier were not built on the same data" in message
    assert "classifier: data from-another-snapshot" in message


def test_the_command_line_prints_one_json_object_per_abstract(trained_project, capsys):
    status = main(["--top-k", "2", "--title", GOOD["title"], GOOD["abstract"], ""])
    lines = capsys.readouterr().out.splitlines()
    assert status == 1  # one abstract could not be classified
    first, second = (json.loads(line) for line in lines)
    check_prediction(first, load_dataset(trained_project, "label_vocabulary")["labels"], top_k=2)
    assert second["error"] == "'abstract' is empty"
    assert main([GOOD["abstract"]]) == 0


def test_the_command_line_writes_only_json_on_stdout(trained_project, tmp_path):
    source = tmp_path / "new.jsonl"
    source.write_bytes(BATCH)
    result = subprocess.run(
        [sys.executable, "-m", "arxiv_pipeline.pipelines.predict", "--file", str(source)],
        cwd=trained_project,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 1, result.stderr  # some rows could not be classified
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [row["row"] for row in rows] == [1, 2, 3, 4, 5, 6, 7]
    assert rows[0]["error"] is None and rows[5]["error"].startswith("line is not valid UTF-8")
    assert "predict" in result.stderr  # Kedro's log is still there, on standard error
