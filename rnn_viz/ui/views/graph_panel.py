"""One run's unrolled graph: a readable detail window of steps and an overview of the whole sequence.

The view (``graph.UnrolledGraphView``) holds one ``GraphPanel`` per run (side by side in compare
mode) and tells each which steps its detail window shows; a panel only hands the frame's numbers to
its items (``apply``) and selects the window's share of them (``show_window``).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import QColor, QFont, QFontMetricsF, QPainterPath
from PySide6.QtWidgets import QGraphicsPathItem

from rnn_viz.ui import colormaps as cm

from .axes import StepAxis
from .base import selection_line, style_plot
from .labels import set_title
from .graph_frame import N_BINS, NODE_LEVELS
from .images import FastImageItem

__all__ = ["GraphPanel", "NodeRow", "RowAxis", "N_BINS", "NODE_LEVELS", "edge_pen", "edge_rgba", "row_label", "same_mask"]

EDGE_WIDTHS = (0.8, 1.3, 2.0, 3.0, 4.5)
# Small gradients light and thin, large ones dark and thick: the signal visibly fades towards t = 0.
EDGE_COLOR_POSITIONS = (0.78, 0.58, 0.40, 0.20, 0.0)
NO_SIGNAL_RGBA = (236, 236, 236, 255)
REACH_LANES = 3
OVERVIEW_ROW_PX = (8, 20)  # per layer (edge strip, node strip, gap): the least and the most
OVERVIEW_SHARE = 0.2  # of the view's height above OVERVIEW_FROM_PX, within those bounds
OVERVIEW_MIN_STRIPS_PX = 16  # all layers' strips together, so one layer's are not a hairline
OVERVIEW_FROM_PX = 250  # below this the detail needs every pixel
OVERVIEW_AXIS_PX = 26  # the step axis under the strips and the reach bracket over it
WINDOW_TINTS = ((0, 114, 178, 30), (230, 159, 0, 36))
_SUP = str.maketrans("0123456789-()", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁽⁾")


def row_label(l: int) -> str:
    """h^(l)_t, with the layer as a superscript."""
    return f"h{f'({l})'.translate(_SUP)}_t"


def edge_pen(i: int, scale: float = 1.0):
    color = cm.colormap(cm.MAGNITUDE).map(EDGE_COLOR_POSITIONS[i], mode="qcolor")
    return pg.mkPen(color, width=EDGE_WIDTHS[i] * scale)


@lru_cache(maxsize=1)
def edge_rgba() -> np.ndarray:
    """(N_BINS + 1, 4) uint8: the colour of "no signal", then of each decade bin (edge colours)."""
    bins = [cm.colormap(cm.MAGNITUDE).map(p, mode="byte") for p in EDGE_COLOR_POSITIONS]
    table = np.array([NO_SIGNAL_RGBA, *bins], dtype=np.uint8)
    table.setflags(write=False)
    return table


def _segments(**kwargs) -> pg.PlotDataItem:
    """Separate segments (x, y in pairs), whose curve is told ``connect="pairs"`` at once: one
    still at pyqtgraph's "all" is a curve BaseView's thin_pens caps to 1 px, and a wide edge
    whose set did not change (so got no setData) stayed thin."""
    item = pg.PlotDataItem(connect="pairs", **kwargs)
    item.curve.setData(connect="pairs")  # PlotDataItem passes it on only with its first data
    return item


@lru_cache(maxsize=1)
def _node_brushes() -> np.ndarray:
    """(NODE_LEVELS,) object array of colormaps.brush_table's brushes, to index with a whole array."""
    table = np.empty(NODE_LEVELS, dtype=object)
    table[:] = cm.brush_table(cm.UNIT, NODE_LEVELS)
    return table


def same_mask(a: np.ndarray | None, b: np.ndarray) -> bool:
    return a is not None and a.shape == b.shape and bool(np.array_equal(a, b))


class RowAxis(pg.AxisItem):
    """A left axis naming rows (x_t, h^(l)_t, y_t) that leaves a label out rather than let two
    labels overlap: the first and last rows first, then every k-th row that has room."""

    MARGIN = 2.0

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._rows: list[tuple[float, str]] = []
        self.shown_rows: list[float] = []

    def set_rows(self, rows: list[tuple[float, str]]) -> None:
        self._rows = list(rows)
        metrics = QFontMetricsF(self.style.get("tickFont") or QFont())
        widest = max((metrics.horizontalAdvance(text) for _, text in rows), default=0.0)
        self.setWidth(int(np.ceil(widest)) + 14)
        self.picture = None
        self.update()

    def _text_height(self) -> float:
        # generateDrawSpecs lays tick text out in 0.8 of the font's bounding height
        return 0.8 * QFontMetricsF(self.style.get("tickFont") or QFont()).height()

    def tickValues(self, minVal, maxVal, size):
        rows = [v for v, _ in self._rows if minVal <= v <= maxVal]
        if not rows or maxVal <= minVal:
            self.shown_rows = []
            return [(1.0, [])]
        px_per_unit = size / (maxVal - minVal)
        gap = (self._text_height() + self.MARGIN) / px_per_unit
        order = [rows[0], rows[-1], *rows[1:-1]]
        kept: list[float] = []
        for v in order:
            if all(abs(v - k) >= gap for k in kept):
                kept.append(v)
        self.shown_rows = sorted(kept)
        return [(1.0, self.shown_rows)]

    def tickStrings(self, values, scale, spacing):
        names = dict(self._rows)
        return [names.get(v, "") for v in values]


class NodeRow:
    """One kind of node (x_t, h_t of every layer, or y_t) of a panel's one node scatter: ``data``
    is its slice of the scatter's points (fields x, y, brush, ... as pyqtgraph keeps them)."""

    def __init__(self, scatter: pg.ScatterPlotItem, rows: slice):
        self.scatter, self.rows = scatter, rows

    @property
    def data(self) -> np.ndarray:
        return self.scatter.data[self.rows]


class GraphPanel:
    """The items of one run: ``detail`` (nodes and edges of the steps in the window) and
    ``overview`` (every step, binned into colour strips, with the window and the selected step's
    backward window marked)."""

    def __init__(self, layout: pg.GraphicsLayout, column: int):
        self.column = column
        self.frame = None
        self._placed = self._inputs_placed = self._outputs_placed = self._selected_key = None
        self._pairs: dict[int, np.ndarray] = {}  # item id -> the edge mask it last drew
        self._canvas_height = 300.0
        self.overview_height = 0.0
        self.T = self.L = 0
        self.window = (0, 0)
        self.node_size, self.edge_scale = 10.0, 1.0
        self.detail = style_plot(layout.addPlot(row=0, col=column, axisItems={
            "left": RowAxis("left"), "bottom": StepAxis("bottom")}))
        self.detail.setMouseEnabled(x=True, y=False)
        self.detail.getViewBox().setDefaultPadding(0.0)
        vb = self.detail.getViewBox()
        self._window_paths = []
        for color in WINDOW_TINTS:
            item = QGraphicsPathItem()
            item.setBrush(QColor(*color))
            item.setPen(pg.mkPen(None))
            item.setZValue(-20)
            vb.addItem(item, ignoreBounds=True)
            self._window_paths.append(item)
        # Brackets under x_t: how far back each window reaches (lanes, so overlapping ones stay apart).
        self.reach_item = _segments(pen=pg.mkPen("#555555", width=2))
        self.edge_items = [_segments(pen=edge_pen(i)) for i in range(N_BINS)]
        self.cut_item = _segments(pen=pg.mkPen("#888888", width=1.0,
                                                                      style=Qt.PenStyle.DotLine))
        self.silent_item = _segments(pen=pg.mkPen("#dddddd", width=0.8))
        self.loss_edge_item = _segments(pen=pg.mkPen(cm.FOREGROUND, width=1.5))
        self.plain_edge_item = _segments(pen=pg.mkPen("#cccccc", width=0.8))
        for z, item in enumerate([self.silent_item, self.cut_item, self.plain_edge_item,
                                  self.loss_edge_item, *self.edge_items, self.reach_item]):
            item.setZValue(z - 10)
            self.detail.addItem(item)
        # Every node of the window in one scatter, rows in order (x_t, then each layer, then y_t):
        # one item paints in about a third of the time three did (each paint has a fixed cost).
        self.nodes = pg.ScatterPlotItem(pen=pg.mkPen("#404040", width=0.8))
        self.nodes.setZValue(5)
        self.detail.addItem(self.nodes)
        self._rows = (slice(0, 0),) * 3  # where the input, hidden and output nodes are in it
        self.input_brush = pg.mkBrush("#e8e8e8")
        self.loss_brush, self.plain_brush = pg.mkBrush(cm.FOREGROUND), pg.mkBrush("w")
        # The selected step's backward window (its loss reaches back to window_start[t]).
        accent = pg.mkPen(cm.ACCENT, width=1.5)
        self.reach_of_selected = _segments(pen=accent)
        self.reach_of_selected.setZValue(20)
        self.detail.addItem(self.reach_of_selected)
        self.selection = selection_line(self.detail)

        self.overview = style_plot(layout.addPlot(row=1, col=column, axisItems={
            "left": RowAxis("left"), "bottom": StepAxis("bottom")}))
        self.overview.setObjectName("graphOverview")
        # a strip by design, short next to the detail (the layout probe measures it as one)
        self.overview.overview_strip = True
        title = self.overview.titleLabel  # never titled: its empty label must take no height
        self.overview.layout.removeItem(title)
        title.setVisible(False)
        self.overview.setMouseEnabled(x=False, y=False)
        self.overview.getViewBox().setDefaultPadding(0.0)
        self.strips = FastImageItem(axisOrder="row-major")
        self.strips.setZValue(-5)
        self.overview.addItem(self.strips)
        self.overview_reach = _segments(pen=accent)
        self.overview_reach.setZValue(20)
        self.overview.addItem(self.overview_reach)
        self.region = pg.LinearRegionItem(brush=pg.mkBrush(0, 0, 0, 28), pen=pg.mkPen(cm.FOREGROUND, width=1.5),
                                          hoverBrush=pg.mkBrush(0, 0, 0, 45), swapMode="block")
        self.region.setZValue(30)
        self.overview.addItem(self.region, ignoreBounds=True)
        self.overview_selection = selection_line(self.overview)
        self.set_visible(True, False)  # no overview until a frame is longer than the window

    # -- data ------------------------------------------------------------------------------------
    def apply(self, frame) -> None:
        old, self.frame = self.frame, frame
        if (frame.T, frame.L) != (self.T, self.L):
            self._set_geometry(frame.T, frame.L)
        if old is None or (old.T, old.L) != (frame.T, frame.L) or not (
                np.array_equal(old.loss_at, frame.loss_at) and np.array_equal(old.window_start, frame.window_start)):
            self._draw_windows()
        self._draw_overview()
        set_title(self.detail, frame.title, tip=frame.tip)
        self._placed = None  # the view shows its window next

    def _set_geometry(self, T: int, L: int) -> None:
        self.T, self.L = T, L
        self._pairs.clear()  # masks index the edges of the old shape
        t = np.arange(T, dtype=np.float64)
        hh_x = np.stack([t[:-1], t[1:]], axis=1)
        xh_x = np.stack([t, t], axis=1)
        ex, ey = [], []
        for l in range(L):
            row = l + 1.0
            ex += [hh_x, xh_x]
            ey += [np.full_like(hh_x, row), np.column_stack([np.full(T, row - 1), np.full(T, row)])]
        self.edge_x = np.concatenate(ex)  # (E, 2) per layer: T-1 recurrent then T input edges
        self.edge_y = np.concatenate(ey)
        self.hy_x = xh_x
        self.hy_y = np.column_stack([np.full(T, float(L)), np.full(T, L + 1.0)])
        rows = [(0.0, "x_t")] + [(l + 1.0, row_label(l)) for l in range(L)] + [(L + 1.0, "y_t")]
        self.detail.getAxis("left").set_rows(rows)
        self.overview.getAxis("left").set_rows([(l + 0.5, row_label(l)) for l in range(L)])
        self.overview.setYRange(-0.35, L, padding=0)
        self.overview_height = 0.0
        self.fit_overview(self._canvas_height)
        self.overview.setXRange(-0.5, T - 0.5, padding=0)
        self.overview.getViewBox().setLimits(xMin=-0.5, xMax=T - 0.5)
        self.region.setBounds((-0.5, T - 0.5))

    def _draw_windows(self) -> None:
        starts, ends = self.frame.windows
        top = self.L + 1.45
        for parity, item in enumerate(self._window_paths):
            path = QPainterPath()
            for s, e in zip(starts[parity::2], ends[parity::2]):
                path.addRect(float(s) - 0.5, -0.45, float(e - s) + 1.0, top + 0.45)
            item.setPath(path)
        lane = np.arange(len(starts)) % REACH_LANES
        y = -0.62 - 0.15 * lane
        # room under x_t for the lanes in use (full BPTT: only the selected step's bracket)
        bottom = -0.65 - 0.15 * min(len(starts), REACH_LANES)
        self.detail.setYRange(bottom, self.L + 1.45, padding=0)
        self.reach_item.setData(np.column_stack([starts - 0.3, ends + 0.3]).ravel(),
                                np.column_stack([y, y]).ravel())

    def _draw_overview(self) -> None:
        """Per layer two strips (RGBA rows, bottom to top): the edge strip (binned ||dL/dh_t|| in
        the edge colours), the node strip (binned mean |h_t| in the node colours), then a gap."""
        f = self.frame
        nodes = cm.lookup_table(cm.UNIT, NODE_LEVELS)[f.overview_node_idx]  # (L, nbins, 4)
        edges = edge_rgba()[f.overview_grad_bins + 1]
        gap = np.full_like(nodes, 255)
        image = np.stack([edges, nodes, gap], axis=1).reshape(3 * f.L, -1, 4)
        self.strips.setImage(image, autoLevels=False,
                             rect=QRectF(-0.5, 0.0, f.overview_bins * f.bin_size, f.L))

    # -- the window ------------------------------------------------------------------------------
    def show_window(self, first: int, last: int, set_range: bool = True) -> None:
        """Show steps first..last (inclusive) in the detail plot; edges and nodes just outside it
        are drawn too, so lines leave the plot's edge instead of stopping short of it.
        ``set_range`` False: the user is moving the detail plot itself; leave its range alone (a
        drag moves it by fractions of a step per event, which snapping would undo)."""
        self.window = (first, last)
        if self.frame is None:
            return
        if set_range and self.detail.getViewBox().viewRange()[0] != [first - 0.5, last + 0.5]:
            self.detail.setXRange(first - 0.5, last + 0.5, padding=0)
        self.region.blockSignals(True)
        self.region.setRegion((first - 0.5, last + 0.5))
        self.region.blockSignals(False)
        width = max(self.detail.getViewBox().width(), 1.0)
        pps = width / max(last - first + 1, 1)
        # plain floats: np.clip on a scalar costs ~5 us, and this runs on every frame
        size = float(min(max(math.floor(0.55 * pps), 5), 16))
        scale = min(max(pps / 14.0, 0.4), 1.0)
        if scale != self.edge_scale:
            self.edge_scale = scale
            for i, item in enumerate(self.edge_items):
                item.setPen(edge_pen(i, scale))
        lo, hi = max(first - 1, 0), min(last + 1, self.T - 1)
        key = (lo, hi, size)
        if key == self._placed:
            return
        self._placed, self.node_size = key, size
        self._draw_edges(lo, hi)
        self._draw_nodes(lo, hi, size)

    def _draw_edges(self, lo: int, hi: int) -> None:
        f = self.frame
        inside = (self.edge_x[:, 0] >= lo) & (self.edge_x[:, 1] <= hi)
        bins, cut = f.edge_bins, f.edge_cut
        for i, item in enumerate(self.edge_items):
            self._set_pairs(item, inside & (bins == i))
        self._set_pairs(self.cut_item, inside & cut)
        self._set_pairs(self.silent_item, inside & (bins < 0) & ~cut)
        steps = np.zeros(self.T, bool)
        steps[lo:hi + 1] = True
        loss, plain = steps & f.loss_at, steps & ~f.loss_at
        self._set_pairs(self.loss_edge_item, loss, self.hy_x, self.hy_y)
        self._set_pairs(self.plain_edge_item, plain, self.hy_x, self.hy_y)

    def _set_pairs(self, item: pg.PlotDataItem, select: np.ndarray, x=None, y=None) -> None:
        # an edge set that did not change (a bin, the cut edges, the loss edges) is not handed
        # over again: PlotDataItem.setData costs ~0.1 ms even for the same few segments
        if same_mask(self._pairs.get(id(item)), select):
            return
        self._pairs[id(item)] = select
        x, y = (self.edge_x, self.edge_y) if x is None else (x, y)
        item.setData(x[select].ravel(), y[select].ravel())

    def _draw_nodes(self, lo: int, hi: int, size: float) -> None:
        f, L = self.frame, self.L
        brushes = list(_node_brushes()[f.node_idx[:, lo:hi + 1].ravel()])
        loss = f.loss_at[lo:hi + 1]
        outputs = [self.loss_brush if x else self.plain_brush for x in loss]
        key = (lo, hi, size, L)
        if key != self._inputs_placed:  # a new window: every node placed again
            t = np.arange(lo, hi + 1, dtype=np.float64)
            n = t.size
            self.nodes.setData(np.tile(t, L + 2), np.repeat(np.arange(L + 2.0), n), size=size,
                               symbol=["s"] * n + ["o"] * ((L + 1) * n),
                               brush=[self.input_brush] * n + brushes + outputs)
            self._rows = (slice(0, n), slice(n, (L + 1) * n), slice((L + 1) * n, (L + 2) * n))
            self._inputs_placed, self._outputs_placed = key, loss.tobytes()
            return
        # the same places: only the colours are new (input nodes carry no data)
        self.nodes.setBrush(brushes, dataSet=self.nodes.data[self._rows[1]])
        if loss.tobytes() != self._outputs_placed:  # loss steps rarely change between updates
            self.nodes.setBrush(outputs, dataSet=self.nodes.data[self._rows[2]])
            self._outputs_placed = loss.tobytes()

    @property
    def input_nodes(self) -> "NodeRow":
        return NodeRow(self.nodes, self._rows[0])

    @property
    def hidden_nodes(self) -> "NodeRow":
        """The nodes of every layer, layer by layer (``data``: their share of ``nodes.data``)."""
        return NodeRow(self.nodes, self._rows[1])

    @property
    def output_nodes(self) -> "NodeRow":
        return NodeRow(self.nodes, self._rows[2])

    def set_selected(self, t: int) -> None:
        """Mark step ``t`` and how far back a loss at ``t`` reaches (window_start[t] .. t: k2 steps
        under truncated BPTT, to step 0 under full BPTT)."""
        f = self.frame
        key = (t, None if f is None else (f.T, int(f.window_start[t]) if 0 <= t < f.T else -1))
        if key == self._selected_key:
            return
        self._selected_key = key
        self.selection.setValue(t)
        self.overview_selection.setValue(t)
        if f is None or not 0 <= t < f.T:
            self.reach_of_selected.setData([], [])
            self.overview_reach.setData([], [])
            return
        start = float(f.window_start[t])
        self.reach_of_selected.setData([start - 0.5, t + 0.5], [-0.5, -0.5])
        self.overview_reach.setData([start - 0.5, t + 0.5], [-0.2, -0.2])

    def set_visible(self, detail: bool, overview: bool) -> None:
        """Show or collapse the plots (a collapsed plot takes no room in the layout)."""
        if self.detail.isVisible() != detail:
            self.detail.setVisible(detail)
            self.detail.setMaximumWidth(1e6 if detail else 0)
            self.detail.setMaximumHeight(1e6 if detail else 0)
        if self.overview.isVisible() != overview:
            self.overview.setVisible(overview)
            self._fix_height(self.overview, self.overview_height if overview else 0)
            self.overview.setMaximumWidth(1e6 if overview else 0)

    def fit_overview(self, canvas_height: float) -> None:
        """Give the overview its share of a canvas ``canvas_height`` px tall (the detail the rest)."""
        self._canvas_height = canvas_height
        share = OVERVIEW_SHARE * (canvas_height - OVERVIEW_FROM_PX) / max(self.L, 1)
        row = float(min(max(share, OVERVIEW_ROW_PX[0]), OVERVIEW_ROW_PX[1]))
        row = max(row, OVERVIEW_MIN_STRIPS_PX / max(self.L, 1))
        height = float(math.floor(OVERVIEW_AXIS_PX + row * self.L))
        if height != self.overview_height:
            self.overview_height = height
            if self.overview.isVisible():
                self._fix_height(self.overview, height)

    @staticmethod
    def _fix_height(plot: pg.PlotItem, height: float) -> None:
        plot.setMinimumHeight(height)
        plot.setMaximumHeight(height)
