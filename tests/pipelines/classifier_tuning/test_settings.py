"""classifier_tuning.size_fraction: auto resolves to the documented subset; bad values are named."""

import pytest

from arxiv_pipeline.classifier.settings import ClassifierTuning
from tests.parameters import classifier_tuning, paper_splits_by_size


@pytest.mark.parametrize(
    ("train_per_size", "expected"),
    [
        # The 118,180-paper corpus's train split (94,549 papers): no subset but the whole
        # split holds 50,000, so trials run on all of it.
        ({0.05: 4734, 0.1: 4722, 0.4: 28380, 1.0: 56713}, 1.0),
        # A corpus of 2.5M papers (train 2,000,000): the 0.05 subset, 100,000 papers.
        ({0.05: 100_000, 0.1: 100_000, 0.4: 600_000, 1.0: 1_200_000}, 0.05),
        # 500,000 papers (train 400,000): 0.05 and 0.1 hold 20,000 and 40,000.
        ({0.05: 20_000, 0.1: 20_000, 0.4: 120_000, 1.0: 240_000}, 0.4),
        ({0.05: 50_000, 0.1: 50_000, 0.4: 300_000, 1.0: 600_000}, 0.05),  # exactly enough
    ],
)
def test_auto_size_fraction_is_the_smallest_subset_of_50000_training_papers(train_per_size, expected):
    settings = classifier_tuning()
    assert settings.size_fraction == "auto" and ClassifierTuning.AUTO_TRIAL_PAPERS == 50_000
    splits = paper_splits_by_size(train_per_size)
    assert settings.trial_fraction(splits) == expected
    assert classifier_tuning(size_fraction=0.4).trial_fraction(splits) == 0.4


@pytest.mark.parametrize("size_fraction", ["half", 0.0, 1.5, True])
def test_size_fraction_refuses_other_values(size_fraction):
    with pytest.raises(ValueError, match=r"classifier_tuning.size_fraction must be auto or in \(0, 1\]"):
        classifier_tuning(size_fraction=size_fraction)
