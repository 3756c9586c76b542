"""Setting a curve's data only when it changed: setData costs a view's frame Python callbacks
(the curve's data checks, sigPlotChanged, the view box's bounds bookkeeping) even when it sets what
is already there, and the line-chart views set every curve every frame.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg

__all__ = ["set_curve", "steps"]


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    return a is b or (a.shape == b.shape and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind == "f"))


def set_curve(item: pg.PlotCurveItem, x: np.ndarray, y: np.ndarray) -> None:
    """``item.setData(x, y)`` unless it holds these values already (the same read-only arrays, or
    equal ones: a target that stays while the outputs move): a curve's setData re-checks its data
    and bounds and tells the view box, ~50 µs a curve; comparing a few hundred values, ~5 µs."""
    # pyqtgraph keeps views of the arrays, not the arrays: remember what was set, and the views it
    # kept (a setData from elsewhere replaces them, and then this one sets again)
    last = getattr(item, "_set_curve_arrays", None)
    if (last is not None and last[2] is item.xData and last[3] is item.yData
            and _same(last[0], x) and _same(last[1], y)):
        return
    item.setData(x, y)
    item._set_curve_arrays = (x, y, item.xData, item.yData)


_STEPS: dict[int, np.ndarray] = {}


def steps(T: int) -> np.ndarray:
    """The read-only (T,) float64 array 0 .. T-1, one per T: the x of every per-step curve, so
    set_curve sees the same x again."""
    x = _STEPS.get(T)
    if x is None:
        x = np.arange(T, dtype=np.float64)
        x.setflags(write=False)
        _STEPS[T] = x
    return x
