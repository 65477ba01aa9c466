"""The topic objective on its own: seeds, pruning, constraints, two objectives."""

import json
import logging

import numpy as np
import optuna
import pytest
from optuna.trial import TrialState
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer

from arxiv_pipeline.corpus.categories import archive_of
from arxiv_pipeline.topics.assignment import HeldOutPapers
from arxiv_pipeline.topics.coherence import CoherenceScorer
from arxiv_pipeline.topics.model import (
    TOPIC_PARAMETER_RULES,
    analyzer,
    hdbscan_sizes,
)
from arxiv_pipeline.topics.objective import (
    TopicObjective,
    TopicObjectiveConfig,
    constraint_violations,
    fit_params,
)
from arxiv_pipeline.topics.reduction import ReductionCache
from arxiv_pipeline.topics.selection import chosen_trial
from arxiv_pipeline.tuning.search_space import parse_search_space

SPACE = {
    "reducer": {"type": "categorical", "choices": ["pca"]},
    "pca.n_components": {"type": "categorical", "choices": [5]},
    "hdbscan.min_cluster_size": {"type": "int", "low": 5, "high": 60, "log": True},
}
# PCA is the same under every seed; UMAP is not, which is what several seeds are for.
# One UMAP setting means one fit per seed, shared by every trial through the cache.
UMAP_SPACE = {
    **SPACE,
    "reducer": {"type": "categorical", "choices": ["umap"]},
    "umap.n_neighbors": {"type": "categorical", "choices": [15]},
}


@pytest.fixture(scope="module")
def corpus(request):
    from tests.conftest import ARXIV_SAMPLE

    if not ARXIV_SAMPLE.is_file():
        pytest.skip(f"real arXiv sample not found at {ARXIV_SAMPLE}")
    records = [json.loads(line) for line in ARXIV_SAMPLE.read_text().splitlines()]
    texts = [" ".join(f"{r['title']}. {r['abstract']}".split()) for r in records]
    vectors = TruncatedSVD(48, random_state=0).fit_transform(
        TfidfVectorizer(stop_words="english", min_df=2).fit_transform(texts)
    )
    tokenize = analyzer()
    scorer = CoherenceScorer([tokenize(text) for text in texts[1500:]])
    primary = np.array([r["categories"].split()[0] for r in records[1500:]], dtype=object)
    held_out = HeldOutPapers(
        texts[1500:],
        {"svd": vectors[1500:].astype(np.float32)},
        {"primary": primary, "archive": np.array([archive_of(c) for c in primary], dtype=object)},
    )
    return texts[:1500], {"svd": vectors[:1500].astype(np.float32)}, scorer, held_out


def objective(corpus, search_space=SPACE, **config) -> TopicObjective:
    documents, embeddings, scorer, held_out = corpus
    space = parse_search_space(search_space, TOPIC_PARAMETER_RULES, "test")
    return TopicObjective(
        documents,
        embeddings,
        scorer,
        held_out,
        space,
        TopicObjectiveConfig(**config),
        ReductionCache(),
    )


def run(study_objective: TopicObjective, n_trials: int, **study_args) -> optuna.Study:
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=1), **study_args)
    study.optimize(study_objective, n_trials=n_trials)
    return study


def first_training_papers(corpus, n: int):
    """``corpus`` with its first ``n`` training papers only (validation unchanged)."""
    documents, embeddings, scorer, held_out = corpus
    return documents[:n], {key: vectors[:n] for key, vectors in embeddings.items()}, scorer, held_out


def test_several_seeds_record_their_spread_and_prune_poor_trials(corpus):
    # UMAP computes exact neighbours below 4,096 points, in time n²: 600 training papers
    # make each seed's fit and transform several times quicker than 1,500.
    tuned = objective(first_training_papers(corpus, 600), UMAP_SPACE, seeds=(0, 1, 2))
    study = run(
        tuned, 8, direction="maximize", pruner=optuna.pruners.MedianPruner(n_startup_trials=2)
    )
    assert tuned.cache.misses == 3  # one UMAP fit per seed, reused by all 8 trials
    complete = study.get_trials(states=(TrialState.COMPLETE,))
    pruned = study.get_trials(states=(TrialState.PRUNED,))
    assert complete and pruned
    for trial in complete:
        assert len(trial.user_attrs["n_topics_per_seed"]) == 3
        assert trial.user_attrs["c_npmi_std"] > 0  # the seeds gave different clusterings
        assert sorted(trial.intermediate_values) == [0, 1, 2]
    # A pruned trial stopped before its last seed.
    assert all(max(trial.intermediate_values) < 2 for trial in pruned)


def test_constraints_mark_trials_infeasible_and_the_final_choice_respects_them(corpus):
    tuned = objective(corpus, constraints={"min_topics": 10_000})
    study = run(tuned, 3, direction="maximize")
    assert all(trial.user_attrs["constraints"][0] > 0 for trial in study.trials)
    with pytest.raises(ValueError, match="no complete trial within its constraints"):
        chosen_trial(study, "best", {"min_topics": 10_000})


def test_two_objectives_give_a_pareto_front_and_a_chosen_trial(corpus):
    tuned = objective(corpus, multi_objective=True)
    study = run(tuned, 5, directions=["maximize", "maximize"])
    assert all(len(trial.values) == 2 for trial in study.trials)
    assert all(trial.values[1] == trial.user_attrs["diversity"] for trial in study.trials)
    best = chosen_trial(study, "best", {})
    assert best.number in {trial.number for trial in study.best_trials}
    assert best.values[0] == max(trial.values[0] for trial in study.best_trials)


def test_the_outlier_ceiling_makes_a_trial_that_leaves_validation_papers_out_infeasible(
    corpus, caplog
):
    caplog.set_level(logging.INFO, logger="arxiv_pipeline.topics.objective")
    space = {
        **SPACE,
        "outliers.strategy": {"type": "categorical", "choices": ["none", "embeddings"]},
    }
    tuned = objective(corpus, space, constraints={"max_outlier_share": 0.2})
    study = optuna.create_study(direction="maximize")
    for strategy in ("none", "embeddings"):
        study.enqueue_trial(
            {
                "reducer": "pca",
                "pca.n_components": 5,
                "hdbscan.min_cluster_size": 8,
                "outliers.strategy": strategy,
            }
        )
    study.optimize(tuned, n_trials=2)
    kept, reduced = study.trials
    # PCA to 5 dimensions leaves most validation papers outliers; reduction assigns them.
    assert kept.user_attrs["validation_outlier_share"] > 0.5
    assert (
        kept.user_attrs["validation_outlier_share_before"]
        == kept.user_attrs["validation_outlier_share"]
    )
    assert kept.user_attrs["constraints"] == [
        pytest.approx(kept.user_attrs["validation_outlier_share"] - 0.2, abs=1e-12)
    ]
    assert reduced.user_attrs["validation_outlier_share_before"] > 0.5
    assert reduced.user_attrs["validation_outlier_share"] <= 0.2
    assert reduced.user_attrs["constraints"][0] <= 0
    assert chosen_trial(study, "best", {"max_outlier_share": 0.2}).number == reduced.number
    # The run log says, trial by trial, what it found and whether it is feasible.
    lines = [
        record.getMessage()
        for record in caplog.records
        if record.name == "arxiv_pipeline.topics.objective"
    ]
    assert lines[0].endswith(": infeasible (max_outlier_share).") and lines[1].endswith(
        ": feasible."
    )
    assert f"{kept.user_attrs['n_topics']:.1f} topics" in lines[0]
    # A trial recorded before validation was assigned cannot show it is within the ceiling.
    assert constraint_violations({"n_topics": 3}, {"max_outlier_share": 0.2}) == [float("inf")]


def test_agreement_as_the_objective_and_as_a_second_objective(corpus):
    study = run(objective(corpus, measure="nmi_primary"), 3, direction="maximize")
    for trial in study.trials:
        assert trial.value == trial.user_attrs["nmi_primary"]
        assert {"c_npmi", "ari_primary", "nmi_archive", "ari_archive_assigned"} <= set(
            trial.user_attrs
        )
    pareto = run(
        objective(corpus, multi_objective=True, second_measure="nmi_archive"),
        3,
        directions=["maximize", "maximize"],
    )
    assert all(
        trial.values == [trial.user_attrs["c_npmi"], trial.user_attrs["nmi_archive"]]
        for trial in pareto.trials
    )


def test_size_free_hdbscan_parameters_scale_with_the_fit():
    params = fit_params(
        {"hdbscan.min_cluster_fraction": 0.01, "hdbscan.min_samples_ratio": 0.25}, "svd"
    )
    assert hdbscan_sizes(params, 1_600) == (16, 4)
    assert hdbscan_sizes(params, 94_000) == (940, 235)
    assert hdbscan_sizes(params, 50) == (2, 1)  # HDBSCAN's least sizes
    assert hdbscan_sizes(fit_params({"hdbscan.min_cluster_size": 30}, "svd"), 94_000) == (30, None)


def test_min_samples_is_capped_where_the_neighbour_search_would_outgrow_memory():
    # The ratio a 500,000-paper study drew: 4,678 neighbours of 159,856 papers (12 GB).
    drawn = {"hdbscan.min_cluster_fraction": 0.045, "hdbscan.min_samples_ratio": 0.65}
    assert hdbscan_sizes(fit_params(drawn, "svd"), 159_856) == (7_194, 500)
    assert hdbscan_sizes(fit_params(drawn, "svd"), 5_000) == (225, 146)  # below the cap
    # HDBSCAN takes min_samples = min_cluster_size where it is None: capped alike.
    sizes = fit_params({"hdbscan.min_cluster_size": 2_000, "hdbscan.max_min_samples": 300}, "svd")
    assert hdbscan_sizes(sizes, 94_000) == (2_000, 300)
