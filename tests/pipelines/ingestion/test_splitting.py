import numpy as np
import pandas as pd
import pytest

from arxiv_pipeline.corpus.splitting import split_papers

FRACTIONS = {"train": 0.8, "validation": 0.1, "test": 0.1}
SIZES = [0.05, 0.1, 0.4, 1.0]


@pytest.fixture(scope="module")
def corpus():
    rng = np.random.default_rng(7)
    labels = [f"l{i}" for i in range(30)]
    weights = 1.0 / np.arange(1, 31)
    weights /= weights.sum()
    label_sets = [
        list(rng.choice(labels, size=rng.integers(1, 4), replace=False, p=weights))
        for _ in range(20_000)
    ]
    ids = [f"{i:07d}" for i in range(20_000)]
    return ids, label_sets


def split(corpus, seed=1, order=None):
    ids, label_sets = corpus
    order = range(len(ids)) if order is None else order
    return split_papers(
        [ids[i] for i in order], [label_sets[i] for i in order], FRACTIONS, SIZES, seed
    )


def test_every_paper_is_in_exactly_one_split_in_the_requested_proportions(corpus):
    result = split(corpus)
    assert len(result) == len(corpus[0]) and result["id"].is_unique
    shares = result["split"].value_counts(normalize=True)
    for name, share in FRACTIONS.items():
        assert shares[name] == pytest.approx(share, abs=0.002)


def test_each_label_is_split_in_proportion(corpus):
    result = split(corpus).set_index("id")
    exploded = pd.DataFrame({"id": corpus[0], "label": corpus[1]}).explode("label")
    exploded["split"] = result.loc[exploded["id"], "split"].to_numpy()
    table = pd.crosstab(exploded["label"], exploded["split"], normalize="index")
    frequent = exploded["label"].value_counts() >= 500
    assert (table.loc[frequent[frequent].index, "validation"] - 0.1).abs().max() < 0.02


def test_nested_sizes_hold_their_share_of_each_split_and_are_nested(corpus):
    result = split(corpus)
    for name in FRACTIONS:
        part = result[result["split"] == name]
        for size in SIZES:
            assert (part["size_fraction"] <= size).mean() == pytest.approx(size, abs=0.01)
    # Nesting: the subset at a size is contained in the subset at every larger size.
    small = set(result.loc[result["size_fraction"] <= 0.1, "id"])
    large = set(result.loc[result["size_fraction"] <= 0.4, "id"])
    assert small < large


def test_same_seed_same_splits_whatever_the_input_order(corpus):
    reordered = np.random.default_rng(3).permutation(len(corpus[0]))
    pd.testing.assert_frame_equal(split(corpus), split(corpus, order=reordered))
    assert not split(corpus)["split"].equals(split(corpus, seed=2)["split"])


def test_unlabelled_papers_and_tiny_corpora_are_split_too():
    result = split_papers(["a", "b", "c"], [[], ["x"], []], FRACTIONS, SIZES, seed=0)
    assert set(result["split"]) <= set(FRACTIONS) and len(result) == 3


@pytest.mark.parametrize(
    ("fractions", "sizes", "message"),
    [
        ({"train": 0.8, "test": 0.1}, SIZES, "sum to 1"),
        ({"train": 1.1, "test": -0.1}, SIZES, "positive"),
        (FRACTIONS, [0.5, 0.1, 1.0], "increasing"),
        (FRACTIONS, [0.1, 0.5], "end in 1.0"),
    ],
)
def test_bad_fractions_are_refused(fractions, sizes, message):
    with pytest.raises(ValueError, match=message):
        split_papers(["a"], [["x"]], fractions, sizes, seed=0)


def test_duplicate_ids_are_refused():
    with pytest.raises(ValueError, match="unique"):
        split_papers(["a", "a"], [["x"], ["x"]], FRACTIONS, SIZES, seed=0)
