"""What one training update hands to its observers (the CLI's writers and the app's views)."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, slots=True)
class StepRecord:
    """One update of the training loop, immutable so a UI thread can hold it without copying.

    ``trace`` holds the engine's trace (keys as in docs/file-formats.md) of the batch this update
    used, at the parameters *before* the update. ``metrics`` is exactly this update's row of
    ``metrics.csv`` (column name -> value, NaN where not evaluated). ``heavy`` says whether the trace
    carries the expensive parts (``flow/<l>``, ``jacobian_norm/<l>``).
    """

    step: int
    trace: Mapping[str, np.ndarray]
    metrics: Mapping[str, float]
    heavy: bool = False
    learning_rate: float = float("nan")
    extra: Mapping[str, object] = field(default_factory=dict)

    @property
    def loss(self) -> float:
        return self.metrics["loss"]

    @property
    def grad_norm(self) -> float:
        return self.metrics["grad_norm"]
