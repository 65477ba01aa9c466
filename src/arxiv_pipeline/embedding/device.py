"""The torch device that ``embeddings.encoding.device`` (or a classifier's ``device``) names."""

from __future__ import annotations

from .specs import EmbeddingModelError


def resolve_device(device: str) -> str:
    """``auto`` is the first of cuda, mps and cpu that torch can use; anything else is checked.

    Raises
    ------
    EmbeddingModelError
        If a CUDA device is named but torch sees none.
    """
    import torch  # late: importing torch costs seconds that a cache hit never needs

    if device == "auto":
        if torch.cuda.is_available():
            return "cuda"
        return "mps" if torch.backends.mps.is_available() else "cpu"
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise EmbeddingModelError(
            f"device is '{device}', but torch {torch.__version__} sees no CUDA device; "
            "use 'auto' or 'cpu', or install a CUDA build of torch."
        )
    return device


def device_kind(device: str) -> str:
    """``cpu``, ``cuda`` or ``mps``: the kind of device ``device`` resolves to.

    Only ``auto`` imports torch to be told (seconds, even where nothing is encoded).
    """
    return (resolve_device(device) if device == "auto" else device).split(":")[0]
