import optuna
import pytest
from optuna.distributions import (
    CategoricalDistribution,
    FloatDistribution,
    IntDistribution,
)

from arxiv_pipeline.topics.model import TOPIC_PARAMETER_RULES
from arxiv_pipeline.tuning.search_space import parse_search_space, suggest


def parse(spec):
    return parse_search_space(spec, TOPIC_PARAMETER_RULES, "topic_tuning.search_space")


def test_typed_distributions_keep_their_types():
    space = parse(
        {
            "hdbscan.min_cluster_size": {"type": "int", "low": 10, "high": 200, "log": True},
            "hdbscan.cluster_selection_epsilon": {"type": "float", "low": 0.0, "high": 0.5},
            "hdbscan.cluster_selection_method": {"type": "categorical", "choices": ["eom", "leaf"]},
            "umap.n_neighbors": {"type": "categorical", "choices": [15, 50]},
        }
    )
    assert space["hdbscan.min_cluster_size"] == IntDistribution(10, 200, log=True)
    assert space["hdbscan.cluster_selection_epsilon"] == FloatDistribution(0.0, 0.5)
    assert space["hdbscan.cluster_selection_method"] == CategoricalDistribution(["eom", "leaf"])
    # The earlier research cast epsilon to int, so every value below 1 ran as 0.
    study = optuna.create_study(sampler=optuna.samplers.RandomSampler(seed=0))
    values = [suggest(study.ask(), space)["hdbscan.cluster_selection_epsilon"] for _ in range(5)]
    assert all(isinstance(value, float) for value in values) and len(set(values)) == 5


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"hdbscan.min_size": {"type": "int", "low": 1, "high": 2}}, "hdbscan.min_size: unknown parameter"),
        ({"umap.min_dist": {"type": "int", "low": 0, "high": 1}}, "umap.min_dist: type must be float"),
        ({"umap.n_neighbors": {"type": "int", "low": 1, "high": 50}}, "umap.n_neighbors: 1 is below the minimum 2"),
        ({"umap.n_neighbors": {"type": "int", "low": 5.5, "high": 50}}, "5.5 is not an int"),
        ({"vectorizer.max_df": {"type": "float", "low": 0.5}}, "needs 'low' and 'high'"),
        ({"hdbscan.min_samples": {"type": "int", "low": 0, "high": 5, "log": True}}, "0 is below the minimum 1"),
        ({"umap.min_dist": {"type": "float", "low": 0.0, "high": 0.5, "log": True}}, "umap.min_dist: "),
        ({"reducer": {"type": "categorical", "choices": ["umap", "tsne"]}}, "'tsne' is not one of"),
        ({"reducer": {"type": "categorical", "choices": []}}, "non-empty 'choices'"),
        ({"reducer": {"type": "choice", "choices": ["umap"]}}, "type must be one of"),
        ({"umap.min_dist": {"type": "float", "low": 0.0, "high": 0.5, "sigma": 1}}, "unknown keys ['sigma']"),
    ],
)
def test_bad_search_spaces_fail_naming_the_parameter(spec, message):
    with pytest.raises(ValueError, match=r"Invalid search space") as error:
        parse(spec)
    assert message in str(error.value)


def test_every_problem_is_reported_at_once():
    with pytest.raises(ValueError) as error:
        parse({"a": {"type": "int"}, "b": {"type": "int"}})
    assert "topic_tuning.search_space.a" in str(error.value)
    assert "topic_tuning.search_space.b" in str(error.value)


def test_project_search_space_is_valid():
    from kedro.config import OmegaConfigLoader

    from tests.conftest import REPO_ROOT

    params = OmegaConfigLoader(str(REPO_ROOT / "conf"), base_env="base", default_run_env="base")[
        "parameters"
    ]
    space = parse(params["topic_tuning"]["search_space"])
    assert set(space) <= set(TOPIC_PARAMETER_RULES)


def test_unknown_fixed_topic_parameters_are_refused():
    from tests.parameters import topic_tuning

    with pytest.raises(ValueError, match=r"topic_tuning.fixed.hdbscan.min_size: unknown parameter"):
        topic_tuning(fixed={"hdbscan.min_size": 5})
    with pytest.raises(ValueError, match=r"topic_tuning.fixed.reducer: 'tsne' is not one of"):
        topic_tuning(fixed={"reducer": "tsne"})
    # A fixed value the declared search space excludes contradicts it.
    with pytest.raises(ValueError, match=r"topic_tuning.fixed.hdbscan.min_cluster_fraction: 0.001 is outside"):
        topic_tuning(fixed={"hdbscan.min_cluster_fraction": 0.001})
    settings = topic_tuning(fixed={"hdbscan.min_samples_ratio": 0.5})
    assert settings.fixed == {"hdbscan.min_samples_ratio": 0.5}
    # Every trial suggests it (PartialFixedSampler holds it), so trials record it.
    assert settings.space["hdbscan.min_samples_ratio"] == FloatDistribution(0.05, 1.0, log=True)
    # The absolute form still works: fixed, it replaces the searched size-free form.
    settings = topic_tuning(fixed={"hdbscan.min_samples": 5})
    assert settings.space["hdbscan.min_samples"] == CategoricalDistribution([5])
    assert "hdbscan.min_samples_ratio" not in settings.space


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"measure": "u_mass"}, "topic_tuning.measure must be one of"),
        ({"pruner": {"type": "mediane"}}, r"topic_tuning.pruner.type must be one of \[.*'median'"),
        ({"pruner": {"type": "median", "n_startup": 5}}, "topic_tuning.pruner: MedianPruner: .*n_startup"),
        ({"sampler": {"type": "tpe", "multivariat": True}}, "topic_tuning.sampler: TPESampler: .*multivariat"),
        ({"constraints": {"min_topic": 5}}, r"topic_tuning.constraints: unknown limits \['min_topic'\]"),
        ({"n_trials": 0}, "topic_tuning.n_trials must be a whole number of at least 1"),
        ({"study_name": ""}, "topic_tuning.study_name must be a non-empty name"),
        ({"mesure": "c_v"}, "unexpected keyword argument 'mesure'"),
    ],
)
def test_bad_topic_settings_name_the_key(override, message):
    from tests.parameters import topic_tuning

    with pytest.raises((ValueError, TypeError), match=message):
        topic_tuning(**override)


def test_samplers_and_pruners_are_built_from_parameters():
    from arxiv_pipeline.tuning.components import build_pruner, build_sampler

    assert isinstance(build_pruner({"type": "MedianPruner"}, "x"), optuna.pruners.MedianPruner)
    assert isinstance(build_pruner({"type": "none"}, "x"), optuna.pruners.NopPruner)
    # max_resource goes only to a pruner that takes it.
    hyperband = build_pruner({"type": "hyperband", "min_resource": 2}, "x", max_resource=20)
    assert hyperband._max_resource == 20
    assert isinstance(build_pruner({"type": "median"}, "x", max_resource=20), optuna.pruners.MedianPruner)
    patient = build_pruner({"type": "patient", "patience": 2, "wrapped_pruner": {"type": "median"}}, "x")
    assert isinstance(patient._wrapped_pruner, optuna.pruners.MedianPruner)
    fixed = build_sampler({"type": "random"}, "x", seed=3, fixed={"a": 0.25})
    assert isinstance(fixed, optuna.samplers.PartialFixedSampler)
    study = optuna.create_study(sampler=fixed)
    study.optimize(lambda trial: trial.suggest_float("a", 0, 1) + trial.suggest_float("b", 0, 1), n_trials=3)
    assert {trial.params["a"] for trial in study.trials} == {0.25}
    assert len({trial.params["b"] for trial in study.trials}) == 3
