"""A trace's file-data keys (``data/*``, ``val/*``; data/window_keys.py), added by the Trainer.

``data/*`` is cheap and goes into every record (the batch's rows are known only when it is drawn);
``val/*`` needs a forward pass over the validation windows, so only heavy traces (the one
``trace.npz`` gets, and the app's heavy refreshes) carry it.
"""
from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

from ..data.window_keys import has_windows, validation_batch, validation_keys, window_keys
from ..engine import losses
from ..engine.network import forward

__all__ = ["extend_trace"]


def _predictions(spec, params: Mapping[str, np.ndarray], loss: str, batch) -> np.ndarray:
    """(V, T, O) predictions (y for mse, softmax(y) for cross-entropy) of ``batch`` at ``params``."""
    _, y = forward(spec, dict(params), np.asarray(batch.inputs, dtype=params["Why"].dtype))
    y = y.transpose(1, 0, 2)
    targets = batch.targets.astype(y.dtype) if loss == "mse" else batch.targets
    return losses.compute(loss, y, targets, batch.mask).predictions


def extend_trace(trainer, trace: Mapping[str, np.ndarray], batch=None, heavy: bool = False,
                 carry: Mapping[str, np.ndarray] | None = None) -> Mapping[str, np.ndarray]:
    """``trace`` with the data keys of ``batch`` (or those of ``carry``, a record's trace of the same
    batch) and, when ``heavy``, the ``val/*`` keys at the trace's parameters. Unchanged for built-in
    tasks."""
    dataset = trainer.dataset
    if not has_windows(dataset):
        return trace
    extra = window_keys(dataset, batch) if batch is not None else {
        k: v for k, v in (carry or {}).items() if k.startswith("data/")}
    val = validation_batch(dataset) if heavy else None
    if val is not None:
        params = {k: trace[f"param/{k}"] for k in trainer.spec.param_shapes()}
        extra.update(validation_keys(dataset, val, _predictions(trainer.spec, params, trainer.loss, val)))
    if not extra:
        return trace
    return MappingProxyType({**trace, **extra})
