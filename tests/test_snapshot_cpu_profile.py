"""``kedro run --env snapshot_cpu``, the CPU profile for the whole snapshot: its configuration
loads and every parameter validates, as Kedro types them before a run (no pipeline runs)."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
from kedro.framework.session import KedroSession

from arxiv_pipeline.classifier.settings import ClassifierTuning
from arxiv_pipeline.embedding import EmbeddingsParams, TfidfSvdSpec
from arxiv_pipeline.reporting.settings import EvaluationParams
from arxiv_pipeline.topics.settings import TopicTuning
from tests.conftest import REPO_ROOT
from tests.parameters import embeddings_settings, paper_splits_by_size
from tests.parameters import topic_tuning as base_topic_tuning

ENV = "snapshot_cpu"


def test_the_snapshot_cpu_environment_embeds_with_tfidf_svd_only_and_validates(project: Path):
    shutil.copytree(REPO_ROOT / "conf" / ENV, project / "conf" / ENV)
    with KedroSession.create(project_path=project, env=ENV) as session:
        context = session.load_context()
        # Typed as the nodes' annotations ask: every parameter is checked here.
        params = context.params
        catalog = context.catalog
    embeddings = params["embeddings"]
    assert isinstance(embeddings, EmbeddingsParams)
    assert list(embeddings.models) == ["tfidf_svd"]
    assert isinstance(embeddings.models["tfidf_svd"], TfidfSvdSpec)
    topic_tuning, classifier_tuning = params["topic_tuning"], params["classifier_tuning"]
    assert isinstance(topic_tuning, TopicTuning) and isinstance(classifier_tuning, ClassifierTuning)
    # Nothing asks for embeddings the profile does not make.
    assert topic_tuning.search_space["embedding_model"]["choices"] == ["tfidf_svd"]
    assert classifier_tuning.embedding_model == "tfidf_svd"
    assert classifier_tuning.max_epochs == 10  # half of conf/base's: epochs over 2M papers
    assert topic_tuning.word_embedding_model is None  # no sentence-transformers model to rank words
    evaluation = params["evaluation"]
    assert isinstance(evaluation, EvaluationParams)
    assert evaluation.seeds == (topic_tuning.seed,) and evaluation.tfidf_logreg["C"] == [10.0]
    # Every fit that grows with the corpus is capped (conf/base's caps hold here).
    assert topic_tuning.final_max_papers and evaluation.tfidf_logreg["max_train_papers"]
    # The rest is conf/base's: the environment changes only what it writes.
    assert topic_tuning.n_trials == base_topic_tuning().n_trials
    assert embeddings.encoding == EmbeddingsParams("{abstract}", embeddings_settings()["encoding"]).encoding
    assert "tfidf_svd_fits" in catalog.keys()
    # The whole snapshot's 2,000,000 training and 250,000 validation papers, spread over the
    # profile's nested subsets as ingestion spreads them: trials fit on about 10,000
    # papers, the final model on about 100,000 (under final_max_papers 120,000), and are
    # scored on about 25,000.
    sizes = np.asarray(params["ingestion"].split.size_fractions)
    per_size = {
        split: dict(zip(sizes, np.diff(np.concatenate([[0.0], sizes])) * papers, strict=True))
        for split, papers in (("train", 2_000_000), ("validation", 250_000))
    }
    snapshot = paper_splits_by_size(*({size: round(n) for size, n in per_size[split].items()} for split in per_size))
    assert (
        topic_tuning.trial_fraction(snapshot),
        topic_tuning.final_fraction(snapshot),
        topic_tuning.validation_fraction(snapshot),
    ) == (0.005, 0.05, 0.1)
