import numpy as np
import pandas as pd
import pytest

from arxiv_pipeline.corpus.splitting import split_papers, warn_over_cap

FRACTIONS = {"train": 0.8, "validation": 0.1, "test": 0.1}
SIZES = [0.05, 0.1, 0.4, 1.0]
N_PAPERS = 20_000
#: Shares are binomial: a share f of n papers is held to f ± 4 standard deviations.
SIGMAS = 4


def binomial_tolerance(share: float, n: int) -> float:
    return SIGMAS * np.sqrt(share * (1 - share) / n)


@pytest.fixture(scope="module")
def corpus():
    rng = np.random.default_rng(7)
    labels = [f"l{i}" for i in range(30)]
    weights = 1.0 / np.arange(1, 31)
    weights /= weights.sum()
    label_sets = [
        list(rng.choice(labels, size=rng.integers(1, 4), replace=False, p=weights))
        for _ in range(N_PAPERS)
    ]
    ids = [f"25{i // 10_000 + 1:02d}.{i % 10_000:05d}" for i in range(N_PAPERS)]
    return ids, label_sets


def split(ids, seed=1, fractions=FRACTIONS):
    return split_papers(ids, fractions, SIZES, seed)


def test_every_paper_is_in_exactly_one_split_in_the_requested_proportions(corpus):
    result = split(corpus[0])
    assert len(result) == N_PAPERS and result["id"].is_unique
    assert result["id"].is_monotonic_increasing
    shares = result["split"].value_counts(normalize=True)
    for name, share in FRACTIONS.items():
        assert shares[name] == pytest.approx(share, abs=binomial_tolerance(share, N_PAPERS))


def test_each_label_is_split_in_proportion(corpus):
    ids, label_sets = corpus
    result = split(ids).set_index("id")
    exploded = pd.DataFrame({"id": ids, "label": label_sets}).explode("label")
    exploded["split"] = result.loc[exploded["id"], "split"].to_numpy()
    table = pd.crosstab(exploded["label"], exploded["split"], normalize="index")
    papers_per_label = exploded["label"].value_counts()
    frequent = papers_per_label[papers_per_label >= 500].index
    for name, share in FRACTIONS.items():
        tolerance = binomial_tolerance(share, papers_per_label[frequent])
        assert ((table.loc[frequent, name] - share).abs() < tolerance).all(), name


def test_nested_sizes_hold_their_share_of_each_split_and_are_nested(corpus):
    result = split(corpus[0])
    for name in FRACTIONS:
        part = result[result["split"] == name]
        for size in SIZES:
            held = (part["size_fraction"] <= size).mean()
            assert held == pytest.approx(size, abs=binomial_tolerance(size, len(part)))
    # Nesting: the subset at a size is contained in the subset at every larger size.
    small = set(result.loc[result["size_fraction"] <= 0.1, "id"])
    large = set(result.loc[result["size_fraction"] <= 0.4, "id"])
    assert small < large


def test_new_papers_move_no_paper_already_split(corpus):
    ids = corpus[0]
    new = [f"2603.{i:05d}" for i in range(N_PAPERS // 100)]  # a weekly snapshot's 1%
    before = split(ids)
    after = split(ids + new).set_index("id")
    pd.testing.assert_frame_equal(after.loc[before["id"]].reset_index(), before)
    assert set(after.index) - set(before["id"]) == set(new)


def test_removed_papers_move_no_other_paper(corpus):
    ids = corpus[0]
    kept = ids[::3] + ids[1::3]
    before = split(ids).set_index("id")
    after = split(kept)
    pd.testing.assert_frame_equal(after, before.loc[sorted(kept)].reset_index())


def test_same_seed_same_splits_whatever_the_order_of_papers_or_of_splits(corpus):
    ids = corpus[0]
    reordered = [ids[i] for i in np.random.default_rng(3).permutation(len(ids))]
    pd.testing.assert_frame_equal(split(ids), split(reordered))
    pd.testing.assert_frame_equal(split(ids), split(ids, fractions=dict(reversed(FRACTIONS.items()))))


def test_another_seed_places_papers_anew(corpus):
    first, second = split(corpus[0], seed=1), split(corpus[0], seed=2)
    # Independent placements agree on a paper's split with probability 0.8² + 2 · 0.1² = 0.66.
    assert (first["split"] == second["split"]).mean() == pytest.approx(0.66, abs=0.02)
    assert (first["size_fraction"] != second["size_fraction"]).any()


def test_a_papers_place_is_pinned_across_releases():
    """The hash is the definition of the splits: changing it would move papers between splits
    of every work folder's next snapshot."""
    result = split_papers(["0704.0001", "2501.00001", "hep-th/9901001"], FRACTIONS, SIZES, seed=42)
    assert result.to_dict("list") == {
        "id": ["0704.0001", "2501.00001", "hep-th/9901001"],
        "split": ["test", "test", "validation"],
        "size_fraction": [0.4, 1.0, 1.0],
    }


def test_unlabelled_papers_and_tiny_corpora_are_split_too():
    result = split_papers(["a", "b", "c"], FRACTIONS, SIZES, seed=0)
    assert set(result["split"]) <= set(FRACTIONS) and len(result) == 3
    assert split_papers([], FRACTIONS, SIZES, seed=0).empty


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
        split_papers(["a"], fractions, sizes, seed=0)


def test_duplicate_ids_are_refused():
    with pytest.raises(ValueError, match="unique"):
        split_papers(["a", "b", "a"], FRACTIONS, SIZES, seed=0)


def test_a_subset_over_its_cap_is_warned_about_naming_the_cap(caplog):
    with caplog.at_level("WARNING", logger="arxiv_pipeline.corpus.splitting"):
        warn_over_cap(120, 120, "evaluation.tfidf_logreg.max_train_papers", "it trains")
        warn_over_cap(121, None, "evaluation.tfidf_logreg.max_train_papers", "it trains")
    assert not caplog.records
    with caplog.at_level("WARNING", logger="arxiv_pipeline.corpus.splitting"):
        warn_over_cap(121, 120, "topic_tuning.final_max_papers", "the topic models are fitted")
    (record,) = caplog.records
    assert "121 papers, more than topic_tuning.final_max_papers (120)" in record.getMessage()
    assert "the topic models are fitted on that subset" in record.getMessage()
