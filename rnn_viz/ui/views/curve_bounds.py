"""A curve's data bounds, worked out faster and kept while only its view moves.

pyqtgraph's ``PlotCurveItem`` works its bounding rect out again after every new data and every
change of its view's range (Qt asks for it to find what to repaint): both data bounds, each with
``np.nanmin`` / ``np.nanmax`` inside a ``warnings.catch_warnings`` block, about 11 us an axis.
With ~11 curves given new data or a moved range per frame that was 0.8-1.1 ms of the frame
(measured with benchmarks/redraw.py's layout, T = 200, H = 128). Two changes, the same numbers:

* the full-range bounds (all that ``boundingRect`` asks for) come from ``np.fmin.reduce`` /
  ``np.fmax.reduce``, which is what ``np.nanmin`` / ``np.nanmax`` compute for a plain ndarray
  (without their all-NaN warning, which pyqtgraph silences anyway); anything else (a fraction of
  the data, an orthogonal range, an object array) goes to pyqtgraph's own ``dataBounds``;
* they are kept with the data arrays (and pens and fill level) they came from: a new view range
  drops pyqtgraph's bounds cache (the pixel padding of the bounding rect follows the view), but
  the same arrays have the same bounds. ``setData`` always makes new array objects (pyqtgraph
  keeps views of what it is given) and ``setPen`` a new pen, so new data or a new pen is never
  matched to old bounds.

``dataBounds`` is installed on each curve (``quick_bounds``) as an instance method: pyqtgraph calls
it from Python, so the class and every other curve stay as they are.
"""
from __future__ import annotations

import math
import types

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

__all__ = ["quick_bounds", "has_quick_bounds"]

_MARK = "_rnn_viz_quick_bounds"
_NO_PEN = Qt.PenStyle.NoPen


def quick_bounds(items) -> None:
    """Give every PlotCurveItem among ``items`` (a scene's items) the quick bounds; curves that
    have them already are passed over."""
    for item in items:
        if isinstance(item, pg.PlotCurveItem) and not has_quick_bounds(item):
            item.dataBounds = types.MethodType(_data_bounds, item)
            setattr(item, _MARK, {})


def has_quick_bounds(curve: pg.PlotCurveItem) -> bool:
    return isinstance(getattr(curve, _MARK, None), dict)


def _full_range(d: np.ndarray) -> tuple[float, float] | None:
    """(min, max) of the (N,) data ``d`` ignoring NaN, as pyqtgraph's dataBounds: of the finite
    values if an end is infinite, None if none is finite."""
    b = (float(np.fmin.reduce(d)), float(np.fmax.reduce(d)))
    if math.isinf(b[0]) or math.isinf(b[1]):
        d = d[np.isfinite(d)]
        if len(d) == 0:
            return None
        b = (float(d.min()), float(d.max()))
    return b


def _data_bounds(self: pg.PlotCurveItem, ax, frac=1.0, orthoRange=None):
    cache = self._boundsCache[ax]
    if cache is not None and cache[0] == (frac, orthoRange):
        return cache[1]
    x, y = self.getData()
    opts = self.opts
    # what the bounds depend on: the arrays, the fill level and the pens (setPen makes a new one)
    key = (x, y, opts["pen"], opts["shadowPen"])
    kept = getattr(self, _MARK).get(ax)
    if (kept is not None and frac >= 1.0 and orthoRange is None and all(a is b for a, b in zip(kept[0], key))
            and kept[1] == opts["fillLevel"]):
        self._boundsCache[ax] = [(frac, orthoRange), kept[2]]
        return kept[2]
    d = x if ax == 0 else y
    if (frac < 1.0 or orthoRange is not None or ax not in (0, 1) or type(d) is not np.ndarray
            or d.dtype.kind not in "fiu"):
        return pg.PlotCurveItem.dataBounds(self, ax, frac, orthoRange)
    if x is None or len(x) == 0 or len(d) == 0:
        return (None, None)
    b = _full_range(d)
    if b is None:
        return (None, None)
    # the rest as pyqtgraph's dataBounds: the fill level, then non-cosmetic pens' width
    fill = self.opts["fillLevel"]
    if ax == 1 and fill is not None and not (isinstance(fill, str) and fill == "enclosed"):
        b = (float(min(b[0], fill)), float(max(b[1], fill)))
    for pen in (self.opts["pen"], self.opts["shadowPen"]):
        if pen is not None and not pen.isCosmetic() and pen.style() != _NO_PEN:
            b = (b[0] - pen.widthF() * 0.7072, b[1] + pen.widthF() * 0.7072)
    self._boundsCache[ax] = [(frac, orthoRange), b]
    getattr(self, _MARK)[ax] = (key, opts["fillLevel"], b)
    return b
