"""topic_views on an in-memory catalog: its nodes are pure and talk only through the catalog.

The same pipeline, fed the same inputs as MemoryDatasets and run by Kedro's
SequentialRunner, must produce what the project's run wrote to its files.
"""

import json

import pandas as pd
import pytest
from kedro.io import DataCatalog, MemoryDataset
from kedro.runner import SequentialRunner

from arxiv_pipeline.pipelines.topic_views import create_pipeline
from arxiv_pipeline.topics.views import TopicViews
from tests.conftest import load_dataset
from tests.workflows import reported_copy

#: What the pipeline reads; Kedro builds params:topic_views as a TopicViews.
INPUTS = (
    "topic_model",
    "train_embeddings",
    "topic_assignments",
    "topic_table",
    "coarse_topic_table",
    "papers",
    "params:topic_views",
)
#: The pipeline's final outputs, which the runner hands back (it releases intermediate ones).
FINAL_OUTPUTS = {
    "topic_trends",
    "rising_and_falling_topics",
    "topics_over_time_figure",
    "topic_archive_heatmap",
    "topic_map_by_archive",
    "document_map_by_archive",
    "topic_atlas",
}


@pytest.fixture
def reported_project(project, arxiv_sample):
    return reported_copy(project, arxiv_sample)


def test_an_in_memory_run_gives_what_the_project_run_wrote(reported_project):
    catalog = DataCatalog(
        {
            name: MemoryDataset(load_dataset(reported_project, name), copy_mode="assign")
            for name in INPUTS
        }
    )
    assert isinstance(catalog.load("params:topic_views"), TopicViews)

    outputs = {
        name: value.load()
        for name, value in SequentialRunner().run(create_pipeline(), catalog).items()
    }

    assert set(outputs) == FINAL_OUTPUTS
    pd.testing.assert_frame_equal(
        outputs["topic_trends"], load_dataset(reported_project, "topic_trends"), check_dtype=False
    )
    assert outputs["rising_and_falling_topics"] == load_dataset(
        reported_project, "rising_and_falling_topics"
    )
    assert outputs["topic_atlas"] == load_dataset(reported_project, "topic_atlas")
    for figure in ("topic_archive_heatmap", "topic_map_by_archive", "document_map_by_archive"):
        expected = json.loads(load_dataset(reported_project, figure).to_json())
        assert json.loads(outputs[figure].to_json())["data"] == expected["data"]
