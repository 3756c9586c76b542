"""The unrolled network, laid out like the source text's Figure 1, with the error signal on its edges.

Rows from the bottom: inputs x_t, one row of hidden nodes per layer, outputs y_t. Edges: W_xh (up into
each layer), W_hh (across time), W_hy (up to the output). Every number is for the selected sample:

- node colour: mean over units of |h_t| (tanh-bounded cells on a fixed 0..1 scale; relu/linear on a
  scale that grows in 1-2-5 steps and never shrinks),
- W_xh and W_hh edge width and colour: ||dL/dh_t|| of the node the edge enters, i.e. the error sent
  back along it, in whole decades below the largest value drawn (one pen per decade, each pen one
  ``connect='pairs'`` curve); W_hh edges no loss's backward window crosses are dotted (cut by
  truncation),
- W_hy edges and filled output nodes: the steps that carry a loss,
- shaded bands: truncated-BPTT windows (alternating tints; overlaps show where k1 < k2).

In compare mode a selector picks the run drawn (A or B; B may be another cell or BPTT mode).

Zoomed out below a few pixels per step the node symbols give way to a colour band per layer.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainterPath
from PySide6.QtWidgets import QGraphicsPathItem

from rnn_viz.ui import colormaps as cm
from rnn_viz.ui.state import ViewState

from . import readouts as ro
from .frames import frozen, same
from .base import BaseView, selection_line, set_title, style_axis, style_plot, text_label
from .images import FastImageItem
from .runs import RunSelector

__all__ = ["UnrolledGraphView", "GraphFrame", "resolve"]

N_BINS = 5
NODE_LEVELS = 64
EDGE_WIDTHS = (0.8, 1.3, 2.0, 3.0, 4.5)
# Small gradients light and thin, large ones dark and thick: the signal visibly fades towards t = 0.
EDGE_COLOR_POSITIONS = (0.78, 0.58, 0.40, 0.20, 0.0)
LOD_PIXELS_PER_STEP = 7.0
MAX_LAYERS = 4
LEGEND_COLUMN_WIDTH = 150  # pixels per legend column
REACH_LANES = 3
BOUNDED_ACTIVATIONS = ("tanh",)


def _edge_pen(i: int, scale: float = 1.0):
    color = cm.colormap(cm.MAGNITUDE).map(EDGE_COLOR_POSITIONS[i], mode="qcolor")
    return pg.mkPen(color, width=EDGE_WIDTHS[i] * scale)


class UnrolledGraphView(BaseView):
    """Figure 1 of the source text, live: activations on nodes, the backward signal on edges."""

    OBJECT_NAME = "unrolledGraphView"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.run_selector = RunSelector("graphRun")
        self.run_selector.changed.connect(self.redraw)
        self.layout().insertWidget(0, self.run_selector)
        self._T = 0
        self._L = 0
        self._node_scales: dict[str, float] = {}  # run id -> a scale that only grows (a new model: new ids)
        self._node_values = np.zeros((0, 0))
        self._grad = np.zeros((0, 0))
        self._loss_at = np.zeros(0, bool)
        self._detailed = True
        self._edge_scale = 1.0
        self._loss_brush, self._plain_brush = pg.mkBrush(cm.FOREGROUND), pg.mkBrush("w")
        self._node_size = 10.0
        self._node_idx = np.zeros((0, 0), np.int64)
        # (first step, end step, size) the node symbols were last placed for; None = redo
        self._placed_hidden: tuple | None = None
        self._placed_io: tuple | None = None
        self._window_start = np.zeros(0, np.int64)
        self.plot = style_plot(self.canvas.addPlot(row=0, col=0), bottom="time step t")
        self.plot.setMouseEnabled(x=True, y=False)
        self.plot.getViewBox().setDefaultPadding(0.02)
        vb = self.plot.getViewBox()

        # Truncation windows [first step reached, last loss], alternating two tints (overlaps blend).
        self._window_paths = []
        for color in ((0, 114, 178, 30), (230, 159, 0, 36)):
            item = QGraphicsPathItem()
            item.setBrush(QColor(*color))
            item.setPen(pg.mkPen(None))
            item.setZValue(-20)
            vb.addItem(item, ignoreBounds=True)
            self._window_paths.append(item)
        # Brackets under x_t: how far back each window reaches (lanes, so overlapping ones stay apart).
        self.reach_item = pg.PlotDataItem(connect="pairs", pen=pg.mkPen("#555555", width=2),
                                          name="window reach")

        self.edge_items = [pg.PlotDataItem(connect="pairs", pen=_edge_pen(i), name=self._bin_name(i))
                           for i in range(N_BINS)]
        cut_pen = pg.mkPen("#888888", width=1.0, style=Qt.PenStyle.DotLine)
        self.cut_item = pg.PlotDataItem(connect="pairs", pen=cut_pen, name="cut (truncation)")
        self.silent_item = pg.PlotDataItem(connect="pairs", pen=pg.mkPen("#dddddd", width=0.8),
                                           name="no gradient")
        self.loss_edge_item = pg.PlotDataItem(connect="pairs", pen=pg.mkPen(cm.FOREGROUND, width=1.5),
                                              name="loss step (W_hy)")
        self.plain_edge_item = pg.PlotDataItem(connect="pairs", pen=pg.mkPen("#cccccc", width=0.8))
        # Zoomed out, output nodes give way to a tick on each step with a loss.
        self.loss_ticks = pg.PlotDataItem(connect="pairs", pen=pg.mkPen(cm.FOREGROUND, width=1.0))
        for z, item in enumerate([self.silent_item, self.cut_item, self.plain_edge_item,
                                  self.loss_edge_item, *self.edge_items, self.reach_item,
                                  self.loss_ticks]):
            item.setZValue(z - 10)
            self.plot.addItem(item)

        node_pen = pg.mkPen("#404040", width=0.8)
        self.input_nodes = pg.ScatterPlotItem(symbol="s", pen=node_pen, brush=pg.mkBrush("#e8e8e8"))
        self.hidden_nodes = pg.ScatterPlotItem(symbol="o", pen=node_pen)
        self.output_nodes = pg.ScatterPlotItem(symbol="o", pen=node_pen)
        # Zoomed out: one colour strip per layer just above its row replaces the node symbols.
        self.bands = [FastImageItem(axisOrder="row-major") for _ in range(MAX_LAYERS)]
        for item in (*self.bands, self.input_nodes, self.hidden_nodes, self.output_nodes):
            item.setZValue(5)
            self.plot.addItem(item)
        for band in self.bands:
            band.setLookupTable(cm.lookup_table(cm.UNIT))
            band.setVisible(False)
        self.selection = selection_line(self.plot)

        self.legend = pg.LegendItem(labelTextColor=cm.FOREGROUND, labelTextSize="8pt")
        self.legend.setColumnCount(4)
        for item in (*self.edge_items[::-1], self.cut_item, self.loss_edge_item, self.reach_item):
            self.legend.addItem(item, item.name())
        self.canvas.addItem(self.legend, row=1, col=0)
        self.node_bar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=cm.colormap(cm.UNIT),
                                        interactive=False, width=12, label="node: mean |h_t|")
        for name in ("left", "right"):
            style_axis(self.node_bar.getAxis(name))
        self.canvas.addItem(self.node_bar, row=0, col=1)
        self.explanation = text_label(size="8pt")
        self.explanation.setText("Nodes: mean |h_t|. Edges: ||dL/dh_t|| carried back, in decades below "
                                 "the largest. Shaded: truncation windows. Hover a node for values.")
        self.canvas.setToolTip(
            "Node colour: mean |h_t| over the selected sample's units.\n"
            "Edge width and colour: ||dL/dh_t|| of the node the edge enters (the error it carries back),\n"
            "by decade below the largest value drawn. Dotted: no backward window crosses the edge.\n"
            "Shaded: truncated-BPTT windows (alternating tints); bars under x_t: the same windows,\n"
            "in lanes where they overlap. Filled y_t: a step that carries a loss.\n"
            "Click a node to select its time step; scroll to zoom in time.")
        self.canvas.addItem(self.explanation, row=2, col=0, colspan=2)
        self.readout = text_label()
        self.canvas.addItem(self.readout, row=3, col=0, colspan=2)

        self.on_click(self.plot, lambda x, y: self.emit_step(x, self._T))
        self.canvas.scene().sigMouseMoved.connect(self._hovered)
        vb.sigXRangeChanged.connect(self._update_level_of_detail)
        vb.sigResized.connect(self._update_level_of_detail)

    @staticmethod
    def _bin_name(i: int) -> str:
        sup = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
        top = N_BINS - 1 - i  # decades below the largest
        if i == N_BINS - 1:
            return "≥ 10⁻¹ of max"
        if i == 0:
            return f"&lt; 10{str(-top).translate(sup)}"
        return f"10{str(-top - 1).translate(sup)}–10{str(-top).translate(sup)}"

    # -- drawing -------------------------------------------------------------------------------
    def _render(self, state: ViewState) -> None:
        run, trace, prefix = self.run_selector.select(state)
        if trace is None:
            return
        inputs = (trace, state.sample, state.run(run).config, prefix, state.run(run).id)
        if self._inputs is None or any(a is not b for a, b in zip(inputs, self._inputs)):
            self._inputs = inputs
            frame = resolve(state, run, self._node_scales)
            self._node_scales = dict(frame.node_scales)
            if self.frame is None or not same(frame, self.frame):
                self.frames_applied += 1
                self.apply(frame)
        if self.time_step_changed(state):
            self.selection.setValue(state.time_step)

    def apply(self, frame: "GraphFrame") -> None:
        old, self.frame = self.frame, None
        T, L = frame.T, frame.L
        reshaped = (T, L) != (self._T, self._L)
        if reshaped:
            self._set_geometry(T, L)  # with no frame: the range change must not draw old data
        self.frame = frame
        self._loss_at, self._window_start = frame.loss_at, frame.window_start
        # Masks and windows rarely change between updates; redraw what depends on them only then.
        if reshaped or old is None or not (same(frame.loss_at, old.loss_at)
                                           and same(frame.window_start, old.window_start)):
            self._draw_loss_steps()
            self._draw_windows()
        self._node_values, self._grad = frame.node_values, frame.grad
        self._draw_nodes(frame)
        self._draw_edges()
        set_title(self.plot, frame.title)

    def _set_geometry(self, T: int, L: int) -> None:
        """Node and edge positions for T steps and L layers (only when the shape changes)."""
        self._T, self._L = T, L
        t = np.arange(T, dtype=np.float64)
        # Per layer: T-1 recurrent edges (t-1 -> t), then T input edges (row below -> t). (E, 2) each.
        hh_x = np.stack([t[:-1], t[1:]], axis=1)
        xh_x = np.stack([t, t], axis=1)
        ex, ey, recurrent = [], [], []
        for l in range(L):
            row = l + 1.0
            ex += [hh_x, xh_x]
            ey += [np.full_like(hh_x, row), np.column_stack([np.full(T, row - 1), np.full(T, row)])]
            recurrent += [np.ones(T - 1, bool), np.zeros(T, bool)]
        self._edge_x = np.concatenate(ex)
        self._edge_y = np.concatenate(ey)
        self._recurrent = np.concatenate(recurrent)
        self._hy_x = xh_x
        self._hy_y = np.column_stack([np.full(T, float(L)), np.full(T, L + 1.0)])
        labels = [(0, "x_t")] + [(l + 1, f"h_t layer {l}") for l in range(L)] + [(L + 1, "y_t")]
        axis = self.plot.getAxis("left")
        axis.setTicks([labels, []])
        axis.setWidth(80)
        vb = self.plot.getViewBox()
        vb.setLimits(xMin=-0.5 - 0.05 * T, xMax=T - 0.5 + 0.05 * T, minXRange=min(4.0, T))
        self.plot.setYRange(-0.5 - 0.15 * REACH_LANES, L + 1.5, padding=0.02)
        self.plot.setXRange(-0.5, T - 0.5, padding=0.01)
        self._update_level_of_detail()

    def _draw_nodes(self, frame: "GraphFrame") -> None:
        lo, hi = frame.node_levels
        if (lo, hi) != tuple(self.node_bar.levels()):
            self.node_bar.setLevels((lo, hi))
        self._node_idx = frame.node_idx
        for l, band in enumerate(self.bands):
            if l < self._L:
                # rect with every setImage: ImageItem scales its rect by the image's current shape
                band.setImage(self._node_values[l][None, :], autoLevels=False, levels=(lo, hi),
                              rect=QRectF(-0.5, l + 1.12, self._T, 0.3))
        self._placed_hidden = None
        self._place_nodes()

    def _visible_steps(self) -> tuple[int, int]:
        x0, x1 = self.plot.getViewBox().viewRange()[0]
        return max(0, int(np.floor(x0))), min(self._T, int(np.ceil(x1)) + 1)

    def _place_nodes(self) -> None:
        """Node symbols for the visible steps only: scatter plots cost per point, and zoomed in only
        a few dozen steps are on screen, however long the sequence."""
        if not self._detailed or self.frame is None:
            return
        first, end = self._visible_steps()
        key = (first, end, self._node_size)
        t = np.arange(first, end, dtype=np.float64)
        n, L, size = t.size, self._L, self._node_size
        if key != self._placed_hidden:
            table = cm.brush_table(cm.UNIT, NODE_LEVELS)
            self.hidden_nodes.setData(np.tile(t, L), np.repeat(np.arange(1, L + 1.0), n), size=size,
                                      brush=[table[i] for i in self._node_idx[:, first:end].ravel()])
            self._placed_hidden = key
        if key != self._placed_io:
            self.input_nodes.setData(t, np.zeros(n), size=size)
            loss, plain = self._loss_brush, self._plain_brush
            self.output_nodes.setData(t, np.full(n, L + 1.0), size=size,
                                      brush=[loss if x else plain for x in self._loss_at[first:end]])
            self._placed_io = key

    def _draw_edges(self) -> None:
        """Hand each decade bin of edges (the frame's) to its curve."""
        bins, cut = self.frame.edge_bins, self.frame.edge_cut
        # Zoomed out, vertical edges would fill the rows solid: keep only the recurrent ones.
        shown = np.ones_like(cut) if self._detailed else self._recurrent
        for i, item in enumerate(self.edge_items):
            self._set_pairs(item, (bins == i) & shown)
        self._set_pairs(self.cut_item, cut & shown)
        self._set_pairs(self.silent_item, (bins < 0) & ~cut & shown)

    def _set_pairs(self, item: pg.PlotDataItem, select: np.ndarray) -> None:
        item.setData(self._edge_x[select].ravel(), self._edge_y[select].ravel())

    def _draw_loss_steps(self) -> None:
        """W_hy edges (zoomed in) or ticks (zoomed out) on the steps with a loss; output nodes."""
        loss = self._loss_at if self._detailed else np.zeros_like(self._loss_at)
        plain = ~self._loss_at if self._detailed else loss
        self.loss_edge_item.setData(self._hy_x[loss].ravel(), self._hy_y[loss].ravel())
        self.plain_edge_item.setData(self._hy_x[plain].ravel(), self._hy_y[plain].ravel())
        ticks = np.nonzero(self._loss_at)[0].astype(np.float64)
        top = self._L + 1.0
        self.loss_ticks.setData(np.repeat(ticks, 2), np.tile([top - 0.2, top + 0.2], ticks.size))
        self._placed_io = None

    def _draw_windows(self) -> None:
        starts, ends = self.frame.windows
        top = self._L + 1.45
        for parity, item in enumerate(self._window_paths):
            path = QPainterPath()
            for s, e in zip(starts[parity::2], ends[parity::2]):
                path.addRect(float(s) - 0.5, -0.45, float(e - s) + 1.0, top + 0.45)
            item.setPath(path)
        lane = np.arange(len(starts)) % REACH_LANES
        y = -0.62 - 0.15 * lane
        self.reach_item.setData(np.column_stack([starts - 0.3, ends + 0.3]).ravel(),
                                np.column_stack([y, y]).ravel())

    # -- interaction ---------------------------------------------------------------------------
    def _update_level_of_detail(self, *args) -> None:
        """Node symbols and all edges when steps are far enough apart, colour strips otherwise."""
        vb = self.plot.getViewBox()
        x0, x1 = vb.viewRange()[0]
        pixels_per_step = vb.width() / max(x1 - x0, 1e-9)
        detailed = pixels_per_step >= LOD_PIXELS_PER_STEP
        self._node_size = float(np.clip(np.floor(0.55 * pixels_per_step), 5, 16))
        for item in (self.input_nodes, self.hidden_nodes, self.output_nodes):
            item.setVisible(detailed)
        self.loss_ticks.setVisible(not detailed)
        for l, band in enumerate(self.bands):
            band.setVisible(not detailed and l < self._L)
        scale = float(np.clip(pixels_per_step / 12.0, 0.35, 1.0))
        if scale != self._edge_scale:
            self._edge_scale = scale
            for i, item in enumerate(self.edge_items):
                item.setPen(_edge_pen(i, scale))
        if detailed != self._detailed:
            self._detailed = detailed
            if self.frame is not None:
                self._draw_edges()
                self._draw_loss_steps()
        self._place_nodes()

    def resizeEvent(self, event) -> None:
        # The legend's columns set the layout's minimum width: fewer columns in a narrow dock.
        columns = int(np.clip(event.size().width() // LEGEND_COLUMN_WIDTH, 1, 4))
        if columns != self.legend.columnCount:
            self.legend.setColumnCount(columns)
        super().resizeEvent(event)

    def hover_text(self, t: int, row: int) -> str:
        """The values at node (t, row); row 0 = x_t, 1..L = layers, L+1 = y_t."""
        f = self.frame
        if f is None or not (0 <= t < f.T and 0 <= row <= f.L + 1):
            return ""
        if row == 0:
            return f"x_t at t = {t}: ||x_t|| = {f.input_norms[t]:.3g}"
        if row == f.L + 1:
            loss = "carries a loss" if f.loss_at[t] else "no loss"
            y = f.outputs[t]
            shown = ", ".join(f"{v:.3g}" for v in y[:3]) + (" ..." if y.size > 3 else "")
            return f"y_t at t = {t} ({loss}): [{shown}]"
        l = row - 1
        return (f"layer {l}, t = {t}: mean |h_t| = {f.node_values[l, t]:.3g}, "
                f"||dL/dh_t|| = {f.grad[l, t]:.3g} (sample {f.sample})")

    def _hovered(self, pos) -> None:
        vb = self.plot.getViewBox()
        if not vb.sceneBoundingRect().contains(pos):
            self.readout.setText("")
            return
        p = vb.mapSceneToView(pos)
        t, row = int(round(p.x())), int(round(p.y()))
        near = abs(p.y() - row) < 0.3
        self.readout.setText(self.hover_text(t, row) if near else "")

    def _csv_table(self) -> tuple[list[str], np.ndarray]:
        if self.frame is None:
            return ["t"], np.zeros((0, 1))
        L, T = self._L, self._T
        cols = ["t", "loss_step", "window_start"]
        cols += [f"mean_abs_h/{l}" for l in range(L)] + [f"dL_dh_norm_sample/{l}" for l in range(L)]
        rows = np.column_stack([np.arange(T), self._loss_at, self._window_start, self._node_values.T,
                                self._grad.T]).astype(np.float64)
        return cols, rows


@dataclass(frozen=True, slots=True)
class GraphFrame:
    """What the view draws for one run's selected sample. ``node_values``/``grad``: (L, T) mean
    |h_t| and ||dL/dh_t||; ``node_idx``: (L, T) colour index of each node on ``node_levels``;
    ``loss_at``: (T,) loss steps; ``edge_bins``/``edge_cut``: per edge in the view's order (per
    layer T-1 recurrent then T input edges) its decade bin (-1: no gradient) and whether no
    backward window crosses it; ``windows``: (starts, ends) of truncation windows (empty: full
    BPTT); ``input_norms``: (T,) ||x_t||; ``outputs``: (T, O) predictions (hover readouts);
    ``node_scales``: run id -> the growing node scale after this frame."""

    T: int
    L: int
    sample: int
    title: str
    node_values: np.ndarray
    grad: np.ndarray
    node_levels: tuple[float, float]
    node_idx: np.ndarray
    loss_at: np.ndarray
    window_start: np.ndarray
    edge_bins: np.ndarray
    edge_cut: np.ndarray
    windows: tuple[np.ndarray, np.ndarray]
    input_norms: np.ndarray
    outputs: np.ndarray
    node_scales: tuple[tuple[str, float], ...]


def _title(config, window_start, loss_at, b: int) -> str:
    training = config.get("training", {}) if config else {}
    if not training:  # no config for this run here: its windows say whether it truncates
        mode = "truncated BPTT" if ro.is_truncated(window_start, loss_at) else "full BPTT"
    elif training.get("bptt", "full") == "truncated":
        mode = f"truncated BPTT k1={training.get('k1')} k2={training.get('k2')}"
    else:
        mode = "full BPTT"
    return f"Unrolled network · sample {b} · {mode}"


def resolve(state: ViewState, run: str = "A", node_scales=None) -> GraphFrame | None:
    """Pure: the frame of run ``run``'s selected sample (None without a trace). ``node_scales``:
    {run id: scale} reached so far; only this run's entry counts, so a new model starts afresh."""
    r = state.run(run)
    trace = r.trace
    if trace is None:
        return None
    L = ro.layer_count(trace)
    T = int(trace["loss_mask"].shape[1])
    b = min(state.sample, trace["loss_mask"].shape[0] - 1)
    loss_at = frozen(ro.loss_steps(trace["loss_mask"], b), dtype=bool)
    window_start = frozen(trace["window_start"], dtype=np.int64)
    carries = ro.recurrent_edge_carries(window_start, loss_at)
    values = np.stack([ro.mean_abs(trace[f"hidden/{l}"][b]) for l in range(L)])
    grad = np.stack([np.asarray(trace[f"dL_dh_norm_sample/{l}"][b], dtype=np.float64) for l in range(L)])

    scales = {}
    if ro.cell_kind(trace) != "rnn" or ro.run_activation(state, run) in BOUNDED_ACTIVATIONS:
        levels = (0.0, 1.0)
    else:
        # Unbounded activations: a scale that only grows, so colours stay comparable between
        # updates, and starts afresh with a new model (a diverged run's would leave the next blank).
        old = (node_scales or {}).get(r.id, 1.0)
        scale = max(old, ro.nice_ceiling(float(values.max(initial=0))))
        scales[r.id] = scale
        levels = (0.0, scale)
    lo, hi = levels
    # a non-finite activation (a run about to diverge) takes the lowest colour rather than failing
    scaled = np.nan_to_num(np.clip((values - lo) / (hi - lo), 0, 1), nan=0.0)
    node_idx = np.rint(scaled * (NODE_LEVELS - 1)).astype(np.int64)

    mags, cut = [], []
    for l in range(L):
        mags += [grad[l, 1:], grad[l]]
        cut += [~carries[1:], np.zeros(T, bool)]
    cut = np.concatenate(cut)
    bins = ro.decade_bins(np.where(cut, 0.0, np.concatenate(mags)), N_BINS)
    starts, ends = ro.truncation_windows(window_start, loss_at)
    if not ro.is_truncated(window_start, loss_at):
        starts, ends = starts[:0], ends[:0]
    inputs = np.asarray(trace["inputs"][b], dtype=np.float64).reshape(T, -1)
    outputs = np.asarray(trace["predictions"][b], dtype=np.float64).reshape(T, -1)
    return GraphFrame(
        T=T, L=L, sample=b, title=RunSelector.title_prefix(state, run) + _title(r.config, window_start, loss_at, b),
        node_values=frozen(values), grad=frozen(grad), node_levels=(float(lo), float(hi)),
        node_idx=frozen(node_idx, dtype=np.int64), loss_at=loss_at, window_start=window_start,
        edge_bins=frozen(bins, dtype=np.int64), edge_cut=frozen(cut, dtype=bool),
        windows=(frozen(starts), frozen(ends)), input_norms=frozen(np.linalg.norm(inputs, axis=1)),
        outputs=frozen(outputs), node_scales=tuple(scales.items()))
