"""What the data layer hands to the training loop: batches, and a dataset that draws them."""
from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from .errors import DataError

LOSSES = ("mse", "cross_entropy")


@dataclass(frozen=True, slots=True)
class Batch:
    """One batch for the engine.

    inputs: (B, T, I) float64. targets: (B, T, O) float64 for mse, or (B, T) int64 class indices for
    cross_entropy. mask: (B, T) bool, True where a (sample, step) pair carries a loss. For file data,
    where each window came from: ``row_start`` (B,) int64, its first step in the loaded series
    (after missing-value handling, from 0), and for ready-made sequences ``sequence`` (B,) int64.
    """

    inputs: np.ndarray
    targets: np.ndarray
    mask: np.ndarray
    row_start: np.ndarray | None = None
    sequence: np.ndarray | None = None

    @property
    def batch_size(self) -> int:
        return int(self.inputs.shape[0])

    @property
    def seq_len(self) -> int:
        return int(self.inputs.shape[1])


def frozen_batch(inputs: np.ndarray, targets: np.ndarray, mask: np.ndarray, row_start=None, sequence=None) -> Batch:
    """A batch whose arrays are read-only, so one validation batch can be shared by every caller."""
    arrays = []
    for a in (inputs, targets, mask, row_start, sequence):
        if a is not None:
            a = np.ascontiguousarray(a)
            a.flags.writeable = False
        arrays.append(a)
    return Batch(*arrays)


@dataclass(frozen=True, eq=False)
class Dataset:
    """A task or a loaded file, ready to hand batches to the engine.

    ``loss`` is the task's loss; ``allowed_losses`` every loss it can take (``loss`` first).
    ``output_size`` is the number of classes for cross_entropy. ``chance_loss`` is the loss of the
    best prediction that ignores the inputs (a constant for mse; the class frequencies for
    cross_entropy); ``chance_accuracy`` is the accuracy of always guessing the most frequent class
    (None for mse). ``vocab`` names the classes (text: index -> character; copy and
    temporal_order: symbol names). ``input_names`` / ``output_names`` name the input channels and
    output units, for axis labels. ``details`` holds source-specific facts (normalisation
    statistics, split sizes, columns) for the app.
    """

    name: str
    loss: str
    allowed_losses: tuple[str, ...]
    input_size: int
    output_size: int
    seq_len: int
    chance_loss: float
    chance_accuracy: float | None
    summary: str
    vocab: tuple[str, ...] | None = None
    validation: Batch | None = None
    input_names: tuple[str, ...] = ()
    output_names: tuple[str, ...] = ()
    details: Mapping[str, object] = field(default_factory=dict)
    _draw: Callable[[np.random.Generator, int], Batch] | None = field(default=None, repr=False)

    def __post_init__(self):
        object.__setattr__(self, "details", MappingProxyType(dict(self.details)))

    def sample(self, rng: np.random.Generator, batch_size: int) -> Batch:
        """One training batch of ``batch_size`` sequences of ``seq_len`` steps, drawn with ``rng``.

        Synthetic tasks draw fresh sequences; file data draws windows from the training split.
        Returns a Batch with inputs (B, T, I), targets (B, T, O) or (B, T), mask (B, T).
        """
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise DataError(f"batch size must be a whole number of at least 1, got {batch_size!r}")
        if self._draw is None:
            raise DataError(f"{self.name}: this dataset cannot draw batches")
        return self._draw(rng, int(batch_size))

    @property
    def is_classification(self) -> bool:
        return self.loss == "cross_entropy"
