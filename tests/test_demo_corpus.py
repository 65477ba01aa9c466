"""Tests of the bundled synthetic demo corpus: snapshot layout and planted structure."""

from __future__ import annotations

import fnmatch
import gzip
import json
import re
from collections import Counter
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from arxiv_pipeline.demo import DEMO_FILENAME, demo_corpus_path

SNAPSHOT_KEYS = [
    "id", "submitter", "authors", "title", "comments", "journal-ref", "doi", "report-no",
    "categories", "license", "abstract", "versions", "update_date", "authors_parsed",
]
NULLABLE_KEYS = ("comments", "journal-ref", "doi", "report-no", "license")
NEW_STYLE_ID = re.compile(r"\d{4}\.\d{5}")
OLD_STYLE_ID = re.compile(r"[a-z-]+/\d{7}")
VERSION_CREATED = re.compile(
    r"(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{1,2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT"
)
REPO_ROOT = Path(__file__).parents[1]
CATEGORY_MAP_FILE = REPO_ROOT / "conf" / "base" / "parameters_categories.yml"
PYPROJECT = REPO_ROOT / "pyproject.toml"
N_PAPERS = 3000


@pytest.fixture(scope="module")
def corpus_text() -> str:
    return gzip.decompress(demo_corpus_path().read_bytes()).decode("utf-8")


@pytest.fixture(scope="module")
def records(corpus_text: str) -> list[dict]:
    return [json.loads(line) for line in corpus_text.splitlines()]


def primary_category(record: dict) -> str:
    return record["categories"].split()[0]


def test_one_record_per_line_in_package_data_that_any_install_ships(
    corpus_text: str, records: list[dict]
) -> None:
    assert len(records) == N_PAPERS and corpus_text.endswith("}\n")
    # Declared as package data, a non-editable install has it too (tomllib needs 3.11).
    declared = re.search(r'^"arxiv_pipeline\.demo" = \[(.*)\]$', PYPROJECT.read_text(), re.M)
    patterns = re.findall(r'"([^"]+)"', declared.group(1))
    assert any(fnmatch.fnmatch(DEMO_FILENAME, pattern) for pattern in patterns)


def test_every_line_has_the_snapshot_keys_in_order(records: list[dict]) -> None:
    assert all(list(record) == SNAPSHOT_KEYS for record in records)


def test_fields_follow_the_snapshot_layout(records: list[dict]) -> None:
    for record in records:
        title_lines = record["title"].split("\n")
        assert all(line.startswith("  ") and not line.startswith("   ") for line in title_lines[1:])
        abstract = record["abstract"]
        assert abstract.startswith("  ") and abstract.endswith("\n") and abstract.strip()
        assert max(len(line) for line in abstract.split("\n")) <= 79
        numbers = [version["version"] for version in record["versions"]]
        created = [version["created"] for version in record["versions"]]
        assert numbers == [f"v{i}" for i in range(1, len(numbers) + 1)]
        assert all(VERSION_CREATED.fullmatch(moment) for moment in created)
        assert record["update_date"] == f"{parsedate_to_datetime(created[-1]):%Y-%m-%d}"
        for name in record["authors_parsed"]:
            assert len(name) == 3 and all(isinstance(part, str) for part in name)
        assert all(record[key] is None or isinstance(record[key], str) for key in NULLABLE_KEYS)
    for key in NULLABLE_KEYS:
        assert any(record[key] is None for record in records), f"{key} is never null"
        assert any(record[key] is not None for record in records), f"{key} is always null"


def test_names_are_unicode_in_parsed_authors_and_tex_in_authors(
    corpus_text: str, records: list[dict]
) -> None:
    assert all(record["authors"].isascii() for record in records)
    assert "Müller" in corpus_text  # written unescaped, as the snapshot does
    assert any('M\\"uller' in record["authors"] for record in records)


def test_ids_are_unique_and_mostly_new_style(records: list[dict]) -> None:
    ids = [record["id"] for record in records]
    assert len(set(ids)) == len(ids)
    new_style = [paper_id for paper_id in ids if NEW_STYLE_ID.fullmatch(paper_id)]
    old_style = [paper_id for paper_id in ids if OLD_STYLE_ID.fullmatch(paper_id)]
    assert len(new_style) + len(old_style) == len(ids)
    assert new_style == sorted(new_style)
    assert 0 < len(old_style) < 0.05 * len(ids)


def test_categories_span_many_primaries_and_realistic_multi_label_share(records: list[dict]) -> None:
    primaries = Counter(primary_category(record) for record in records)
    assert len(primaries) == 16
    assert len({category.split(".")[0] for category in primaries}) >= 8
    label_counts = [len(record["categories"].split()) for record in records]
    assert set(label_counts) == {1, 2, 3}
    assert 0.25 < sum(count > 1 for count in label_counts) / len(records) < 0.5


def test_noncanonical_labels_are_secondary_and_in_the_category_map(records: list[dict]) -> None:
    category_map = yaml.safe_load(CATEGORY_MAP_FILE.read_text(encoding="utf-8"))["category_map"]
    replacements = {**category_map["aliases"], **category_map["retired"]}
    secondary = Counter(label for record in records for label in record["categories"].split()[1:])
    assert set(secondary) & set(category_map["aliases"]), "no alias labels emitted"
    assert set(secondary) & set(category_map["retired"]), "no retired archive labels emitted"
    assert sum(count for label, count in secondary.items() if label in replacements) < 0.15 * len(records)
    for record in records:
        labels = record["categories"].split()
        assert labels[0] not in replacements
        canonical = [replacements.get(label, label) for label in labels]
        assert len(set(canonical)) == len(canonical), record["categories"]


def test_abstract_lengths_vary_within_bounds(records: list[dict]) -> None:
    word_counts = [len(record["abstract"].split()) for record in records]
    assert min(word_counts) >= 60
    assert max(word_counts) <= 220
    assert max(word_counts) - min(word_counts) > 100


def test_vocabulary_predicts_the_primary_category(records: list[dict]) -> None:
    texts = [record["title"] + " " + record["abstract"] for record in records]
    labels = [primary_category(record) for record in records]
    # Every fifth paper is held out, so old-style ids at the end fall on both sides.
    train = [i for i in range(len(records)) if i % 5]
    test = [i for i in range(len(records)) if not i % 5]
    vectorizer = TfidfVectorizer(sublinear_tf=True)
    classifier = LogisticRegression(max_iter=1000)
    classifier.fit(vectorizer.fit_transform([texts[i] for i in train]), [labels[i] for i in train])
    accuracy = classifier.score(vectorizer.transform([texts[i] for i in test]), [labels[i] for i in test])
    assert accuracy > 0.8
