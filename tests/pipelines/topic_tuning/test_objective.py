"""The topic objective on its own: seeds, pruning, constraints, two objectives."""

import json

import numpy as np
import optuna
import pytest
from optuna.trial import TrialState
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer

from arxiv_pipeline.topics.coherence import CoherenceScorer
from arxiv_pipeline.topics.model import (
    TOPIC_PARAMETER_RULES,
    analyzer,
)
from arxiv_pipeline.topics.objective import (
    TopicObjective,
    TopicObjectiveConfig,
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
    return texts[:1500], {"svd": vectors[:1500].astype(np.float32)}, scorer


def objective(corpus, search_space=SPACE, **config) -> TopicObjective:
    documents, embeddings, scorer = corpus
    space = parse_search_space(search_space, TOPIC_PARAMETER_RULES, "test")
    return TopicObjective(documents, embeddings, scorer, space, TopicObjectiveConfig(**config), ReductionCache())


def run(study_objective: TopicObjective, n_trials: int, **study_args) -> optuna.Study:
    study = optuna.create_study(sampler=optuna.samplers.TPESampler(seed=1), **study_args)
    study.optimize(study_objective, n_trials=n_trials)
    return study


def test_several_seeds_record_their_spread_and_prune_poor_trials(corpus):
    tuned = objective(corpus, UMAP_SPACE, seeds=(0, 1, 2))
    study = run(tuned, 8, direction="maximize", pruner=optuna.pruners.MedianPruner(n_startup_trials=2))
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

