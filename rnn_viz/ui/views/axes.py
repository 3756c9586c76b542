"""The views' axes: dark on white, laid out once (steady_axis), cached as pixmaps, and the step and
decade axes that label only what reads well."""
from __future__ import annotations

import types

import numpy as np
import pyqtgraph as pg
from PySide6.QtWidgets import QGraphicsItem

from rnn_viz.ui import colormaps as cm

__all__ = ["AXIS_CACHE", "DecadeAxis", "StepAxis", "decade_axis", "step_axes", "style_axis", "steady_axis"]

def style_axis(axis: pg.AxisItem) -> None:
    """Dark axis lines, ticks and labels on the views' white background (pyqtgraph's are light),
    on an axis that re-lays its plot out only when its size really changes (steady_axis)."""
    axis.setPen(pg.mkPen(cm.FOREGROUND))
    axis.setTextPen(pg.mkPen(cm.FOREGROUND))
    axis.label.setDefaultTextColor(pg.mkColor(cm.FOREGROUND))
    steady_axis(axis)
    axis.setCacheMode(AXIS_CACHE)


# An axis is drawn from its tick picture (a QPicture replayed at every paint, its text laid out
# again each time); as a pixmap in device coordinates it is one blit until its ticks change, which
# is rare (the views keep rounded spans). Measured on the whole window: 1-2.7 ms of 20-25 per frame.
# Exports paint without it (set_export_mode), so a file gets the axes at its own resolution.
AXIS_CACHE = QGraphicsItem.CacheMode.DeviceCoordinateCache


def _update_label_if_changed(axis: pg.AxisItem) -> None:
    text = axis.labelString()
    if text != getattr(axis, "_rnn_viz_label", None):
        axis._rnn_viz_label = text
        type(axis)._updateLabel(axis)
    else:  # the ticks still follow the new range
        axis.picture = None
        axis.update()


def steady_axis(axis: pg.AxisItem) -> None:
    """Keep ``axis`` from re-laying its plot out on every range change.

    pyqtgraph re-sets an axis label's HTML and asks the layout for a new geometry after every range
    change (its SI-prefix check), and fits the axis to the widest tick text both ways, so a view was
    laid out again and painted 1.3-1.5 times per frame (measured). Here the label is redone only
    when its text changes, and tick text only ever widens an axis: its width settles within the
    first frames and tick text no longer moves the plot. Text space that only grows also ends a
    resize cycle (issue 11): a vertical axis sized to its labels, whose labels depend on the plot's
    height, whose height depends on the title's wrapping, whose width depends on the axis.
    """
    axis.setStyle(autoReduceTextSpace=False)
    axis._updateLabel = types.MethodType(_update_label_if_changed, axis)


# log10(2) .. log10(9), the minor ticks within a decade: computed once (two np.log10 calls per
# candidate tick took 0.4 ms of every tick regeneration on a 13-decade axis)
_LOG_DIGITS = tuple(np.log10(k) for k in range(2, 10))


class DecadeAxis(pg.AxisItem):
    """A log axis labelled at whole decades only, thinned to fit.

    pyqtgraph falls back to labelling 2, 3, ... 9 on short log spans, and those labels collide.
    """

    MIN_LABEL_SPACING = 28  # pixels between labelled decades

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setStyle(maxTextLevel=0)

    def logTickValues(self, minVal, maxVal, size, stdTicks):
        lo, hi = int(np.ceil(minVal - 1e-9)), int(np.floor(maxVal + 1e-9))
        decades = list(range(lo, hi + 1))
        minor = [v + d for v in range(lo - 1, hi + 1) for d in _LOG_DIGITS if minVal < v + d < maxVal]
        if len(decades) < 2:  # zoomed into less than a decade: label what there is
            return [(None, decades + minor)]
        fit = max(int(size // self.MIN_LABEL_SPACING), 1)
        step = max(int(np.ceil(len(decades) / fit)), 1)
        labelled = [float(v) for v in decades if v % step == 0]
        rest = [float(v) for v in decades if v % step != 0]
        return [(1.0, labelled), (None, rest + (minor if step == 1 else []))]


class StepAxis(pg.AxisItem):
    """An axis of time steps: ticks on whole steps only (a two-step path would read 22.0, 22.5, 23.0)."""

    def tickSpacing(self, minVal, maxVal, size):
        levels = [(spacing, offset) for spacing, offset in super().tickSpacing(minVal, maxVal, size)
                  if spacing >= 1]
        return levels or [(1.0, 0.0)]


def decade_axis(steps: tuple[str, ...] = ()) -> dict[str, pg.AxisItem]:
    """``axisItems`` for a plot whose y axis is logarithmic (pass to addPlot); ``steps``: the axes
    that count time steps."""
    return {"left": DecadeAxis("left"), **step_axes(*steps)}


def step_axes(*names: str) -> dict[str, StepAxis]:
    """``axisItems`` whose axes ``names`` ("left", "bottom") count time steps."""
    return {name: StepAxis(name) for name in names}
