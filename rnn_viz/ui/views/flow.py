"""The gradient-flow matrix F[t, k] = ||dL_t/dh_k|| and the Jacobian chain behind one of its cells.

Top: log10 F of one layer for the trace's flow sample, loss step t down, source step k across, so
the populated part is the lower triangle. Grey = no path (k > t, cut by truncation, or no loss at t);
under truncated BPTT the cut shows as a band, outlined where each row's window starts. Colours span
the 8 decades below the decade above the largest entry (smaller values take the lowest colour).

Bottom (the inspector, for the cell (t, k) last clicked; k follows the selected time step): the step
Jacobian norms ||dh_s/dh_{s-1}|| along the path, their running product from h_t back (the bound of
``analysis.jacobian_chain``) and the actual ratio F[t, j] / F[t, t] it bounds.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel

from rnn_viz.engine.analysis import jacobian_chain, per_step_decay
from rnn_viz.ui import colormaps as cm
from rnn_viz.ui.state import ViewState

from . import readouts as ro
from .frames import frozen, same
from .base import (BaseView, decade_axis, item_key, legend_html, selection_line, set_title, step_axes, style_axis,
                   style_plot, text_label)
from .images import FastImageItem
from .runs import RunSelector

__all__ = ["FlowMatrixView", "FlowFrame", "ChainFrame", "resolve", "resolve_flow", "resolve_chain", "DECADES"]

DECADES = 8
NO_PATH = 255  # image index of cells without a path, drawn grey
NO_PATH_COLOR = (217, 217, 217, 255)
TIP = ("F[t, k] = ||dL_t/dh_k||: how much of the loss at step t (row) reaches the hidden state at "
       "step k (column), for one sample and the layer chosen above. Grey: no path.")
CHAIN_TIP = ("The path from h_t back to h_k of the marked cell: each step's Jacobian norm "
             "||dh_s/dh_(s-1)|| (bars from 1: above 1 the step amplifies, below 1 it shrinks the "
             "signal), their running product from h_t back, which bounds the actual ratio "
             "F[t, s] / F[t, t].")


def _flow_lut() -> np.ndarray:
    """(256, 4) uint8: 255 steps of the magnitude map, then grey for "no path"."""
    table = np.empty((256, 4), dtype=np.uint8)
    table[:NO_PATH] = cm.lookup_table(cm.MAGNITUDE, NO_PATH)
    table[NO_PATH] = NO_PATH_COLOR
    return table


class FlowMatrixView(BaseView):
    """F[t, k] as a log-colour lower-triangular image, with the Jacobian-chain inspector below."""

    OBJECT_NAME = "flowMatrixView"
    DRAWS_HEAVY = True

    def __init__(self, parent=None):
        super().__init__(parent)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 2, 6, 0)
        bar.addWidget(QLabel("layer"))
        self.layer_box = QComboBox()
        self.layer_box.setObjectName("flowLayer")
        self.layer_box.setToolTip("Which layer's flow matrix and Jacobian chain to show")
        self.layer_box.addItem("0", 0)
        self.layer_box.currentIndexChanged.connect(self._layer_changed)
        bar.addWidget(self.layer_box)
        self.run_selector = RunSelector("flowRun")
        self.run_selector.changed.connect(self.redraw)
        bar.addWidget(self.run_selector)
        bar.addStretch(1)
        self.layout().insertLayout(0, bar)

        self.plot = style_plot(self.canvas.addPlot(row=0, col=0, axisItems=step_axes("left", "bottom")),
                               left="loss step t", bottom="source step k")
        self.plot.getViewBox().invertY(True)
        # The image holds colour indices (uint8, NO_PATH for zeros), not log values with NaN holes:
        # pyqtgraph's NaN handling tripled the cost of drawing a 200 x 200 matrix.
        self.image = FastImageItem(axisOrder="row-major")
        self.image.setLookupTable(_flow_lut())
        self.plot.addItem(self.image)
        self.band = pg.PlotDataItem(pen=pg.mkPen(cm.FOREGROUND, width=1.2))
        self.plot.addItem(self.band)
        self.cell_mark = pg.ScatterPlotItem(symbol="s", size=12, brush=None,
                                            pen=pg.mkPen(cm.ACCENT, width=2))
        self.plot.addItem(self.cell_mark)
        self.selection = selection_line(self.plot)
        self.color_bar = pg.ColorBarItem(values=(-DECADES, 0), colorMap=cm.colormap(cm.MAGNITUDE),
                                         interactive=False, width=12, label="log10 F[t, k]")
        for name in ("left", "right", "top", "bottom"):
            style_axis(self.color_bar.getAxis(name))
        self.canvas.addItem(self.color_bar, row=0, col=1)

        self.chain_plot = style_plot(self.canvas.addPlot(row=1, col=0, axisItems=decade_axis(steps=("bottom",))),
                                     left="factor / ratio", bottom="step s on the path")
        self.chain_plot.setLogMode(y=True)
        self.chain_plot.getAxis("left").enableAutoSIPrefix(False)
        self.follow_data(self.chain_plot)
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
        self.chain_plot.addItem(pg.InfiniteLine(pos=0.0, angle=0, pen=pg.mkPen("#999999", width=1)))
        for item in (self.factors_item, self.bound_item, self.actual_item):
            self.chain_plot.addItem(item)
        bar = f"<span style='color:{factor_color.name()}'>▮</span>"
        set_title(self.chain_plot, "Jacobian chain", tip=CHAIN_TIP, legend=legend_html(
            [(bar, "||∂h_s/∂h_(s−1)||"), (item_key(self.bound_item), "product (bound)"),
             (item_key(self.actual_item), "actual F[t,s]/F[t,t]")]))
        self.canvas.ci.layout.setRowStretchFactor(0, 3)
        self.canvas.ci.layout.setRowStretchFactor(1, 2)
        self.explanation = text_label(size="8pt")
        self.canvas.addItem(self.explanation, row=2, col=0, colspan=2)
        self.chain_text = text_label()
        self.canvas.addItem(self.chain_text, row=3, col=0, colspan=2)
        self.on_click(self.plot, self._cell_clicked)

        self._heavy: dict[str, object] = {}  # per run id: its last trace with the heavy keys
        self._source = None           # (trace, prefix, layer) the matrix frame was resolved from
        self.flow_frame: FlowFrame | None = None
        self.chain_frame: ChainFrame | None = None
        self._layer = 0
        self._row: int | None = None  # t of the inspected cell; None = the last loss step
        self._col = 0                 # k of the inspected cell
        self._T = 0
        self._mark: tuple[float, float] | None = None

    @property
    def log_flow(self) -> np.ndarray | None:
        """(T, T) log10 F, NaN where F = 0: what the image shows."""
        return self.flow_frame.log_flow if self.flow_frame is not None else None

    @property
    def inspected(self) -> dict[str, object]:
        return dict(self.chain_frame.inspected) if self.chain_frame is not None else {}

    # -- drawing -------------------------------------------------------------------------------
    def _render(self, state: ViewState) -> None:
        run, trace, prefix = self.run_selector.select(state)
        # Keep only the runs of this state (a later compare run, or a new model, is a new run).
        self._heavy = {r.id: self._heavy[r.id] for r in state.runs if r.id in self._heavy}
        for r in state.runs:
            if r.trace is not None and ("flow/0" in r.trace or "flow_window/0" in r.trace):
                self._heavy[r.id] = r.trace
        if trace is None:
            return
        # this run has not sent a flow matrix yet: show nothing rather than the other run's
        source = self._heavy.get(state.run(run).id, trace)
        if self.time_step_changed(state):
            self.selection.setValue(state.time_step)
            self._col = state.time_step
        self._update(source, prefix)

    def _update(self, source, prefix: str) -> None:
        """Resolve the matrix when its source changed, the chain always (both cheap to compare);
        apply each only when it differs from what is drawn."""
        key = (source, prefix, self._layer)
        if self._source is None or any(a is not b for a, b in zip(key, self._source)):
            self._source = key
            frame = resolve_flow(source, self._layer, prefix)
            if self.flow_frame is None or not same(frame, self.flow_frame):
                self.frames_applied += 1
                self._apply_flow(frame)
        self._apply_chain(resolve_chain(self.flow_frame, self._row, self._col))

    def _apply_flow(self, frame: FlowFrame) -> None:
        old, self.flow_frame = self.flow_frame, frame
        if self.layer_box.count() != frame.L:
            self.layer_box.blockSignals(True)
            self.layer_box.clear()
            for l in range(frame.L):
                self.layer_box.addItem(str(l), l)
            self._layer = min(self._layer, frame.L - 1)
            self.layer_box.setCurrentIndex(self._layer)
            self.layer_box.blockSignals(False)
        set_title(self.plot, frame.title, tip=TIP)
        self.explanation.setText(frame.explanation)
        if frame.flow is None:
            self.image.clear()
            self.band.setData([], [])
            self._mark = None
            self.cell_mark.setData([], [])
            return
        T = frame.T
        if T != self._T:
            self._T = T
            self.plot.setXRange(-0.5, T - 0.5, padding=0.02)
            self.plot.setYRange(-0.5, T - 0.5, padding=0.02)
            self._row = None if self._row is None or self._row >= T else self._row
        if tuple(self.color_bar.levels()) != frame.levels:
            self.color_bar.setLevels(frame.levels)
        self.image.setImage(frame.index, autoLevels=False, levels=(0, 255), rect=QRectF(-0.5, -0.5, T, T))
        if old is None or old.flow is None or not same(frame.band, old.band):  # windows rarely change
            self.band.setData(*frame.band, connect="pairs")

    def _apply_chain(self, chain: ChainFrame) -> None:
        if self.chain_frame is not None and same(chain, self.chain_frame):
            return
        self.chain_frame = chain
        if chain.mark is not None and chain.mark != self._mark:
            self._mark = chain.mark
            self.cell_mark.setData([chain.mark[0]], [chain.mark[1]])
        self.actual_item.setData(*chain.actual)
        self.factors_item.setData(*chain.factors)
        self.bound_item.setData(*chain.bound)
        if chain.span is not None:
            self.set_span(self.chain_plot, x=chain.span[0], y=chain.span[1])
        self.chain_text.setText(chain.text)

    def _layer_changed(self) -> None:
        self._layer = int(self.layer_box.currentData() or 0)
        if self._source is not None and (f"flow/{self._layer}" in self._source[0]
                                         or f"flow_window/{self._layer}" in self._source[0]):
            self._update(self._source[0], self._source[1])

    # -- the inspector ---------------------------------------------------------------------------
    def _cell_clicked(self, x: float, y: float) -> None:
        t, k = int(round(y)), int(round(x))
        if self.flow_frame is None or self.flow_frame.flow is None or not (0 <= k <= t < self._T):
            return
        self._row, self._col = t, k
        self._apply_chain(resolve_chain(self.flow_frame, self._row, self._col))
        self.timeStepSelected.emit(k)

    def _csv_table(self) -> tuple[list[str], np.ndarray]:
        frame = self.flow_frame
        if frame is None or frame.flow is None:
            return ["t"], np.zeros((0, 1))
        T = frame.T
        t = np.arange(T, dtype=np.float64) if frame.rows is None else frame.rows.astype(np.float64)
        return ["t"] + [f"F[t,{k}]" for k in range(T)], np.column_stack([t, frame.flow])


EMPTY = (frozen([]), frozen([]))
NO_BARS = (frozen([0.0]), frozen([]))  # a step-mode curve: one more edge than values


@dataclass(frozen=True, slots=True)
class FlowFrame:
    """The matrix of one layer of one run's heavy trace. ``flow``/``log_flow``: (T, T) F and log10 F
    (NaN where F = 0), None when the run sent no flow matrix yet; ``index``: (T, T) uint8 colour
    indices (NO_PATH: grey); ``band``: (x, y) pairs outlining truncation windows; ``jac``: (T,)
    step-Jacobian norms or None; ``default_row``: the last loss step, the row inspected first.
    ``rows``: (R,) the loss steps kept when the trace holds only those (flow_rows; then flow, log_flow
    and index are (R, T), drawn stretched over the T rows: the kept rows are evenly spread), else None."""

    title: str
    explanation: str
    L: int
    T: int
    sample: int
    flow: np.ndarray | None = None
    log_flow: np.ndarray | None = None
    index: np.ndarray | None = None
    levels: tuple[float, float] = (-DECADES, 0.0)
    band: tuple[np.ndarray, np.ndarray] = EMPTY
    jac: np.ndarray | None = None
    window_start: np.ndarray | None = None
    default_row: int | None = None
    layer: int = 0
    rows: np.ndarray | None = None


@dataclass(frozen=True, slots=True)
class ChainFrame:
    """The inspector of cell (t, k): the marked cell, (x, log10 y) of the actual ratio, the
    factors (step-mode edges and values) and their running product, the chain plot's span, its
    text, and ``inspected`` ((name, value) pairs: t, k, ratio, factors, product)."""

    mark: tuple[float, float] | None
    actual: tuple[np.ndarray, np.ndarray]
    factors: tuple[np.ndarray, np.ndarray]
    bound: tuple[np.ndarray, np.ndarray]
    span: tuple[tuple[float, float], tuple[float, float]] | None
    text: str
    inspected: tuple[tuple[str, object], ...] = ()


def resolve_flow(trace, layer: int = 0, prefix: str = "") -> FlowFrame:
    """Pure: the matrix frame of ``trace`` (a run's last trace with the heavy keys, or one without
    them: then "not computed yet"). ``prefix``: the title's "Run B (...) · " in compare mode."""
    L = ro.layer_count(trace)
    kept = None
    if f"flow/{layer}" not in trace and f"flow_window/{layer}" in trace and "flow_rows" in trace:
        kept = frozen(trace["flow_rows"], dtype=np.int64)  # a long T: only these rows were computed
    elif f"flow/{layer}" not in trace:
        return FlowFrame(prefix + "Gradient flow: not computed yet", "", L, 0, 0)
    flow = frozen(trace[f"flow/{layer}"] if kept is None else trace[f"flow_window/{layer}"])
    jac = frozen(trace[f"jacobian_norm/{layer}"]) if f"jacobian_norm/{layer}" in trace else None
    sample = int(trace["flow_sample"]) if "flow_sample" in trace else 0
    T = flow.shape[1]
    log_flow = frozen(ro.log10_or_nan(flow))
    lo, hi = ro.log_levels(flow, DECADES)
    with np.errstate(invalid="ignore"):
        index = np.clip(np.rint((log_flow - lo) / (hi - lo) * (NO_PATH - 1)), 0, NO_PATH - 1)
    index = frozen(np.where(np.isnan(log_flow), NO_PATH, index), dtype=np.uint8)
    steps = ro.loss_steps(trace["loss_mask"], min(sample, trace["loss_mask"].shape[0] - 1))
    ws = frozen(trace["window_start"], dtype=np.int64)
    truncated = ro.is_truncated(ws, steps)
    band = EMPTY
    if truncated:
        rows = np.nonzero(steps)[0]
        band = (frozen(np.repeat(ws[rows] - 0.5, 2)), frozen(np.column_stack([rows - 0.5, rows + 0.5]).ravel()))
    explanation = ("Grey: no path (k > t, cut by truncation, or no loss at t); dark outline: where each row's "
                   "truncation window starts. Click a cell to see its Jacobian chain below." if truncated else
                   "Grey: no path (k > t, or no loss at t). Click a cell to see its Jacobian chain below.")
    if kept is None:
        default = ro.last_loss_step(np.diag(flow) > 0)
    else:
        last = ro.last_loss_step(flow[np.arange(len(kept)), kept] > 0)
        default = None if last is None else int(kept[last])
        explanation += f" Only {len(kept)} of the loss steps' rows are kept at this length (flow_rows)."
    return FlowFrame(prefix + f"F[t, k] = ||dL_t/dh_k||, sample {sample}", explanation, L, T, sample,
                     flow, log_flow, index, (float(lo), float(hi)), band, jac, ws, default, layer, kept)


def resolve_chain(frame: FlowFrame | None, row: int | None, k: int) -> ChainFrame:
    """Pure: the inspector of cell (``row`` or the frame's default row, ``k``)."""
    def empty(text: str, mark=None) -> ChainFrame:
        return ChainFrame(mark, EMPTY, NO_BARS, EMPTY, None, text)

    if frame is None or frame.flow is None:
        return empty("" if frame is None or not frame.title.endswith("not computed yet") else
                     "The flow matrix comes with the heavy part of a trace, which this update does not carry yet.")
    flow, jac = frame.flow, frame.jac
    t = row if row is not None else frame.default_row
    if t is None:
        return empty("no loss step in this sample: F is all zero")
    if frame.rows is not None:  # only the kept rows: the kept step nearest t stands in as row t
        i = int(np.argmin(np.abs(frame.rows - t)))
        t = int(frame.rows[i])
        flow = np.broadcast_to(flow[i], (t + 1, flow.shape[1]))
    mark = (float(min(k, t)), float(t))
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
    span = ((k - 0.5, t + 0.5), ro.decade_span(factors, bound, actual, [1.0]))
    decay = per_step_decay(flow, t)
    decay_text = f"; row t decays ×{np.exp(decay):.3g} per step" if np.isfinite(decay) else ""
    if frame.window_start is not None and k < frame.window_start[t]:
        decay_text += f" (k is cut off: the truncation window of t starts at {frame.window_start[t]})"
    text = (f"path h_{k} → h_{t} (layer {frame.layer}, sample {frame.sample}): product of {factors.size} "
            f"Jacobian norms = {product:.3g} (upper bound); actual F[t,k]/F[t,t] = {ratio:.3g}{decay_text}")
    return ChainFrame(mark, actual_xy, bars, (frozen(steps), frozen(ro.log10_or_nan(bound))), span, text,
                      (("t", t), ("k", k), ("ratio", ratio), ("factors", frozen(factors)), ("product", float(product))))


def resolve(state: ViewState, run: str = "A", layer: int = 0, cell: tuple[int, int] | None = None
            ) -> tuple[FlowFrame, ChainFrame] | None:
    """Pure: both frames of run ``run``'s trace in ``state`` (None without a trace); ``cell``: the
    inspected (t, k), by default (the last loss step, the selected time step)."""
    trace = state.run(run).trace
    if trace is None:
        return None
    frame = resolve_flow(trace, layer, RunSelector.title_prefix(state, run))
    row, k = cell if cell is not None else (None, state.time_step)
    return frame, resolve_chain(frame, row, k)
