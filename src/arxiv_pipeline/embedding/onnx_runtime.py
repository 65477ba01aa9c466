"""A sentence-transformers model exported to ONNX and run on the CPU by OpenVINO or ONNX Runtime.

On a CPU, OpenVINO (bf16 where the CPU has it) and ONNX Runtime with int8 weights run
MiniLM faster than torch (``docs/benchmarks.md`` has the measured speed and quality, and
the CPU they were measured on).
sentence-transformers' own ONNX and OpenVINO backends need Optimum, whose releases pin
transformers to other versions than sentence-transformers 6 needs (optimum-onnx: below
4.58; optimum-intel: 5.5, with a CUDA build of torch); so the model is exported here with ``torch.onnx`` (no network, no Optimum), from the
loaded model's own modules (transformer, pooling, normalisation), into a temporary folder
that the process removes when it ends: nothing outside the catalog is kept or can go
stale. A model's graph is exported (and quantised) once per process, as measuring the
CPU's runtimes loads one model for each of three runtimes, and exporting and quantising
take seconds.
"""

from __future__ import annotations

import functools
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

    Parameters
    ----------
    model
        The loaded model, on the CPU.
    runtime
        ``openvino``, ``onnx`` or ``onnx_int8``.
    model_hash
        The hash of the model's files: the graph exported for it is reused by every
        encoder of this process with the same hash.
    """

    def __init__(self, model: SentenceTransformer, runtime: str, model_hash: str) -> None:
        self._model = model
        self.input_names = [
            name for name, value in self._features(["a", "b c"]).items() if _is_tensor(value)
        ]
        folder = Path(_graph_folder().name)
        graph = _made_once(folder / f"{model_hash}.onnx", self._export)
        if runtime == "onnx_int8":
            graph = _made_once(folder / f"{model_hash}-int8.onnx", functools.partial(_quantize, graph))
        self._run = _openvino(graph) if runtime == "openvino" else _onnxruntime(graph)

    def _features(self, texts: list[str]) -> dict[str, object]:
        # ``tokenize`` was renamed ``preprocess`` in sentence-transformers 6.
        preprocess = getattr(self._model, "preprocess", None) or self._model.tokenize
        return preprocess(texts)

    def _export(self, path: Path) -> None:
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


@functools.cache
def _graph_folder() -> tempfile.TemporaryDirectory:
    """The folder of this process's exported graphs, removed when the process ends."""
    return tempfile.TemporaryDirectory(prefix="arxiv-onnx-")


def _made_once(path: Path, make: Callable[[Path], None]) -> Path:
    """``path``, made by ``make`` unless it exists.

    ``make`` writes under another name, renamed when complete: a ``make`` that raised
    leaves nothing that a later call would take for the graph.
    """
    if not path.is_file():
        partial = path.with_suffix(".partial")
        make(partial)
        partial.replace(path)
    return path


def _quantize(path: Path, target: Path) -> None:
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

