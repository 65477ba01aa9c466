"""The saved topic model carries its own config, beside BERTopic's safetensors files."""

import json

import numpy as np
import pytest
from bertopic import BERTopic
from bertopic.dimensionality import BaseDimensionalityReduction
from kedro.io import DatasetError
from sklearn.cluster import KMeans

from arxiv_pipeline.datasets.bertopic_dataset import BERTopicDataset
from arxiv_pipeline.topics.bundle import TopicModelBundle

DOCUMENTS = [f"dark matter halo simulation {i}" for i in range(10)] + [
    f"spin chain entanglement entropy {i}" for i in range(10)
]
CONFIG = {"embedding_model": "tfidf_svd", "topn": 10, "top_n_words": 10, "params": {"a": 1}}


@pytest.fixture(scope="module")
def bundle() -> TopicModelBundle:
    vectors = np.repeat(np.eye(2, 8, dtype=np.float32), 10, axis=0)
    vectors += np.random.default_rng(0).normal(scale=0.01, size=vectors.shape).astype(np.float32)
    model = BERTopic(
        umap_model=BaseDimensionalityReduction(),
        hdbscan_model=KMeans(2, n_init=1, random_state=0),
    ).fit(DOCUMENTS, embeddings=vectors)
    return TopicModelBundle(model, CONFIG)


def test_the_config_is_saved_and_loaded_with_the_model(bundle, tmp_path):
    dataset = BERTopicDataset(str(tmp_path / "topic_model"))
    dataset.save(bundle)
    folder = tmp_path / "topic_model"
    # BERTopic's own config.json (its constructor arguments) is left as BERTopic wrote it.
    assert json.loads((folder / "pipeline_config.json").read_text()) == CONFIG
    assert (folder / "config.json").is_file() and not list(folder.glob("*.pkl"))
    loaded = dataset.load()
    assert loaded.config == CONFIG
    assert loaded.model.get_topic_info()["Count"].tolist() == [10, 10]


def test_a_model_saved_without_its_config_says_to_run_topic_tuning_again(bundle, tmp_path):
    dataset = BERTopicDataset(str(tmp_path / "topic_model"))
    dataset.save(bundle)
    (tmp_path / "topic_model/pipeline_config.json").unlink()
    with pytest.raises(DatasetError, match="has no pipeline_config.json .* topic_tuning"):
        dataset.load()
