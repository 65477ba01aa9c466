"""Which embedding models a study uses: the ones its parameters name or its space draws."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def used_models(space: Mapping[str, Any], *configured: str | None) -> list[str]:
    """``configured`` models (``None`` skipped), then the ``embedding_model`` choices of ``space``.

    Studies read, fingerprint and record only these, so adding a model to
    ``embeddings.models`` neither costs a study memory nor changes its data fingerprint.
    """
    drawn = getattr(space.get("embedding_model"), "choices", ())
    return list(dict.fromkeys([key for key in configured if key] + list(drawn)))
