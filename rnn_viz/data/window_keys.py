"""Where a file's windows came from, as trace.npz keys (docs/trace-keys.md, "Your own data").

For file sources the trace says how to undo the z-score (``data/input_mean`` ... ) and where each
window of the batch lies in the loaded series (``data/row_start``, ``data/time``), so the
predictions can be drawn in the file's units against its own time column. ``val/*`` holds up to
MAX_VAL_TRACE validation windows. Built-in tasks have none of these keys.
"""
from __future__ import annotations

import numpy as np

from .dataset import Batch, Dataset

__all__ = ["INDEX_TIME_NAMES", "time_is_dates", "MAX_VAL_TRACE", "has_windows", "window_keys", "validation_batch", "validation_keys"]

MAX_VAL_TRACE = 16


# data/time_name of a time axis that counts (file rows, steps of a sequence); any other name is a
# date column's header and data/time holds Unix seconds (series.py's _time_axis).
INDEX_TIME_NAMES = ("row", "step")


def time_is_dates(time_name: str) -> bool:
    """True when data/time holds Unix seconds (a date column), False for row or step numbers."""
    return str(time_name) not in INDEX_TIME_NAMES


def has_windows(dataset: Dataset) -> bool:
    """True for file sources (their details carry the time axis)."""
    return "time" in dataset.details


def _times(dataset: Dataset, batch: Batch) -> np.ndarray:
    # For ready-made sequences the axis is the step within each sequence, so the same lookup holds.
    time = np.asarray(dataset.details["time"], dtype=np.float64)
    T = batch.inputs.shape[1]
    return time[np.asarray(batch.row_start)[:, None] + np.arange(T)[None, :]]


def window_keys(dataset: Dataset, batch: Batch) -> dict[str, np.ndarray]:
    """``data/*`` keys of ``batch`` (empty for built-in tasks or a batch that does not know its rows).

    data/input_mean, data/input_std (I,); for mse data/target_mean, data/target_std (O,) (0 and 1
    when not normalised); data/row_start (B,) int64; data/sequence (B,) int64 for ready-made
    sequences; data/time (B, T) float64 (row numbers, step indices or Unix seconds); data/time_name
    (0-d str).
    """
    if not has_windows(dataset) or batch.row_start is None:
        return {}
    d = dataset.details
    I, O = dataset.input_size, dataset.output_size
    out = {
        "data/input_mean": np.asarray(d.get("input_mean", np.zeros(I)), dtype=np.float64),
        "data/input_std": np.asarray(d.get("input_std", np.ones(I)), dtype=np.float64),
    }
    if dataset.loss == "mse":
        out["data/target_mean"] = np.asarray(d.get("target_mean", np.zeros(O)), dtype=np.float64)
        out["data/target_std"] = np.asarray(d.get("target_std", np.ones(O)), dtype=np.float64)
    out["data/row_start"] = np.asarray(batch.row_start, dtype=np.int64)
    if batch.sequence is not None:
        out["data/sequence"] = np.asarray(batch.sequence, dtype=np.int64)
    out["data/time"] = _times(dataset, batch)
    out["data/time_name"] = np.array(str(d["time_name"]))
    return out


def validation_batch(dataset: Dataset) -> Batch | None:
    """The first MAX_VAL_TRACE validation windows (in time order), or None."""
    val = dataset.validation
    if not has_windows(dataset) or val is None or val.row_start is None:
        return None
    n = min(MAX_VAL_TRACE, val.batch_size)
    cut = slice(0, n)
    return Batch(val.inputs[cut], val.targets[cut], val.mask[cut], val.row_start[cut],
                 None if val.sequence is None else val.sequence[cut])


def validation_keys(dataset: Dataset, batch: Batch, predictions: np.ndarray) -> dict[str, np.ndarray]:
    """``val/*`` keys: val/inputs (V, T, I), val/targets, val/predictions (V, T, O), val/loss_mask
    (V, T), val/row_start (V,), val/time (V, T) (and val/sequence (V,) for ready-made sequences)."""
    out = {"val/inputs": batch.inputs, "val/targets": batch.targets, "val/predictions": predictions,
           "val/loss_mask": batch.mask, "val/row_start": np.asarray(batch.row_start, dtype=np.int64),
           "val/time": _times(dataset, batch)}
    if batch.sequence is not None:
        out["val/sequence"] = np.asarray(batch.sequence, dtype=np.int64)
    return out
