"""Tick spacing that leaves room for the tick labels, so they never run together on a narrow axis.

pyqtgraph always draws its top tick level, however crowded: on an 80 px wide heatmap the time axis
read "01020304050" and a colour bar "0.20.40.60.8". ``fit_ticks(axis)`` makes an axis widen its
major spacing in 1-2-5 steps until the widest label of the range, plus a gap, fits between ticks.
"""
from __future__ import annotations

import math
import types

import pyqtgraph as pg
from PySide6.QtGui import QFont, QFontMetricsF

__all__ = ["fit_ticks", "block_ticks", "GAP_PX"]

GAP_PX = 6.0  # free pixels between two neighbouring tick labels


def _label_extent(axis: pg.AxisItem, values: list[float], spacing: float) -> float:
    """Pixels the labels of ``values`` take along the axis at most (width on a horizontal axis,
    height on a vertical one)."""
    metrics = QFontMetricsF(axis.style.get("tickFont") or QFont())
    if axis.orientation in ("left", "right"):
        return metrics.height()
    texts = axis.tickStrings(values, axis.autoSIPrefixScale * axis.scale, spacing)
    return max((metrics.horizontalAdvance(t) for t in texts), default=0.0)


def _fitting_spacing(axis: pg.AxisItem, minVal: float, maxVal: float, size: float):
    levels = type(axis).tickSpacing(axis, minVal, maxVal, size)
    lo, hi = min(minVal, maxVal), max(minVal, maxVal)
    if not levels or size <= 0 or not math.isfinite(hi - lo) or hi <= lo:
        return levels
    spacing = levels[0][0]
    px_per_unit = size / (hi - lo)
    step = spacing
    for _ in range(60):  # 1-2-5 steps up to 10^20 times the first: always ends
        ends = [math.ceil(lo / step) * step, math.floor(hi / step) * step]
        if step * px_per_unit >= _label_extent(axis, ends, step) + GAP_PX:
            break
        mantissa = step / 10 ** math.floor(math.log10(step))
        step *= 2.5 if round(mantissa) == 2 else 2.0
    if step == spacing:
        return levels
    # the finer levels stay as unlabelled ticks (maxTextLevel = 0 below)
    return [(step, 0.0), *[lv for lv in levels if lv[0] < step][:1]]


def fit_ticks(axis: pg.AxisItem) -> pg.AxisItem:
    """Make ``axis`` label only ticks far enough apart for their labels (see the module doc)."""
    axis.tickSpacing = types.MethodType(_fitting_spacing, axis)
    axis.setStyle(maxTextLevel=0)
    return axis


def _block_values(axis: pg.AxisItem, minVal: float, maxVal: float, size: float):
    names, rows = axis._rnn_viz_blocks
    minVal, maxVal = min(minVal, maxVal), max(minVal, maxVal)  # an inverted axis passes them swapped
    span = maxVal - minVal
    if size <= 0 or not math.isfinite(span) or span <= 0:
        return [(None, [])]
    block_px = rows * size / span
    need = _label_extent(axis, [minVal], 1.0) + 2.0
    every = max(1, math.ceil(need / block_px))  # as many names as fit, evenly spaced
    centres = [(i + 0.5) * rows - 0.5 for i in range(0, len(names), every)]
    return [(None, [c for c in centres if minVal <= c <= maxVal])]


def _block_strings(axis: pg.AxisItem, values, scale, spacing):
    names, rows = axis._rnn_viz_blocks
    return [names[int(round((v + 0.5) / rows - 0.5))] if 0 <= round((v + 0.5) / rows - 0.5) < len(names)
            else "" for v in values]


def block_ticks(axis: pg.AxisItem, names: tuple[str, ...], rows: int) -> pg.AxisItem:
    """Label ``axis`` with ``names`` at the centres of consecutive blocks of ``rows`` rows (the
    gates' blocks of H units), leaving out names that would touch their neighbours."""
    first = not hasattr(axis, "_rnn_viz_blocks")
    axis._rnn_viz_blocks = (tuple(names), int(rows))
    if first:
        axis.tickValues = types.MethodType(_block_values, axis)
        axis.tickStrings = types.MethodType(_block_strings, axis)
    axis.picture = None
    axis.update()
    return axis
