"""Evaluation refuses models that were not built on the current papers and embeddings."""

import json
from pathlib import Path

import pytest
from kedro.framework.session import KedroSession

from arxiv_pipeline.embedding.lineage import LineageMismatchError
from tests.workflows import trained_copy


@pytest.fixture
def trained_project(project, arxiv_sample):
    return trained_copy(project, arxiv_sample)


def edit_config(path: Path, **changes) -> None:
    config = json.loads(path.read_text())
    for key, value in changes.items():
        if isinstance(value, dict):
            config[key] = {**config[key], **value}
        else:
            config[key] = value
    path.write_text(json.dumps(config))


def run_nodes(project: Path, *node_names: str) -> None:
    with KedroSession.create(project_path=project) as session:
        session.run(pipeline_names=["evaluation"], node_names=list(node_names))


def test_a_topic_model_built_on_other_texts_is_refused(trained_project):
    edit_config(
        trained_project / "data/06_models/topic_model/pipeline_config.json",
        embedding_cache_key={"text_fingerprint": "demo-texts"},
    )
    with pytest.raises(LineageMismatchError) as raised:
        run_nodes(trained_project, "fit_topic_baselines")
    message = str(raised.value)
    assert "The topic model and the current data were not built on the same data" in message
    assert "'text_fingerprint': 'demo-texts'" in message


def test_a_classifier_built_on_other_papers_is_refused(trained_project):
    edit_config(
        trained_project / "data/06_models/classifier/config.json", data_fingerprint="demo-data"
    )
    with pytest.raises(LineageMismatchError, match="classifier: data demo-data"):
        run_nodes(trained_project, "build_evaluation_targets", "score_with_classifier")
