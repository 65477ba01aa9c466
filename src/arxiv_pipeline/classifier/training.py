"""Training one classifier: AdamW on BCEWithLogitsLoss, early stopping on validation loss.

On the CPU a run is deterministic for a seed: torch's generator (weights, dropout) is
seeded, batches are drawn from a seeded numpy generator, and torch's deterministic
algorithms are on. CUDA kernels are not all deterministic, so GPU runs may differ in
the last digits. torch is imported inside the functions (see ``model``).

Training streams: each batch's embeddings are read from the memory-mapped matrix and its
targets made dense when the batch is drawn (:class:`~.data.LabelledVectors`), so memory
does not grow with the training split. Validation is scored in chunks; its logits and
dense targets (papers × labels) are held, as the threshold is tuned over all of them.
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from .data import LabelledVectors
from .metrics import label_ranking_average_precision, tune_threshold
from .model import Architecture, as_tensor, build_network, logits_of

if TYPE_CHECKING:
    import torch
    from torch import nn

#: Objectives a study can optimise, and their direction.
MONITORS = {"validation_loss": "minimize", "lrap": "maximize", "micro_f1": "maximize"}

SCHEDULERS = ("none", "cosine", "plateau")


@dataclass(frozen=True)
class TrainingSettings:
    """How every run of a study trains.

    Attributes
    ----------
    max_epochs
        Epochs at most.
    patience
        Stop after this many epochs without a lower validation loss.
    monitor
        A key of :data:`MONITORS`: the best epoch is the one with the best value of it.
    seed
        Seeds weights, dropout and batch order.
    device
        A torch device (``cpu``, ``cuda``, ``mps``).
    threads
        torch threads on the CPU (``None``: torch's default, one per core).
    """

    max_epochs: int
    patience: int
    monitor: str
    seed: int
    device: str
    threads: int | None = None


@dataclass(frozen=True)
class TrainingResult:
    """The weights of the best epoch and what every epoch measured.

    Attributes
    ----------
    state
        The best epoch's ``state_dict``, on the CPU.
    best_epoch
        Index into ``history``.
    history
        Per epoch: ``epoch``, ``train_loss``, ``validation_loss``, ``lrap``, ``micro_f1``
        (at the validation-best ``threshold``), ``learning_rate``, ``seconds``.
    stop_reason
        ``early_stopping`` or ``max_epochs``.
    """

    state: dict[str, torch.Tensor]
    best_epoch: int
    history: list[dict[str, float]]
    stop_reason: str

    @property
    def best(self) -> dict[str, float]:
        return self.history[self.best_epoch]

    @property
    def seconds_per_epoch(self) -> float:
        return float(np.mean([record["seconds"] for record in self.history]))


@contextlib.contextmanager
def seeded(settings: TrainingSettings) -> Iterator[None]:
    """Seed torch and, on the CPU, use deterministic algorithms and ``settings.threads``.

    Both are process-wide torch settings: they are restored afterwards.
    """
    import torch

    deterministic, threads = torch.are_deterministic_algorithms_enabled(), torch.get_num_threads()
    torch.manual_seed(settings.seed)
    if settings.device == "cpu":
        torch.use_deterministic_algorithms(True)
        if settings.threads:
            torch.set_num_threads(settings.threads)
    try:
        yield
    finally:
        torch.use_deterministic_algorithms(deterministic)
        torch.set_num_threads(threads)


def make_scheduler(
    name: str, optimizer: torch.optim.Optimizer, max_epochs: int
) -> torch.optim.lr_scheduler.LRScheduler | torch.optim.lr_scheduler.ReduceLROnPlateau | None:
    """The learning-rate schedule, stepped once per epoch."""
    import torch

    if name == "cosine":
        return torch.optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=max_epochs)
    if name == "plateau":
        # Halve the rate after one epoch without progress: early stopping waits longer.
        return torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=1)
    if name == "none":
        return None
    raise ValueError(f"scheduler must be one of {SCHEDULERS}, got {name!r}.")


def _train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_function: nn.Module,
    train: LabelledVectors,
    order: np.ndarray,
    batch_size: int,
    device: str,
) -> float:
    """One pass over the training papers in ``order``; the mean training loss."""
    model.train()
    total = 0.0
    for start in range(0, len(order), batch_size):
        # Sorted rows read a memory-mapped matrix in order; a batch's loss is a mean anyway.
        rows = np.sort(order[start : start + batch_size])
        optimizer.zero_grad(set_to_none=True)
        loss = loss_function(
            model(as_tensor(train[rows], device)), as_tensor(train.labels(rows), device)
        )
        loss.backward()
        optimizer.step()
        total += loss.item() * len(rows)
    return total / len(order)


def _validate(
    model: nn.Module,
    loss_function: nn.Module,
    validation: LabelledVectors,
    device: str,
) -> dict[str, float]:
    """Validation loss, LRAP, and micro-F1 at the best threshold on validation."""
    import torch

    targets = validation.labels(slice(None))
    logits = logits_of(model, validation, device)
    scores = torch.sigmoid(logits).numpy()
    threshold, curve = tune_threshold(targets, scores)
    return {
        "validation_loss": loss_function(logits, as_tensor(targets, "cpu")).item(),
        "lrap": label_ranking_average_precision(targets, scores),
        "micro_f1": float(curve.max()),
        "threshold": threshold,
    }


def _is_better(value: float, best: float | None, monitor: str) -> bool:
    if best is None:
        return True
    return value < best if MONITORS[monitor] == "minimize" else value > best


def train_classifier(
    architecture: Architecture,
    params: dict[str, Any],
    train: LabelledVectors,
    validation: LabelledVectors,
    settings: TrainingSettings,
    on_epoch: Callable[[dict[str, float]], None] | None = None,
) -> TrainingResult:
    """Train a network of ``architecture`` and keep its best epoch.

    Parameters
    ----------
    architecture
        The network's shape.
    params
        ``learning_rate``, ``weight_decay``, ``batch_size`` and ``scheduler``.
    train, validation
        The labelled papers of each split; training reads ``params["batch_size"]`` papers
        at a time, in an order drawn from ``settings.seed``.
    settings
        See :class:`TrainingSettings`.
    on_epoch
        Called with each epoch's record; it may raise (``optuna.TrialPruned``) to stop.

    Raises
    ------
    FloatingPointError
        If the training loss is not finite (a diverging run, or NaN in the embeddings).
    """
    import torch
    from torch import nn

    device = settings.device
    with seeded(settings):
        model = build_network(architecture).to(device)
        optimizer = torch.optim.AdamW(
            model.parameters(), lr=params["learning_rate"], weight_decay=params["weight_decay"]
        )
        scheduler = make_scheduler(params["scheduler"], optimizer, settings.max_epochs)
        loss_function = nn.BCEWithLogitsLoss()
        batches = np.random.default_rng(settings.seed)
        history: list[dict[str, float]] = []
        best_state, best_epoch, best_value = {}, 0, None
        lowest_loss, stale_epochs, stop_reason = math.inf, 0, "max_epochs"
        for epoch in range(settings.max_epochs):
            started = time.perf_counter()
            learning_rate = optimizer.param_groups[0]["lr"]
            train_loss = _train_epoch(
                model,
                optimizer,
                loss_function,
                train,
                batches.permutation(len(train)),
                params["batch_size"],
                device,
            )
            if not math.isfinite(train_loss):
                raise FloatingPointError(
                    f"training loss is {train_loss} at epoch {epoch} "
                    f"(learning rate {learning_rate:g}): "
                    "the run diverged, or the embeddings hold NaN"
                )
            record = {
                "epoch": epoch,
                "train_loss": train_loss,
                **_validate(model, loss_function, validation, device),
                "learning_rate": learning_rate,
                "seconds": time.perf_counter() - started,
            }
            history.append(record)
            if _is_better(record[settings.monitor], best_value, settings.monitor):
                best_value, best_epoch = record[settings.monitor], epoch
                best_state = {
                    name: tensor.detach().cpu().clone()
                    for name, tensor in model.state_dict().items()
                }
            if on_epoch is not None:
                on_epoch(record)
            if isinstance(scheduler, torch.optim.lr_scheduler.ReduceLROnPlateau):
                scheduler.step(record["validation_loss"])
            elif scheduler is not None:
                scheduler.step()
            if record["validation_loss"] < lowest_loss:
                lowest_loss, stale_epochs = record["validation_loss"], 0
            else:
                stale_epochs += 1
            if stale_epochs >= settings.patience:
                stop_reason = "early_stopping"
                break
    return TrainingResult(best_state, best_epoch, history, stop_reason)
