"""The multi-label classifier: a multilayer perceptron on paper embeddings, one logit per label.

torch is imported inside the functions: Kedro imports every pipeline for every command,
and torch would add seconds and hundreds of MB to each of them.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import torch
    from torch import nn

    from .data import LabelledVectors

#: Activation names of the search space, and the ``torch.nn`` module of each.
ACTIVATIONS = {"relu": "ReLU", "gelu": "GELU", "silu": "SiLU", "tanh": "Tanh"}


@dataclass(frozen=True)
class Architecture:
    """The shape of a classifier network.

    Attributes
    ----------
    input_dim
        Width of the embeddings.
    n_labels
        Outputs: one logit per vocabulary label.
    depth
        Hidden layers; 0 is a linear model (one-vs-rest logistic regression on the embeddings).
    width
        Units per hidden layer.
    dropout
        Dropout after each hidden layer's activation.
    activation
        A key of :data:`ACTIVATIONS`.
    """

    input_dim: int
    n_labels: int
    depth: int
    width: int
    dropout: float
    activation: str


@dataclass(frozen=True)
class ClassifierCheckpoint:
    """The weights of a network and everything needed to rebuild and use it.

    ``classifier`` (:class:`~arxiv_pipeline.datasets.ClassifierDataset`) stores it as
    safetensors and JSON, never pickled: no file names this module.

    Attributes
    ----------
    config
        JSON-serialisable: the architecture, the label names in output order, the
        embedding model the inputs come from, the decision threshold, ...
    tensors
        The network's ``state_dict``, on the CPU.
    """

    config: dict[str, Any]
    tensors: dict[str, torch.Tensor]


def build_network(architecture: Architecture) -> nn.Sequential:
    """``depth`` × (linear, activation, dropout), then a linear layer to ``n_labels`` logits.

    The logits go to ``BCEWithLogitsLoss`` in training and through a sigmoid for
    probabilities: each label is an independent yes/no.
    """
    from torch import nn

    layers: list[nn.Module] = []
    width = architecture.input_dim
    for _ in range(architecture.depth):
        layers += [
            nn.Linear(width, architecture.width),
            getattr(nn, ACTIVATIONS[architecture.activation])(),
            nn.Dropout(architecture.dropout),
        ]
        width = architecture.width
    layers.append(nn.Linear(width, architecture.n_labels))
    return nn.Sequential(*layers)


def to_checkpoint(
    architecture: Architecture, state: dict[str, torch.Tensor], **config: Any
) -> ClassifierCheckpoint:
    """Weights on the CPU, and a config holding the architecture and ``config``."""
    tensors = {name: tensor.detach().cpu() for name, tensor in state.items()}
    return ClassifierCheckpoint({"architecture": asdict(architecture), **config}, tensors)


def from_checkpoint(checkpoint: ClassifierCheckpoint) -> nn.Sequential:
    """The network of a checkpoint, in evaluation mode."""
    network = build_network(Architecture(**checkpoint.config["architecture"]))
    network.load_state_dict(checkpoint.tensors)
    return network.eval()


def as_tensor(rows: np.ndarray, device: str) -> torch.Tensor:
    """float32 rows on ``device``; copied, since memory-mapped embeddings are read-only."""
    import torch

    return torch.from_numpy(np.array(rows, dtype=np.float32)).to(device)


def logits_of(
    network: nn.Module,
    vectors: np.ndarray | LabelledVectors,
    device: str,
    batch_size: int = 8192,
) -> torch.Tensor:
    """The network's logits for every row of ``vectors``, on the CPU, in evaluation mode.

    ``vectors`` is read ``batch_size`` rows at a time (a memory map or
    :class:`~.data.LabelledVectors` is never copied whole); the logits are kept whole.
    """
    import torch

    network.eval()
    with torch.no_grad():
        parts = [
            network(as_tensor(vectors[start : start + batch_size], device)).cpu()
            for start in range(0, len(vectors), batch_size)
        ]
    return torch.cat(parts)


def probabilities(
    network: nn.Module, vectors: np.ndarray | LabelledVectors, device: str = "cpu"
) -> np.ndarray:
    """Per-label probabilities (sigmoid of the logits) for every row of ``vectors``, read in chunks."""
    import torch

    return torch.sigmoid(logits_of(network.to(device), vectors, device)).numpy()
