"""A sentence-transformers model as an encoder: loaded on first use, fp16 on CUDA if asked,
run by torch or, on a CPU, exported to OpenVINO or ONNX Runtime (``runtime``)."""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

import numpy as np

from .cpu_runtime import auto_runtime, current_cpu
from .device import device_kind, resolve_device
from .sources import ModelSource, hash_model_files
from .specs import EmbeddingModelError, EncodingSettings, SentenceTransformerSpec

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer

    from .onnx_runtime import OnnxSentenceEncoder


def resolve_runtime(
    model_key: str,
    spec: SentenceTransformerSpec,
    device: str,
    on_the_cpu: Callable[[], tuple[str, str]],
) -> tuple[str, str]:
    """The runtime ``embeddings.models.<model_key>`` runs with on ``device``, and why.

    ``auto`` is torch on a GPU and ``on_the_cpu()`` on the CPU; ``torch`` is torch anywhere.

    Raises
    ------
    EmbeddingModelError
        If an exported runtime (OpenVINO, ONNX Runtime) is asked for on a device other
        than the CPU.
    """
    named = f"embeddings.models.{model_key}.runtime is '{spec.runtime}'"
    if spec.runtime == "torch":
        return "torch", named
    kind = device_kind(device)
    if spec.runtime == "auto":
        return on_the_cpu() if kind == "cpu" else ("torch", f"{named}, on a {kind} device")
    if kind != "cpu":
        raise EmbeddingModelError(
            f"{named}, which runs on the CPU only here, but embeddings.encoding.device is "
            f"'{device}' ({kind}): use runtime 'torch' or 'auto' there, or device 'cpu'."
        )
    return spec.runtime, named


class SentenceTransformerEncoder:
    """Encodes with a sentence-transformers model; building one hashes the files, loads nothing.

    Parameters
    ----------
    spec, source
        The model's settings and its files.
    encoding
        ``embeddings.encoding``.
    model_key
        The key under ``embeddings.models``, for messages.
    cpu_runtimes
        The stored choices of ``runtime: auto`` on CPUs (``cpu_runtimes``): with ``auto``
        on the CPU, the one of this CPU and model is run; without one, the CPU's flags
        choose (:func:`~arxiv_pipeline.embedding.cpu_runtime.auto_runtime`).
    """

    def __init__(
        self,
        spec: SentenceTransformerSpec,
        source: ModelSource,
        encoding: EncodingSettings,
        model_key: str = "model",
        cpu_runtimes: Mapping[str, dict[str, Any]] | None = None,
    ) -> None:
        self._spec = spec
        self._source = source
        self._encoding = encoding
        self._identity: dict[str, Any] = {
            "backend": "sentence_transformers",
            "model": source.model_id,
            "model_hash": hash_model_files(source.path),
            "normalize_embeddings": spec.normalize_embeddings,
            "max_seq_length": spec.max_seq_length,
        }
        #: The runtime that runs the model, and why (what ``auto`` chose, or the settings).
        self.runtime, self.runtime_reason = resolve_runtime(
            model_key,
            spec,
            encoding.device,
            lambda: auto_runtime(
                spec,
                self._identity,
                encoding.batch_size_for("cpu"),
                cpu_runtimes or {},
                current_cpu(),
            ),
        )
        # int8 weights change the vectors: their cache is never another runtime's.
        self._identity["runtime"] = self.runtime

    #: A run on another device or runtime may return to this one: its cache is kept.
    supersedes_other_caches = False

    @property
    def identity(self) -> dict[str, Any]:
        return self._identity

    @cached_property
    def batch_size(self) -> int:
        """``embeddings.encoding.batch_size`` for the model's kind of device."""
        return self._encoding.batch_size_for(self.model.device.type)

    @cached_property
    def model(self) -> SentenceTransformer:
        """The loaded model, on its device and in its precision."""
        from sentence_transformers import SentenceTransformer

        device = resolve_device(self._encoding.device)
        # The files were found already: nothing may be fetched from the hub any more.
        model = SentenceTransformer(str(self._source.path), device=device, local_files_only=True)
        if self._spec.max_seq_length is not None:
            model.max_seq_length = self._spec.max_seq_length
        if device.startswith("cuda") and self._encoding.fp16:
            model.half()
        return model

    @cached_property
    def onnx(self) -> OnnxSentenceEncoder | None:
        """The model exported to ONNX for its runtime, or ``None`` where torch runs it."""
        if self.runtime == "torch":
            return None
        from .onnx_runtime import OnnxSentenceEncoder

        return OnnxSentenceEncoder(self.model, self.runtime, self._identity["model_hash"])

    @property
    def dim(self) -> int:
        # Renamed in sentence-transformers 6; the project supports 3 to 6.
        get_dimension = getattr(self.model, "get_embedding_dimension", None) or (
            self.model.get_sentence_embedding_dimension
        )
        return get_dimension()

    def encode(self, texts: list[str], progress: Callable[[int], object] | None = None) -> np.ndarray:
        """One float32 row per text, in order; ``progress(n)`` after each batch of ``n`` texts.

        The texts are sorted by length and cut into batches here, as
        ``SentenceTransformer.encode`` does inside one call, so batches are padded as
        little as there, and progress can be told per batch.
        """
        order = np.argsort([-len(text) for text in texts], kind="stable")
        vectors = np.empty((len(texts), self.dim), dtype=np.float32)
        for start in range(0, len(texts), self.batch_size):
            rows = order[start : start + self.batch_size]
            batch = [texts[row] for row in rows]
            if self.onnx is not None:
                vectors[rows] = self.onnx.encode(batch, self._spec.normalize_embeddings)
            else:
                vectors[rows] = self.model.encode(
                    batch,
                    batch_size=self.batch_size,
                    normalize_embeddings=self._spec.normalize_embeddings,
                    show_progress_bar=False,
                    convert_to_numpy=True,
                )
            if progress is not None:
                progress(len(rows))
        return vectors

    def run_info(self) -> dict[str, Any]:
        import sentence_transformers
        import torch

        info = {
            "runtime": self.runtime,
            "runtime_reason": self.runtime_reason,
            "device": str(self.model.device),
            # OpenVINO's is the CPU's (bf16 or f32); int8 ONNX quantises the weights only.
            "precision": {"openvino": "default of the CPU", "onnx_int8": "int8 weights"}.get(
                self.runtime, str(self.model.dtype).removeprefix("torch.")
            ),
            "batch_size": self.batch_size,
            "max_seq_length": self.model.max_seq_length,
            "model_path": str(self._source.path),
            "sentence_transformers": sentence_transformers.__version__,
            "torch": torch.__version__,
        }
        if self.runtime != "torch":
            library = "openvino" if self.runtime == "openvino" else "onnxruntime"
            info[library] = importlib.import_module(library).__version__
        return info
