"""Which sequence the predictions view draws, in which units and against which axis (pure, no Qt).

A training window of the batch (``inputs``, ``targets``, ``predictions``, ``loss_mask``) or one of the
trace's validation windows (``val/*``, file sources only). For a file the targets and predictions
of an mse task are drawn in the file's own units (the z-score undone with ``data/target_mean``
and ``data/target_std``) against the file's time column (``data/time`` or ``val/time``: dates as
Unix seconds, or row numbers), the axis named after it (``data/time_name``). Built-in tasks keep
their values and the time step t.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from rnn_viz.data.window_keys import time_is_dates

__all__ = ["SOURCES", "SequenceFrame", "sources", "resolve_sequence"]

SOURCES = ("training", "validation")
_AXIS_NAMES = {"row": "row of the file", "step": "time step t"}


@dataclass(frozen=True, slots=True)
class SequenceFrame:
    """One window to draw. ``source``: "training" or "validation"; ``index`` of ``count`` windows.
    ``x`` (T,): where each step is drawn; ``x_name``: the bottom axis label; ``dates``: ``x`` is
    Unix seconds. ``inputs`` (T, I); ``targets`` (T, O) for mse (file units) or (T,) class
    indices; ``predictions`` (T, O); ``mask`` (T,) bool; ``units``: "file units", "z-scored" or ""."""

    source: str
    index: int
    count: int
    x: np.ndarray
    x_name: str
    dates: bool
    inputs: np.ndarray
    targets: np.ndarray
    predictions: np.ndarray
    mask: np.ndarray
    units: str


def sources(trace: Mapping[str, np.ndarray]) -> tuple[str, ...]:
    """The sequences ``trace`` can show: always "training", "validation" when it has val/* keys."""
    return SOURCES if "val/predictions" in trace else SOURCES[:1]


def resolve_sequence(trace: Mapping[str, np.ndarray], source: str, sample: int) -> SequenceFrame:
    """The frame of window ``sample`` (clipped to the windows there are) of ``source``; a trace
    without validation windows gives its training window."""
    if source not in sources(trace):
        source = "training"
    prefix = "val/" if source == "validation" else ""
    targets = np.asarray(trace[f"{prefix}targets"])
    count = targets.shape[0]
    b = int(min(max(sample, 0), count - 1))
    target = np.asarray(targets[b])
    pred = np.asarray(trace[f"{prefix}predictions"][b], dtype=np.float64)
    mask = np.asarray(trace[f"{prefix}loss_mask"][b], dtype=bool)
    T = mask.size
    units = ""
    if target.ndim == 2:  # mse: values, which a file source lets us put back in its units
        target = target.astype(np.float64)
        if "data/target_mean" in trace:
            mean = np.asarray(trace["data/target_mean"], dtype=np.float64)
            std = np.asarray(trace["data/target_std"], dtype=np.float64)
            target, pred = target * std + mean, pred * std + mean
            units = "file units"
    else:
        target = target.astype(np.int64)
    time_key = "val/time" if source == "validation" else "data/time"
    if time_key in trace and "data/time_name" in trace:
        x = np.asarray(trace[time_key][b], dtype=np.float64)
        name = str(np.asarray(trace["data/time_name"])[()])
        dates = time_is_dates(name)
        x_name = _AXIS_NAMES.get(name, name)
    else:
        x, x_name, dates = np.arange(T, dtype=np.float64), _AXIS_NAMES["step"], False
    return SequenceFrame(source, b, count, x, x_name, dates, np.asarray(trace[f"{prefix}inputs"][b]),
                         target, pred, mask, units)
