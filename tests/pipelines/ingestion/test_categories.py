import pytest

from arxiv_pipeline.corpus.categories import (
    archive_of,
    canonical_categories,
    flatten_category_map,
)

MAPPING = {"math.IT": "cs.IT", "alg-geom": "math.AG", "math.MP": "math-ph"}


def test_aliases_and_retired_archives_are_mapped_keeping_order_and_primary():
    assert canonical_categories("alg-geom hep-th math.IT", MAPPING) == ["math.AG", "hep-th", "cs.IT"]


def test_a_label_and_its_alias_collapse_into_one():
    assert canonical_categories("cs.IT math.IT  math-ph math.MP", MAPPING) == ["cs.IT", "math-ph"]


@pytest.mark.parametrize(
    ("category", "archive"),
    [("math.CO", "math"), ("hep-th", "hep-th"), ("astro-ph.CO", "astro-ph"), ("cs.LG", "cs")],
)
def test_archive_of(category, archive):
    assert archive_of(category) == archive


def test_project_category_map_is_consistent():
    from kedro.config import OmegaConfigLoader

    from tests.conftest import REPO_ROOT

    params = OmegaConfigLoader(str(REPO_ROOT / "conf"), base_env="base", default_run_env="base")[
        "parameters"
    ]
    merged = flatten_category_map(params["category_map"])
    assert len(params["category_map"]["retired"]) == 18
    assert len(merged) == 18 + 6
    assert merged["supr-con"] == "cond-mat.supr-con"
    assert merged["math.IT"] == "cs.IT"


def test_chained_or_repeated_mappings_are_refused():
    with pytest.raises(ValueError, match="themselves mapped"):
        flatten_category_map({"aliases": {"a": "b"}, "retired": {"b": "c"}})
    with pytest.raises(ValueError, match="mapped twice"):
        flatten_category_map({"aliases": {"a": "b"}, "retired": {"a": "c"}})


@pytest.mark.parametrize("target", ["", "  ", "cs.IT math.IT", None])
def test_a_mapping_to_anything_but_one_label_is_refused(target):
    # A blank target would leave a paper without its label, two would split one label.
    with pytest.raises(ValueError, match=r"category_map\.aliases\.math\.IT: the target must be one"):
        flatten_category_map({"aliases": {"math.IT": target}})
