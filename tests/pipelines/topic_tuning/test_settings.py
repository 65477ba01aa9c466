"""The topic study's new settings refuse bad values, naming the key."""

import pytest

from tests.parameters import topic_tuning


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"measure": "nmi"}, r"topic_tuning.measure must be one of \[.*'nmi_primary'"),
        ({"second_measure": "speed"}, r"topic_tuning.second_measure must be one of \['diversity'"),
        ({"final_size_fraction": 0.0}, r"topic_tuning.final_size_fraction must be in \(0, 1\]"),
        (
            {"size_fraction": 0.4, "final_size_fraction": 0.1},
            "topic_tuning.final_size_fraction .0.1. must be at least topic_tuning.size_fraction",
        ),
        (
            {"fixed": {"hdbscan.min_cluster_size": 20, "hdbscan.min_cluster_fraction": 0.01}},
            "both hdbscan.min_cluster_size and hdbscan.min_cluster_fraction are set",
        ),
    ],
)
def test_bad_values_name_the_key(override, message):
    with pytest.raises(ValueError, match=message):
        topic_tuning(**override)


def test_defaults_carry_over_and_bound_the_validation_outlier_share():
    settings = topic_tuning()
    assert settings.constraints["max_outlier_share"] == 0.2
    assert settings.final_size_fraction == 1.0
    assert {"hdbscan.min_cluster_fraction", "hdbscan.min_samples_ratio"} <= set(settings.space)
    assert not {"hdbscan.min_cluster_size", "hdbscan.min_samples"} & set(settings.space)
