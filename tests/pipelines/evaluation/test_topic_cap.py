"""Under ``topic_tuning.final_max_papers``, the final topic model and every model of the
evaluation are fitted on the same nested subset of train, and every paper still gets a topic."""

import logging

import numpy as np
from kedro.framework.session import KedroSession

from arxiv_pipeline.corpus.splitting import SPLITS
from arxiv_pipeline.pipelines.topic_tuning import nodes as topic_tuning_nodes
from arxiv_pipeline.topics.baselines import tuned_bertopic
from arxiv_pipeline.topics.corpus import TopicCorpus
from tests.conftest import load_dataset
from tests.workflows import EVALUATION_SEEDS, FAST_SPACE, embedded_copy, tune

#: FAST_SPACE's PCA with k-means: a fit on any number of papers has topics to compare.
KMEANS_SPACE = {
    **{name: FAST_SPACE[name] for name in ("embedding_model", "reducer", "pca.n_components")},
    "cluster": {"type": "categorical", "choices": ["kmeans"]},
    "kmeans.n_clusters": {"type": "int", "low": 6, "high": 10},
}


def test_the_final_model_and_the_evaluation_fit_on_the_capped_subset(project, arxiv_sample, caplog):
    embedded = embedded_copy(project, arxiv_sample)
    splits = load_dataset(embedded, "paper_splits")
    sizes = splits.loc[splits["split"] == "train", "size_fraction"]
    # One paper short of the whole split: the largest nested subset within the cap is 0.4.
    cap, capped = len(sizes) - 1, int((sizes <= 0.4).sum())
    # The same for validation: trials and candidates are scored on its 0.4 subset.
    validation = splits.loc[splits["split"] == "validation", "size_fraction"]
    validation_cap, scored = len(validation) - 1, int((validation <= 0.4).sum())
    logger = logging.getLogger(topic_tuning_nodes.__name__)
    logger.addHandler(caplog.handler)
    try:
        study = tune(
            embedded,
            KMEANS_SPACE,
            figures=False,
            n_trials=2,
            size_fraction=0.1,
            final_max_papers=cap,
            validation_max_papers=validation_cap,
            assign_chunk_size=97,
            assign_jobs=2,
        )
    finally:
        logger.removeHandler(caplog.handler)
    assert (
        f"The final topic model is fitted on {capped} of {len(sizes)} training papers: the nested "
        f"subset 0.4 (final_size_fraction 1, final_max_papers {cap}); every paper is assigned 97 at a time, in 2 processes."
    ) in caplog.messages
    assert any(
        f"are scored on {scored} validation papers (the nested subset 0.4; validation_max_papers {validation_cap})"
        in message
        for message in caplog.messages
    )
    # A study scored on other validation papers is not comparable: its fingerprint says which.
    assert "validation_size_fraction=0.4;" in study.user_attrs["provenance"]["data_fingerprint"]
    final = load_dataset(embedded, "final_topic_metrics")
    assert (final["fit_documents"], final["fit_size_fraction"], final["final_max_papers"]) == (capped, 0.4, cap)
    assert final["scored_validation_papers"] == scored
    assert final["validation"]["n_topics"] >= 6
    # Every paper of every split has a topic, train's and validation's papers outside the
    # subsets included.
    assignments = load_dataset(embedded, "topic_assignments")
    assert len(assignments) == len(splits) and set(assignments["id"]) == set(splits["id"])

    # The evaluation's models, under every seed, are fitted on the final model's papers (as
    # final_topic_metrics records them) and assign the others.
    with KedroSession.create(
        project_path=embedded, runtime_params={"evaluation": {"seeds": EVALUATION_SEEDS}}
    ) as session:
        outputs = session.run(pipeline_names=["evaluation"], node_names=["fit_topic_baselines"])
    baselines = outputs["topic_baselines"].load()
    held_out = {split: int((splits["split"] == split).sum()) for split in ("validation", "test")}
    for runs in baselines.values():
        assert len(runs) == len(EVALUATION_SEEDS)
        for fitted in runs:
            assert {split: len(topics) for split, topics in fitted.assignments.items()} == {
                "train": capped,
                **held_out,
            }

    # The evaluation's refit under the final model's seed, on the capped subset, is the final model.
    corpus = TopicCorpus(
        splits,
        {split: load_dataset(embedded, f"{split}_texts") for split in SPLITS},
        {split: load_dataset(embedded, f"{split}_embeddings") for split in SPLITS},
        {"train": final["fit_size_fraction"]},
    )
    key = final["params"]["embedding_model"]
    fine, _ = tuned_bertopic(
        {split: corpus.documents(split) for split in SPLITS},
        {split: corpus.vectors(split, key) for split in SPLITS},
        final["params"],
        final["seed"],
        final["coarse"]["n_topics"],
        chunk_size=31,
    )
    saved = assignments.set_index("id")
    for split in SPLITS:
        np.testing.assert_array_equal(fine.assignments[split], saved.loc[corpus.ids(split), "topic"].to_numpy())
