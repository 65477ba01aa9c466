"""Agreement of topics with the arXiv taxonomy, on a hand-made case with outliers."""

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from arxiv_pipeline.topics.agreement import AGREEMENT_METRICS, taxonomy_agreement, taxonomy_labels

# Topic 0 is all math.CO, topic 1 all hep-th; the three outliers mix categories.
TOPICS = np.array([0, 0, 0, 1, 1, -1, -1, -1])
PRIMARY = np.array(["math.CO", "math.CO", "math.CO", "hep-th", "hep-th", "math.AG", "hep-th", "cs.LG"])
ARCHIVE = np.array(["math", "math", "math", "hep-th", "hep-th", "math", "hep-th", "cs"])


def test_headline_scores_count_outliers_as_a_cluster_and_assigned_scores_leave_them_out():
    scores = taxonomy_agreement(TOPICS, {"primary": PRIMARY, "archive": ARCHIVE})
    assert list(scores) == list(AGREEMENT_METRICS)
    for level, truth in (("primary", PRIMARY), ("archive", ARCHIVE)):
        assert scores[f"nmi_{level}"] == pytest.approx(normalized_mutual_info_score(truth, TOPICS), abs=1e-12)
        assert scores[f"ari_{level}"] == pytest.approx(adjusted_rand_score(truth, TOPICS), abs=1e-12)
        # Without the outliers the two topics match the labels exactly.
        assert scores[f"nmi_{level}_assigned"] == pytest.approx(1.0, abs=1e-12)
        assert scores[f"ari_{level}_assigned"] == pytest.approx(1.0, abs=1e-12)
        # The mixed outlier cluster costs agreement.
        assert scores[f"nmi_{level}"] < 0.9 and scores[f"ari_{level}"] < 0.9
    # By hand: 8 papers, topics {0: 3, 1: 2, -1: 3}, archives {math: 4, hep-th: 3, cs: 1}.
    joint = {(0, "math"): 3, (1, "hep-th"): 2, (-1, "math"): 1, (-1, "hep-th"): 1, (-1, "cs"): 1}
    topics, archives = {0: 3, 1: 2, -1: 3}, {"math": 4, "hep-th": 3, "cs": 1}
    mutual = sum(n / 8 * np.log(n * 8 / (topics[t] * archives[a])) for (t, a), n in joint.items())
    entropy = lambda counts: -sum(n / 8 * np.log(n / 8) for n in counts.values())  # noqa: E731
    expected = 2 * mutual / (entropy(topics) + entropy(archives))
    assert scores["nmi_archive"] == pytest.approx(expected, abs=1e-12)


def test_all_outliers_score_zero_where_nothing_is_assigned():
    scores = taxonomy_agreement(np.full(4, -1), {"primary": PRIMARY[:4], "archive": ARCHIVE[:4]})
    assert scores["nmi_primary_assigned"] == 0.0 and scores["ari_archive_assigned"] == 0.0
    assert scores["nmi_primary"] == pytest.approx(0.0, abs=1e-12)


def test_labels_come_from_papers_in_the_order_asked(tmp_path):
    path = tmp_path / "papers.parquet"
    pq.write_table(
        pa.table({"id": ["a", "b", "c"], "primary_category": ["hep-th", "math.CO", "cs.LG"],
                  "archive": ["hep-th", "math", "cs"]}),
        path,
    )
    labels = taxonomy_labels(pq.ParquetFile(path), {"test": np.array(["c", "a"], dtype=object)})
    assert labels["test"]["primary"].tolist() == ["cs.LG", "hep-th"]
    assert labels["test"]["archive"].tolist() == ["cs", "hep-th"]
    with pytest.raises(ValueError, match="1 train papers .*'z'.* are not in papers"):
        taxonomy_labels(pq.ParquetFile(path), {"train": np.array(["a", "z"], dtype=object)})
