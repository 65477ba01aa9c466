"""A sentence-transformers model exported to ONNX and run on the CPU by OpenVINO or ONNX Runtime.

On a CPU, OpenVINO (bf16 where the CPU has it) and ONNX Runtime with int8 weights run
MiniLM faster than torch (``docs/benchmarks.md`` has the measured speed and quality, and
the CPU they were measured on).
sentence-transformers' own ONNX and OpenVINO backends need Optimum, whose releases pin
transformers to other versions than sentence-transformers 6 needs (optimum-onnx: below
4.58; optimum-intel: 5.5, with a CUDA build of torch); so the model is exported here with ``torch.onnx`` (no network, no Optimum), from the
loaded model's own modules (transformer, pooling, normalisation), into a temporary folder
each time it is loaded: exporting and quantising take seconds, encoding takes minutes,
and nothing outside the catalog is written or can go stale.
"""

from __future__ import annotations

import tempfile
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

_OPSET = 17


class OnnxSentenceEncoder:
    """A loaded sentence-transformers model's forward pass, exported and run by ``runtime``.

    The model still tokenises (so truncation follows its ``max_seq_length``); the
    exported graph maps the token tensors to the sentence embedding, pooled and, where
    the model has a normalisation module, normalised, exactly as its torch modules do.
    """

    def __init__(self, model: SentenceTransformer, runtime: str) -> None:
        self._model = model
        self.input_names = [
            name for name, value in self._features(["a", "b c"]).items() if _is_tensor(value)
        ]
        with tempfile.TemporaryDirectory(prefix="arxiv-onnx-") as folder:
            path = self._export(Path(folder) / "model.onnx")
            if runtime == "onnx_int8":
                path = _quantize(path, Path(folder) / "model_int8.onnx")
            # Both read the whole file (< 2 GB, no external data) before it is removed.
            self._run = _openvino(path) if runtime == "openvino" else _onnxruntime(path)

    def _features(self, texts: list[str]) -> dict[str, object]:
        # ``tokenize`` was renamed ``preprocess`` in sentence-transformers 6.
        preprocess = getattr(self._model, "preprocess", None) or self._model.tokenize
        return preprocess(texts)

    def _export(self, path: Path) -> Path:
        import torch

        features = self._features(["an example text", "a second, longer example text"])
        example = tuple(features[name] for name in self.input_names)
        dynamic = {name: {0: "batch", 1: "tokens"} for name in self.input_names}
        with warnings.catch_warnings():
            # The tracer warns about the shape checks it freezes (mask length equals
            # sequence length, no causal mask); they hold for every tokenised batch.
            warnings.simplefilter("ignore", torch.jit.TracerWarning)
            # Its indices come from the tokeniser's masks and positions, never negative.
            warnings.filterwarnings("ignore", "Exporting aten::index operator", UserWarning)
            torch.onnx.export(
                _sentence_embedding_module(self._model, self.input_names).eval(),
                example,
                str(path),
                input_names=self.input_names,
                output_names=["sentence_embedding"],
                dynamic_axes={**dynamic, "sentence_embedding": {0: "batch"}},
                opset_version=_OPSET,
                # The TorchScript exporter: the dynamo one needs onnxscript.
                dynamo=False,
            )
        return path

    def encode(self, texts: list[str], normalize: bool) -> np.ndarray:
        """One float32 row per text, in order, as ``SentenceTransformer.encode`` gives it."""
        features = self._features(texts)
        feed = {name: features[name].numpy() for name in self.input_names}
        vectors = self._run(feed).astype(np.float32, copy=False)
        if normalize:
            norms = np.linalg.norm(vectors, axis=1, keepdims=True)
            vectors = vectors / np.maximum(norms, 1e-12)
        return vectors


def _openvino(path: Path) -> Callable[[dict[str, np.ndarray]], np.ndarray]:
    """The model compiled by OpenVINO for the CPU, at its default precision.

    That is bf16 on CPUs with bf16 units (AVX512-BF16, AMX): twice torch's speed there,
    vectors within 1e-3 of torch's (cosine >= 0.9999); f32 elsewhere.
    """
    import openvino

    compiled = openvino.Core().compile_model(str(path), "CPU")
    return lambda feed: compiled(feed)[0]


def _onnxruntime(path: Path) -> Callable[[dict[str, np.ndarray]], np.ndarray]:
    import onnxruntime

    session = onnxruntime.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    return lambda feed: session.run(None, feed)[0]


def _is_tensor(value: object) -> bool:
    import torch

    return isinstance(value, torch.Tensor)


def _quantize(path: Path, target: Path) -> Path:
    """Dynamic int8 quantisation of the weight matrices (activations are quantised per batch).

    One scale per output channel, and only products with a weight matrix: with one scale
    per tensor, MiniLM's vectors fell to a mean cosine of 0.93 with torch's on real
    abstracts; per channel they stay at 0.995.
    """
    from onnx import TensorProto
    from onnxruntime.quantization import QuantType, quantize_dynamic

    quantize_dynamic(
        str(path),
        str(target),
        op_types_to_quantize=["MatMul"],
        per_channel=True,
        weight_type=QuantType.QInt8,
        extra_options={
            # Attention's activation x activation products stay in float.
            "MatMulConstBOnly": True,
            # Shape inference cannot type every intermediate tensor of the traced graph.
            "DefaultTensorType": TensorProto.FLOAT,
        },
    )
    return target


def _sentence_embedding_module(model: SentenceTransformer, input_names: list[str]) -> object:
    import torch  # late: the class derives from torch.nn.Module

    class SentenceEmbedding(torch.nn.Module):
        """The model's modules as a function of positional token tensors (what tracing needs)."""

        def __init__(self) -> None:
            super().__init__()
            self.model = model

        def forward(self, *tensors: torch.Tensor) -> torch.Tensor:
            return self.model(dict(zip(input_names, tensors)))["sentence_embedding"]

    return SentenceEmbedding()

