"""``runtime: auto`` on a CPU: the candidate runtimes measured on it, once per CPU and model.

The embeddings pipeline calls :func:`choose_cpu_runtimes` before encoding. A model whose
``runtime`` is ``auto`` and that runs on the CPU gets each candidate runtime
(:func:`~arxiv_pipeline.embedding.cpu_runtime.candidates`) loaded, then timed on the same
texts (:func:`measure_speeds`); the fastest is stored under
:func:`~arxiv_pipeline.embedding.cpu_runtime.choice_key`, so the next run on this CPU reads
it instead of measuring. The run log says which runtime runs each model, and why.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections.abc import Mapping, Sequence
from typing import Any

from .cpu_runtime import CpuInfo, auto_runtime, candidates, choice_key, measured_choice
from .device import device_kind
from .encoders import Encoder
from .sentence_transformer import SentenceTransformerEncoder
from .sources import resolve_model
from .specs import EmbeddingsParams, SentenceTransformerSpec

logger = logging.getLogger(__name__)


def measure_speeds(
    encoders: Mapping[str, Encoder], texts: Sequence[str], batch_size: int
) -> dict[str, float]:
    """Texts per second of each encoder on ``texts``, the encoders taking turns batch by batch.

    Each encoder first encodes one batch unclocked (loading the model, exporting it). Then
    every batch of ``texts`` is encoded by each encoder in turn, the first one rotating, so
    that a load from other processes on a shared machine falls on all of them alike.
    """
    for encoder in encoders.values():
        encoder.encode(list(texts[:batch_size]))
    names = list(encoders)
    seconds = dict.fromkeys(names, 0.0)
    for turn, start in enumerate(range(0, len(texts), batch_size)):
        batch = list(texts[start : start + batch_size])
        for name in names[turn % len(names) :] + names[: turn % len(names)]:
            began = time.perf_counter()
            encoders[name].encode(batch)
            seconds[name] += time.perf_counter() - began
    return {name: len(texts) / seconds[name] for name in names}


def choose_cpu_runtimes(
    embeddings: EmbeddingsParams,
    sample: Sequence[str],
    stored: Mapping[str, dict[str, Any]],
    cpu: CpuInfo,
) -> dict[str, dict[str, Any]]:
    """The stored choices, with a measured one for each model that needs it on this CPU.

    Parameters
    ----------
    embeddings
        ``params:embeddings``: its models with ``runtime: auto`` that run on the CPU are
        chosen for; ``encoding.runtime_measurement_texts`` texts are timed per candidate
        (0: none; the CPU's flags choose, and nothing is stored).
    sample
        Texts to time (real papers' texts), repeated if fewer than needed.
    stored
        The choices made before (``cpu_runtimes``), by
        :func:`~arxiv_pipeline.embedding.cpu_runtime.choice_key`; all are kept.
    cpu
        The CPU this runs on.
    """
    encoding = embeddings.encoding
    choices = dict(stored)
    for model_key, spec in embeddings.models.items():
        if not isinstance(spec, SentenceTransformerSpec) or spec.runtime != "auto":
            continue
        if device_kind(encoding.device) != "cpu":
            continue
        source = resolve_model(model_key, spec.model)

        def encoder(runtime: str) -> SentenceTransformerEncoder:
            exact = dataclasses.replace(spec, runtime=runtime)
            return SentenceTransformerEncoder(exact, source, encoding, model_key)

        identity = encoder("torch").identity
        batch_size = encoding.batch_size_for("cpu")
        key = choice_key(cpu, identity, batch_size)
        if key not in choices and encoding.runtime_measurement_texts and sample:
            among = candidates(spec)
            texts = [sample[i % len(sample)] for i in range(encoding.runtime_measurement_texts)]
            logger.info(
                "%s: runtime auto on this CPU: measuring %s on %d texts each (once per CPU "
                "and model).",
                model_key,
                ", ".join(among),
                len(texts),
            )
            speeds = measure_speeds(
                {runtime: encoder(runtime) for runtime in among}, texts, batch_size
            )
            choices[key] = measured_choice(speeds, cpu, identity, len(texts))
        runtime, why = auto_runtime(spec, identity, batch_size, choices, cpu)
        logger.info("%s: runtime auto runs %s on this CPU: %s.", model_key, runtime, why)
    return choices
