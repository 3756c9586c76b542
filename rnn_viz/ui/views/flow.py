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

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel

from rnn_viz.engine.analysis import jacobian_chain, per_step_decay
from rnn_viz.ui import colormaps as cm
from rnn_viz.ui.state import ViewState

from . import readouts as ro
from .base import (BaseView, decade_axis, item_key, legend_html, selection_line, set_title, step_axes, style_axis,
                   style_plot, text_label)
from .runs import RunSelector

__all__ = ["FlowMatrixView", "DECADES"]

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
        self.image = pg.ImageItem(axisOrder="row-major")
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

        self._flow_trace = None      # the trace the drawn flow came from (heavy keys may be absent later)
        self._heavy: dict[str, object] = {}  # per run id: its last trace with the heavy keys
        self._prefix = ""            # the title's "Run B (...) · " in compare mode
        self._config = None
        self._flow: np.ndarray | None = None
        self.log_flow: np.ndarray | None = None  # (T, T) log10 F, NaN where F = 0: what the image shows
        self._jac: np.ndarray | None = None
        self._flow_sample = 0
        self._layer = 0
        self._row: int | None = None  # t of the inspected cell; None = the last loss step
        self._col = 0                 # k of the inspected cell
        self._T = 0
        self._state: ViewState | None = None
        self.inspected: dict[str, object] = {}
        self._band_key: tuple | None = None
        self._window_start: np.ndarray | None = None
        self._mark: tuple[float, float] | None = None

    # -- drawing -------------------------------------------------------------------------------
    def _render(self, state: ViewState) -> None:
        self._state = state
        run, trace, prefix = self.run_selector.select(state)
        # Keep only the runs of this state (a later compare run, or a new model, is a new run).
        self._heavy = {r.id: self._heavy[r.id] for r in state.runs if r.id in self._heavy}
        for r in state.runs:
            if r.trace is not None and "flow/0" in r.trace:
                self._heavy[r.id] = r.trace
        if trace is None:
            return
        source = self._heavy.get(state.run(run).id)
        if source is not None:
            if source is not self._flow_trace or prefix != self._prefix:
                self._prefix = prefix
                self._load(source)
        elif trace is not self._flow_trace or prefix != self._prefix:
            # this run has not sent a flow matrix yet: show nothing rather than the other run's
            self._prefix = prefix
            self._flow_trace = trace
            self._forget_flow()
            self._set_title("Gradient flow: not computed yet")
            self.chain_text.setText("The flow matrix comes with the heavy part of a trace, which this "
                                    "update does not carry yet.")
        if self.time_step_changed(state):
            self.selection.setValue(state.time_step)
            self._col = state.time_step
            self._inspect()

    def _load(self, trace) -> None:
        L = ro.layer_count(trace)
        if self.layer_box.count() != L:
            self.layer_box.blockSignals(True)
            self.layer_box.clear()
            for l in range(L):
                self.layer_box.addItem(str(l), l)
            self._layer = min(self._layer, L - 1)
            self.layer_box.setCurrentIndex(self._layer)
            self.layer_box.blockSignals(False)
        self._flow_trace = trace
        l = self._layer
        flow = np.asarray(trace[f"flow/{l}"], dtype=np.float64)
        self._flow = flow
        self._jac = np.asarray(trace[f"jacobian_norm/{l}"], dtype=np.float64) \
            if f"jacobian_norm/{l}" in trace else None
        self._flow_sample = int(trace["flow_sample"]) if "flow_sample" in trace else 0
        T = flow.shape[0]
        if T != self._T:
            self._T = T
            self.plot.setXRange(-0.5, T - 0.5, padding=0.02)
            self.plot.setYRange(-0.5, T - 0.5, padding=0.02)
            self._row = None if self._row is None or self._row >= T else self._row
        self.log_flow = ro.log10_or_nan(flow)
        lo, hi = ro.log_levels(flow, DECADES)
        if tuple(self.color_bar.levels()) != (lo, hi):
            self.color_bar.setLevels((lo, hi))
        with np.errstate(invalid="ignore"):
            index = np.clip(np.rint((self.log_flow - lo) / (hi - lo) * (NO_PATH - 1)), 0, NO_PATH - 1)
        index = np.where(np.isnan(self.log_flow), NO_PATH, index).astype(np.uint8)
        self.image.setImage(index, autoLevels=False, levels=(0, 255), rect=QRectF(-0.5, -0.5, T, T))

        steps = ro.loss_steps(trace["loss_mask"], min(self._flow_sample, trace["loss_mask"].shape[0] - 1))
        ws = np.asarray(trace["window_start"])
        self._window_start = ws
        band_key = (steps.tobytes(), ws.tobytes())
        if band_key != self._band_key:  # masks and windows rarely change between updates
            self._band_key = band_key
            if ro.is_truncated(ws, steps):
                rows = np.nonzero(steps)[0]
                x = np.repeat(ws[rows] - 0.5, 2).astype(np.float64)
                y = np.column_stack([rows - 0.5, rows + 0.5]).ravel().astype(np.float64)
                self.band.setData(x, y, connect="pairs")
            else:
                self.band.setData([], [])
        self._set_title(f"F[t, k] = ||dL_t/dh_k||, sample {self._flow_sample}")
        self.explanation.setText("Grey: no path (k > t, cut by truncation, or no loss at t); dark outline: "
                                 "where each row's truncation window starts. Click a cell to see its "
                                 "Jacobian chain below." if ro.is_truncated(ws, steps) else
                                 "Grey: no path (k > t, or no loss at t). Click a cell to see its "
                                 "Jacobian chain below.")
        self._default_row = ro.last_loss_step(np.diag(flow) > 0)
        self._inspect()

    def _set_title(self, text: str) -> None:
        set_title(self.plot, self._prefix + text, tip=TIP)

    def _forget_flow(self) -> None:
        if self._flow is None:
            return
        self._flow = self.log_flow = self._jac = None
        self._window_start, self._band_key, self._mark = None, None, None
        self.image.clear()
        self.band.setData([], [])
        self.cell_mark.setData([], [])
        self.explanation.setText("")
        self._clear_inspector("")

    def _layer_changed(self) -> None:
        self._layer = int(self.layer_box.currentData() or 0)
        trace = self._flow_trace
        if trace is not None and f"flow/{self._layer}" in trace:
            self._load(trace)

    # -- the inspector ---------------------------------------------------------------------------
    def _cell_clicked(self, x: float, y: float) -> None:
        t, k = int(round(y)), int(round(x))
        if self._flow is None or not (0 <= k <= t < self._T):
            return
        self._row, self._col = t, k
        self._inspect()
        self.timeStepSelected.emit(k)

    def _inspect(self) -> None:
        """Draw the chain of Jacobian norms for the inspected cell and say what it multiplies to."""
        flow, jac = self._flow, self._jac
        empty = ([], [])
        if flow is None:
            return
        t = self._row if self._row is not None else self._default_row
        k = self._col
        if t is None:
            self._clear_inspector("no loss step in this sample: F is all zero")
            return
        mark = (float(min(k, t)), float(t))
        if mark != self._mark:
            self._mark = mark
            self.cell_mark.setData([mark[0]], [mark[1]])
        if not 0 <= k <= t:
            self._clear_inspector(f"step k = {k} comes after t = {t}: no path; click a cell on or left of "
                                  "the diagonal")
            return
        ratio = ro.flow_ratio(flow, k, t)
        steps = np.arange(k, t + 1, dtype=np.float64)
        actual = flow[t, k:t + 1] / flow[t, t] if flow[t, t] > 0 else np.full(steps.size, np.nan)
        self.actual_item.setData(steps, ro.log10_or_nan(actual))
        self.inspected = {"t": t, "k": k, "ratio": ratio}
        if jac is None:
            self.factors_item.setData(np.zeros(1), np.zeros(0))
            self.bound_item.setData(*empty)
            self.chain_text.setText(f"path h_{k} → h_{t}: actual F[t,k]/F[t,t] = {ratio:.3g} "
                                    "(no Jacobian norms in this trace)")
            return
        factors, product = jacobian_chain(jac, k, t)
        _, bound = ro.running_chain_bound(jac, k, t)
        # a zero factor (no step before 0) would be -inf: draw it at the bottom of any sane range
        self.factors_item.setData(np.arange(k + 0.5, t + 1.0), np.maximum(np.log10(np.maximum(factors, 1e-300)), -300))
        self.bound_item.setData(steps, ro.log10_or_nan(bound))
        self.set_span(self.chain_plot, x=(k - 0.5, t + 0.5), y=ro.decade_span(factors, bound, actual, [1.0]))
        decay = per_step_decay(flow, t)
        decay_text = f"; row t decays ×{np.exp(decay):.3g} per step" if np.isfinite(decay) else ""
        if self._window_start is not None and k < self._window_start[t]:
            decay_text += f" (k is cut off: the truncation window of t starts at {self._window_start[t]})"
        self.inspected.update(factors=factors, product=product)
        self.chain_text.setText(
            f"path h_{k} → h_{t} (layer {self._layer}, sample {self._flow_sample}): product of {factors.size} "
            f"Jacobian norms = {product:.3g} (upper bound); actual F[t,k]/F[t,t] = {ratio:.3g}{decay_text}")

    def _clear_inspector(self, text: str) -> None:
        self.factors_item.setData(np.zeros(1), np.zeros(0))
        for item in (self.bound_item, self.actual_item):
            item.setData([], [])
        self.inspected = {}
        self.chain_text.setText(text)

    def _csv_table(self) -> tuple[list[str], np.ndarray]:
        if self._flow is None:
            return ["t"], np.zeros((0, 1))
        T = self._flow.shape[0]
        return (["t"] + [f"F[t,{k}]" for k in range(T)],
                np.column_stack([np.arange(T, dtype=np.float64), self._flow]))
