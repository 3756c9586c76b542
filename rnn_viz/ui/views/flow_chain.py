"""The Jacobian chain behind one cell (t, k) of the flow matrix: its frame (pure) and its plot.

The plot shows, on one log axis, the step Jacobian norms ||dh_s/dh_{s-1}|| along the path (bars
from 1), their running product from h_t back (the bound of ``analysis.jacobian_chain``) and the
actual ratio F[t, s] / F[t, t] it bounds. The three can lie hundreds of decades apart (a long path:
factors near 1, a bound of 1e-18, an actual ratio of 1e-40), so the y range is the whole-decade span
of all of them, never a fixed depth; the decade axis thins its labels to fit.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from rnn_viz.engine.analysis import jacobian_chain, per_step_decay
from rnn_viz.ui import colormaps as cm

from . import readouts as ro
from .axes import decade_axis
from .base import style_plot
from .labels import item_key, legend_html, set_title
from .frames import frozen

__all__ = ["ChainFrame", "ChainPlot", "resolve_chain", "CHAIN_LEGEND", "MAX_CHAIN_DECADES", "EMPTY", "NO_BARS"]

# float64 spans about 632 decades (4.9e-324 .. 1.8e308): deep enough for any value a trace holds.
MAX_CHAIN_DECADES = 640
# Short names with no "/" or "(" (Qt may break a line there, mid-name), short enough for one line
# of a narrow plot; the tip explains them.
CHAIN_LEGEND = ("step norms", "product", "actual ratio")
CHAIN_TIP = ("The path from h_t back to h_k of the marked cell: each step's Jacobian norm "
             "||dh_s/dh_(s-1)|| (bars from 1: above 1 the step amplifies, below 1 it shrinks the "
             "signal), their running product from h_t back, which bounds the actual ratio "
             "F[t, s] / F[t, t]. The y range covers all three, however many decades apart.")

EMPTY = (frozen([]), frozen([]))
NO_BARS = (frozen([0.0]), frozen([]))  # a step-mode curve: one more edge than values


@dataclass(frozen=True, slots=True)
class ChainFrame:
    """The inspector of cell (t, k): the marked cell (k, t) as drawn, (x, log10 y) of the actual
    ratio ((t-k+1,) each), the factors (step-mode edges (t-k+1,) and log10 values (t-k,)) and their
    running product ((t-k+1,) each), the chain plot's span (x, y in log10 units), its text, and
    ``inspected`` ((name, value) pairs: t, k, ratio, factors, product)."""

    mark: tuple[float, float] | None
    actual: tuple[np.ndarray, np.ndarray]
    factors: tuple[np.ndarray, np.ndarray]
    bound: tuple[np.ndarray, np.ndarray]
    span: tuple[tuple[float, float], tuple[float, float]] | None
    text: str
    inspected: tuple[tuple[str, object], ...] = ()

    @property
    def cell(self) -> tuple[int, int] | None:
        """(t, k) inspected, or None."""
        d = dict(self.inspected)
        return (int(d["t"]), int(d["k"])) if "t" in d else None


def resolve_chain(frame, row: int | None, k: int) -> ChainFrame:
    """Pure: the inspector of cell (``row`` or the frame's default row, ``k``) of a ``FlowFrame``."""
    def empty(text: str, mark=None) -> ChainFrame:
        return ChainFrame(mark, EMPTY, NO_BARS, EMPTY, None, text)

    if frame is None or frame.flow is None:
        return empty("" if frame is None or not frame.title.endswith("not computed yet") else
                     "The flow matrix comes with the heavy part of a trace, which this update does not carry yet.")
    flow, jac = frame.flow, frame.jac
    t = row if row is not None else frame.default_row
    if t is None:
        return empty("no loss step in this sample: F is all zero")
    y = float(t)
    if frame.rows is not None:  # only the kept rows: the kept step nearest t stands in as row t
        i = int(np.argmin(np.abs(frame.rows - t)))
        t = int(frame.rows[i])
        y = frame.row_y(i)
        flow = np.broadcast_to(flow[i], (t + 1, flow.shape[1]))
    mark = (float(min(k, t)), y)
    if not 0 <= k <= t:
        return empty(f"step k = {k} comes after t = {t}: no path; click a cell on or left of the diagonal", mark)
    ratio = ro.flow_ratio(flow, k, t)
    steps = np.arange(k, t + 1, dtype=np.float64)
    actual = flow[t, k:t + 1] / flow[t, t] if flow[t, t] > 0 else np.full(steps.size, np.nan)
    actual_xy = (frozen(steps), frozen(ro.log10_or_nan(actual)))
    if jac is None:
        return ChainFrame(mark, actual_xy, NO_BARS, EMPTY, None,
                          f"path h_{k} → h_{t}: actual F[t,k]/F[t,t] = {ratio:.3g} (no Jacobian norms in this trace)",
                          (("t", t), ("k", k), ("ratio", ratio)))
    factors, product = jacobian_chain(jac, k, t)
    _, bound = ro.running_chain_bound(jac, k, t)
    # a zero factor (no step before 0) would be -inf: draw it at the bottom of any sane range
    bars = (frozen(np.arange(k + 0.5, t + 1.0)), frozen(np.maximum(np.log10(np.maximum(factors, 1e-300)), -300)))
    span = ((k - 0.5, t + 0.5), ro.decade_span(factors, bound, actual, [1.0], max_decades=MAX_CHAIN_DECADES))
    decay = per_step_decay(flow, t)
    decay_text = f"; row t decays ×{np.exp(decay):.3g} per step" if np.isfinite(decay) else ""
    if frame.window_start is not None and k < frame.window_start[t]:
        decay_text += f" (k is cut off: the truncation window of t starts at {frame.window_start[t]})"
    text = (f"path h_{k} → h_{t} (layer {frame.layer}, sample {frame.sample}): product of {factors.size} "
            f"Jacobian norms = {product:.3g} (upper bound); actual F[t,k]/F[t,t] = {ratio:.3g}{decay_text}")
    return ChainFrame(mark, actual_xy, bars, (frozen(steps), frozen(ro.log10_or_nan(bound))), span, text,
                      (("t", t), ("k", k), ("ratio", ratio), ("factors", frozen(factors)), ("product", float(product))))


class ChainPlot:
    """The chain plot's items, created once; ``apply(chain)`` only sets their data.

    Its legend is one compact line in the title row (PlotTitle fixes that row to the text's
    height); it wraps only between entries, never inside a name (CHAIN_LEGEND)."""

    def __init__(self, view, layout, row: int, col: int):
        self.plot = style_plot(layout.addPlot(row=row, col=col, axisItems=decade_axis(steps=("bottom",))),
                               left="factor / ratio", bottom="step s on the path")
        self.plot.setLogMode(y=True)
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        view.follow_data(self.plot)
        # log10 values on a log-labelled axis (readouts.log10_or_nan). Factors are bars from 1:
        # up = that step amplifies the signal, down = it shrinks it.
        factor_color = pg.mkColor(cm.layer_color(0))
        fill = pg.mkColor(factor_color)
        fill.setAlpha(110)
        self.factors_item = pg.PlotCurveItem(np.zeros(1), np.zeros(0), stepMode="center", fillLevel=0.0,
                                             brush=fill, pen=pg.mkPen(factor_color, width=1))
        self.bound_item = pg.PlotCurveItem(pen=pg.mkPen(cm.FOREGROUND, width=2), connect="finite")
        self.actual_item = pg.PlotCurveItem(pen=pg.mkPen(cm.layer_color(1), width=2, style=Qt.PenStyle.DashLine),
                                            connect="finite")
        self.plot.addItem(pg.InfiniteLine(pos=0.0, angle=0, pen=pg.mkPen("#999999", width=1)))
        for item in (self.factors_item, self.bound_item, self.actual_item):
            self.plot.addItem(item)
        bar = f"<span style='color:{factor_color.name()}'>▮</span>"
        self.legend = legend_html(list(zip((bar, item_key(self.bound_item), item_key(self.actual_item)),
                                           CHAIN_LEGEND)))
        self.set_title("")

    def set_title(self, prefix: str) -> None:
        """``prefix``: "Run B · " in compare mode (which run's chain this is)."""
        set_title(self.plot, f"{prefix}Jacobian chain &nbsp; <span style='font-size:8pt'>{self.legend}</span>",
                  tip=CHAIN_TIP)

    def apply(self, chain: ChainFrame, view) -> None:
        self.actual_item.setData(*chain.actual)
        self.factors_item.setData(*chain.factors)
        self.bound_item.setData(*chain.bound)
        if chain.span is not None:
            view.set_span(self.plot, x=chain.span[0], y=chain.span[1])
