"""Tests of the synthetic demo corpus: snapshot layout, determinism and planted structure."""

from __future__ import annotations

import json
import re
from collections import Counter
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest
import yaml
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression

from arxiv_pipeline.demo_corpus import (
    DEMO_FILENAME,
    generate_demo_records,
    main,
    write_demo_corpus,
)

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
CATEGORY_MAP_FILE = Path(__file__).parents[1] / "conf" / "base" / "parameters_categories.yml"
N_PAPERS = 1000


@pytest.fixture(scope="module")
def corpus_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("demo") / "raw" / DEMO_FILENAME
    return write_demo_corpus(path, n_papers=N_PAPERS, seed=0)


@pytest.fixture(scope="module")
def records(corpus_file: Path) -> list[dict]:
    return [json.loads(line) for line in corpus_file.read_text(encoding="utf-8").splitlines()]


def primary_category(record: dict) -> str:
    return record["categories"].split()[0]


def test_writes_one_record_per_line_and_no_leftovers(corpus_file: Path, records: list[dict]) -> None:
    assert len(records) == N_PAPERS
    assert [path.name for path in corpus_file.parent.iterdir()] == [DEMO_FILENAME]


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
    corpus_file: Path, records: list[dict]
) -> None:
    assert all(record["authors"].isascii() for record in records)
    assert "Müller" in corpus_file.read_text(encoding="utf-8")  # written unescaped, ensure_ascii=False
    assert any('M\\"uller' in record["authors"] for record in records)


def test_same_seed_gives_identical_bytes_and_other_seed_differs(tmp_path: Path) -> None:
    first = write_demo_corpus(tmp_path / "first.jsonl", n_papers=150, seed=7).read_bytes()
    again = write_demo_corpus(tmp_path / "again.jsonl", n_papers=150, seed=7).read_bytes()
    other = write_demo_corpus(tmp_path / "other.jsonl", n_papers=150, seed=8).read_bytes()
    assert first == again
    assert first != other


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
    assert len(primaries) >= 12
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


def test_rejects_negative_size() -> None:
    with pytest.raises(ValueError, match="n_papers"):
        generate_demo_records(-1)


def test_command_line_writes_the_corpus(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    output = tmp_path / "nested" / "demo.jsonl"
    main([str(output), "--papers", "25", "--seed", "3"])
    direct = write_demo_corpus(tmp_path / "direct.jsonl", n_papers=25, seed=3)
    assert output.read_bytes() == direct.read_bytes()
    assert "25" in capsys.readouterr().out


def test_command_line_rejects_a_negative_size(tmp_path: Path) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main([str(tmp_path / "demo.jsonl"), "--papers", "-3"])
    assert exit_info.value.code == 2
    assert not list(tmp_path.iterdir())
