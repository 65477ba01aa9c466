"""The topic study's new settings refuse bad values, naming the key."""

import pytest

from tests.parameters import paper_splits_by_size, topic_tuning


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
        ({"final_max_papers": 0}, "topic_tuning.final_max_papers must be a whole number of at least 1"),
        ({"final_max_papers": 1e5}, "topic_tuning.final_max_papers must be a whole number of at least 1"),
        ({"assign_chunk_size": 0}, "topic_tuning.assign_chunk_size must be a whole number of at least 1"),
    ],
)
def test_bad_values_name_the_key(override, message):
    with pytest.raises(ValueError, match=message):
        topic_tuning(**override)


def test_defaults_carry_over_and_bound_the_validation_outlier_share():
    settings = topic_tuning()
    assert settings.constraints["max_outlier_share"] == 0.2
    assert settings.final_size_fraction == 1.0
    assert settings.final_max_papers == 250_000 and settings.assign_chunk_size == 50_000
    assert {"hdbscan.min_cluster_fraction", "hdbscan.min_samples_ratio"} <= set(settings.space)
    assert not {"hdbscan.min_cluster_size", "hdbscan.min_samples"} & set(settings.space)


@pytest.mark.parametrize(
    ("train_per_size", "expected"),
    [
        # The 118,180-paper corpus's train split: 4,734 / 9,456 / 37,836 / 94,549 papers.
        ({0.05: 4734, 0.1: 4722, 0.4: 28380, 1.0: 56713}, 0.1),
        ({0.05: 5000, 0.1: 5000, 0.4: 30000, 1.0: 60000}, 0.05),  # exactly enough
        ({0.05: 80, 0.1: 80, 0.4: 480, 1.0: 960}, 1.0),  # the 2,000-paper sample's size
    ],
)
def test_auto_size_fraction_is_the_smallest_subset_with_enough_papers(train_per_size, expected):
    assert topic_tuning(size_fraction="auto").trial_fraction(paper_splits_by_size(train_per_size)) == expected
    assert topic_tuning(size_fraction=0.4).trial_fraction(paper_splits_by_size(train_per_size)) == 0.4


def test_auto_size_fraction_refuses_a_smaller_final_fit():
    settings = topic_tuning(size_fraction="auto", final_size_fraction=0.05)  # fine until resolved
    with pytest.raises(ValueError, match=r"final_size_fraction \(0.05\) must be at least .*here 0.1"):
        settings.trial_fraction(paper_splits_by_size({0.05: 4734, 0.1: 4722, 0.4: 28380, 1.0: 56713}))


def test_size_fraction_refuses_other_words():
    with pytest.raises(ValueError, match=r"topic_tuning.size_fraction must be auto or in \(0, 1\], got 'half'"):
        topic_tuning(size_fraction="half")


#: The 118,180-paper corpus's train split: 4,734 / 9,456 / 37,836 / 94,549 papers in the
#: nested subsets 0.05 / 0.1 / 0.4 / 1.0.
REAL_TRAIN = {0.05: 4734, 0.1: 4722, 0.4: 28380, 1.0: 56713}


@pytest.mark.parametrize(
    ("settings", "expected"),
    [
        ({}, 1.0),  # the default cap, 250,000, is above the whole split
        ({"final_max_papers": None}, 1.0),
        ({"final_max_papers": 94549}, 1.0),  # the whole split, exactly
        ({"final_max_papers": 94548}, 0.4),
        ({"final_max_papers": 37836}, 0.4),
        ({"final_max_papers": 37835}, 0.1),
        ({"final_size_fraction": 0.4}, 0.4),
        ({"final_size_fraction": 0.4, "final_max_papers": 20000}, 0.1),
        # Trials fit on 0.05 here, so the cap may leave the final model that subset; below
        # it, that smallest subset is what there is.
        ({"size_fraction": 0.05, "final_max_papers": 4734}, 0.05),
        ({"size_fraction": 0.05, "final_max_papers": 4000}, 0.05),
    ],
)
def test_the_cap_leaves_the_largest_nested_subset_within_it(settings, expected):
    assert topic_tuning(**settings).final_fraction(paper_splits_by_size(REAL_TRAIN)) == expected


def test_a_cap_below_the_trials_subset_is_refused():
    # auto resolves to 0.1 here (0.05 holds fewer than 5,000 papers): 0.05 would be smaller.
    with pytest.raises(ValueError, match=r"the nested subset 0.05 of train, smaller than the trials' \(0.1\)"):
        topic_tuning(final_max_papers=9000).final_fraction(paper_splits_by_size(REAL_TRAIN))


#: The 2.5 million papers' validation split, about 250,000 papers, in its nested subsets.
FULL_SNAPSHOT_VALIDATION = {0.05: 12_500, 0.1: 12_500, 0.4: 75_000, 1.0: 150_000}


@pytest.mark.parametrize(
    ("cap", "expected"),
    [
        (50_000, 0.1),  # the default: 25,000 papers of the full snapshot's validation
        (100_000, 0.4),
        (250_000, 1.0),
        (None, 1.0),
        (10_000, 0.05),  # below the smallest subset: that subset
    ],
)
def test_trials_are_scored_on_the_largest_validation_subset_within_the_cap(cap, expected):
    settings = topic_tuning(validation_max_papers=cap)
    assert settings.validation_fraction(paper_splits_by_size({1.0: 10}, FULL_SNAPSHOT_VALIDATION)) == expected


def test_the_validation_cap_must_be_a_count():
    with pytest.raises(ValueError, match="topic_tuning.validation_max_papers must be a whole number of at least 1"):
        topic_tuning(validation_max_papers=0)


def test_assignment_runs_in_a_process_per_core_unless_told():
    from arxiv_pipeline.embedding.cpu_runtime import current_cpu

    assert topic_tuning().assign_processes == current_cpu().cores >= 1
    assert topic_tuning(assign_jobs=3).assign_processes == 3
    with pytest.raises(ValueError, match="topic_tuning.assign_jobs must be a whole number of at least 1"):
        topic_tuning(assign_jobs=0)
