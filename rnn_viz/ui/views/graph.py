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

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QPainterPath
from PySide6.QtWidgets import QGraphicsPathItem

from rnn_viz.ui import colormaps as cm
from rnn_viz.ui.state import ViewState

from . import readouts as ro
from .base import BaseView, selection_line, set_title, style_axis, style_plot, text_label
from .runs import RunSelector

__all__ = ["UnrolledGraphView"]

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
        self._trace = None
        self._sample = None
        self._config = None
        self._prefix = None
        self.run_selector = RunSelector("graphRun")
        self.run_selector.changed.connect(self.redraw)
        self.layout().insertWidget(0, self.run_selector)
        self._T = 0
        self._L = 0
        self._node_scales: dict[tuple[int, str], float] = {}  # (model, run) -> a scale that only grows
        self._node_values = np.zeros((0, 0))
        self._grad = np.zeros((0, 0))
        self._loss_at = np.zeros(0, bool)
        self._carries = np.zeros(0, bool)
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
        self.bands = [pg.ImageItem(axisOrder="row-major") for _ in range(MAX_LAYERS)]
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
        if (trace is not self._trace or state.sample != self._sample or state.config is not self._config
                or prefix != self._prefix):
            self._draw(state, trace, run, prefix)
        if self.time_step_changed(state):
            self.selection.setValue(state.time_step)

    def _draw(self, state: ViewState, trace, run: str, prefix: str) -> None:
        L = ro.layer_count(trace)
        T = int(trace["loss_mask"].shape[1])
        b = min(state.sample, trace["loss_mask"].shape[0] - 1)
        reshaped = (T, L) != (self._T, self._L)
        if reshaped:
            self._trace = None  # the range change below must not draw old data on the new geometry
            self._set_geometry(T, L)
        self._trace, self._sample, self._config, self._prefix = trace, state.sample, state.config, prefix

        loss_at = ro.loss_steps(trace["loss_mask"], b)
        window_start = np.asarray(trace["window_start"])
        # Masks and windows rarely change between updates; redraw what depends on them only then.
        if reshaped or not (np.array_equal(loss_at, self._loss_at)
                            and np.array_equal(window_start, self._window_start)):
            self._loss_at, self._window_start = loss_at, window_start
            self._carries = ro.recurrent_edge_carries(window_start, loss_at)
            self._draw_loss_steps()
            self._draw_windows()
        self._node_values = np.stack([ro.mean_abs(trace[f"hidden/{l}"][b]) for l in range(L)])
        self._grad = np.stack([np.asarray(trace[f"dL_dh_norm_sample/{l}"][b], dtype=np.float64)
                               for l in range(L)])
        self._draw_nodes(state, run)
        self._draw_edges()
        set_title(self.plot, prefix + self._title(state, run, b))

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

    def _node_levels(self, state: ViewState, run: str) -> tuple[float, float]:
        cell = ro.cell_kind(self._trace)
        activation = ro.run_activation(state, run)
        if cell != "rnn" or activation in BOUNDED_ACTIVATIONS:
            return 0.0, 1.0
        # Unbounded activations: a scale that only grows, so colours stay comparable between updates,
        # and starts afresh with a new model (a diverged run's scale would leave the next one blank).
        owner = (state.model_id, run)
        self._node_scales = {k: v for k, v in self._node_scales.items() if k[0] == state.model_id}
        scale = max(self._node_scales.get(owner, 1.0), ro.nice_ceiling(float(self._node_values.max(initial=0))))
        self._node_scales[owner] = scale
        return 0.0, scale

    def _draw_nodes(self, state: ViewState, run: str) -> None:
        lo, hi = self._node_levels(state, run)
        if (lo, hi) != tuple(self.node_bar.levels()):
            self.node_bar.setLevels((lo, hi))
        # a non-finite activation (a run about to diverge) takes the lowest colour rather than failing
        scaled = np.nan_to_num(np.clip((self._node_values - lo) / (hi - lo), 0, 1), nan=0.0)
        self._node_idx = np.rint(scaled * (NODE_LEVELS - 1)).astype(np.int64)
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
        if not self._detailed or self._trace is None:
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
        """Bin every drawn edge by the decade of its gradient and hand each bin to its curve."""
        L, T = self._L, self._T
        mags, cut = [], []
        for l in range(L):
            mags += [self._grad[l, 1:], self._grad[l]]
            cut += [~self._carries[1:], np.zeros(T, bool)]
        cut = np.concatenate(cut)
        bins = ro.decade_bins(np.where(cut, 0.0, np.concatenate(mags)), N_BINS)
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
        truncated = ro.is_truncated(self._window_start, self._loss_at)
        starts, ends = ro.truncation_windows(self._window_start, self._loss_at)
        if not truncated:
            starts, ends = starts[:0], ends[:0]
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

    def _title(self, state: ViewState, run: str, b: int) -> str:
        config = state.run(run).config
        training = config.get("training", {}) if config else {}
        if not training:  # no config for this run here: its windows say whether it truncates
            truncated = ro.is_truncated(self._window_start, self._loss_at)
            return f"Unrolled network · sample {b} · {'truncated BPTT' if truncated else 'full BPTT'}"
        mode = training.get("bptt", "full")
        if mode == "truncated":
            mode = f"truncated BPTT k1={training.get('k1')} k2={training.get('k2')}"
        else:
            mode = "full BPTT"
        return f"Unrolled network · sample {b} · {mode}"

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
            if self._trace is not None:
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
        if self._trace is None or not (0 <= t < self._T and 0 <= row <= self._L + 1):
            return ""
        b = min(self._sample, self._trace["loss_mask"].shape[0] - 1)
        if row == 0:
            x = np.asarray(self._trace["inputs"][b, t])
            return f"x_t at t = {t}: ||x_t|| = {np.linalg.norm(x):.3g}"
        if row == self._L + 1:
            loss = "carries a loss" if self._loss_at[t] else "no loss"
            y = np.asarray(self._trace["predictions"][b, t]).ravel()
            shown = ", ".join(f"{v:.3g}" for v in y[:3]) + (" ..." if y.size > 3 else "")
            return f"y_t at t = {t} ({loss}): [{shown}]"
        l = row - 1
        return (f"layer {l}, t = {t}: mean |h_t| = {self._node_values[l, t]:.3g}, "
                f"||dL/dh_t|| = {self._grad[l, t]:.3g} (sample {b})")

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
        if self._trace is None:
            return ["t"], np.zeros((0, 1))
        L, T = self._L, self._T
        cols = ["t", "loss_step", "window_start"]
        cols += [f"mean_abs_h/{l}" for l in range(L)] + [f"dL_dh_norm_sample/{l}" for l in range(L)]
        rows = np.column_stack([np.arange(T), self._loss_at, self._window_start, self._node_values.T,
                                self._grad.T]).astype(np.float64)
        return cols, rows
