"""Typed ``ingestion`` parameters: what Kedro builds from parameters_ingestion.yml."""

from pathlib import Path

import pytest
import yaml

from arxiv_pipeline.corpus.config import IngestionParams, SplitParams

PARAMETERS = Path(__file__).parents[3] / "conf" / "base" / "parameters_ingestion.yml"


def raw(**changes) -> dict:
    ingestion = yaml.safe_load(PARAMETERS.read_text())["ingestion"]
    split = {**ingestion["split"], **changes.pop("split", {})}
    return {**ingestion, **changes, "split": split}


def test_the_project_parameters_build_typed_settings():
    params = IngestionParams(**raw())
    assert params.max_rejected_share == 0.01 and params.parse_threads is None
    assert isinstance(params.split, SplitParams) and params.split.size_fractions[-1] == 1.0


@pytest.mark.parametrize(
    ("changes", "key"),
    [
        ({"max_rejected_share": 1.5}, "ingestion.max_rejected_share"),
        ({"max_rejected_share": "1%"}, "ingestion.max_rejected_share"),
        ({"block_bytes": 0}, "ingestion.block_bytes"),
        ({"parse_threads": 0}, "ingestion.parse_threads"),
        ({"min_label_count": True}, "ingestion.min_label_count"),
        ({"split": {"seed": 1.5}}, "ingestion.split.seed"),
        ({"split": {"fractions": {"train": 0.9, "test": 0.1}}}, "ingestion.split.fractions"),
        ({"split": {"fractions": {"train": 0.8, "validation": 0.1, "test": 0.2}}}, "ingestion.split"),
        ({"split": {"size_fractions": [0.5, 0.1, 1.0]}}, "ingestion.split"),
        ({"split": {"extra": 1}}, "ingestion.split"),
    ],
)
def test_a_bad_value_is_refused_naming_its_key(changes, key):
    with pytest.raises(ValueError, match=rf"^{key.replace('.', '[.]')}[: ]"):
        IngestionParams(**raw(**changes))
