"""One run's flow-matrix plot (image, truncation band, selected cell) and the cell arithmetic behind it.

At T = 1000 a cell is under a pixel wide, so a click is snapped to the cell drawn under it (the
kept row, when the trace holds only ``flow_rows``), the chosen (t, k) is marked with a crosshair
and named in the view's bar, the arrow keys move it a cell at a time, and the plot zooms (wheel, or
drag a box) with its cells kept square. The snapping and nudging are pure functions of a
``FlowFrame``, tested without Qt.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, Qt

from rnn_viz.ui import colormaps as cm

from .axes import step_axes
from .base import selection_line, style_plot
from .labels import set_title
from .frames import same
from .images import FastImageItem

__all__ = ["MatrixPanel", "CellMark", "snap_cell", "nudge_cell", "clamp_cell"]

_FAR = 2.0 ** 30  # px: ScatterPlotItem.paint clips device positions here (beyond, Qt may crash)


def _row_index(frame, y: float) -> int:
    """Index of the kept row drawn at height ``y`` (rows evenly stretched over the T steps)."""
    R = len(frame.rows)
    return int(np.clip(np.floor((y + 0.5) * R / frame.T), 0, R - 1))


def clamp_cell(frame, t: int, k: int) -> tuple[int, int]:
    """(t, k) moved onto the matrix and on or left of the diagonal (k <= t: a later step has no
    path to an earlier loss); t onto the nearest kept row when the trace keeps only some rows."""
    T = frame.T
    t = int(np.clip(t, 0, T - 1))
    if frame.rows is not None:
        t = int(frame.rows[int(np.argmin(np.abs(frame.rows - t)))])
    return t, int(np.clip(k, 0, t))


def snap_cell(frame, x: float, y: float, slack: float = 0.0) -> tuple[int, int] | None:
    """The cell (t, k) drawn at view coordinates (x, y) (cells are centred on whole steps), or None
    when the point is more than ``slack`` (view units: a few pixels, for the edge cells at a pixel a
    cell) outside the matrix, or there is no matrix. A point right of the diagonal snaps onto it."""
    if frame is None or frame.flow is None or frame.T == 0:
        return None
    T = frame.T
    if not (-0.5 - slack <= x < T - 0.5 + slack and -0.5 - slack <= y < T - 0.5 + slack):
        return None
    k = int(np.clip(np.floor(x + 0.5), 0, T - 1))
    t = int(frame.rows[_row_index(frame, y)]) if frame.rows is not None else int(np.clip(np.floor(y + 0.5), 0, T - 1))
    return t, min(k, t)


def nudge_cell(frame, cell: tuple[int, int], key: str, step: int = 1) -> tuple[int, int]:
    """The cell after an arrow key (``key``: "left", "right", "up" (towards t = 0), "down"),
    ``step`` cells at a time; with kept rows, up/down go to the neighbouring kept row(s)."""
    t, k = cell
    if key in ("left", "right"):
        return clamp_cell(frame, t, k + (step if key == "right" else -step))
    sign = 1 if key == "down" else -1
    if frame.rows is None:
        return clamp_cell(frame, t + sign * step, k)
    i = int(np.argmin(np.abs(frame.rows - t)))
    i = int(np.clip(i + sign * step, 0, len(frame.rows) - 1))
    t = int(frame.rows[i])
    return t, min(k, t)


class CellMark(pg.ScatterPlotItem):
    """The selected cell's square: a ScatterPlotItem of at most one point, painted for that one
    point without its per-paint array work (view culling, coordinate arrays, fragment tables: ~0.2
    ms of a 2 ms view repaint). The same pre-rendered symbol is drawn with the same Qt call at the
    same device position; the ViewBox clips its children, so a mark off the view stays unseen as
    the culling left it. Anything else (exports, another pixel ratio, more points) paints as
    ScatterPlotItem does."""

    def paint(self, p, option, widget):
        atlas = self.fragmentAtlas
        if (len(self.data) != 1 or self._exportOpts is not False or self.opts.get("compositionMode") is not None
                or not (self.opts["pxMode"] is True and self.opts["useCache"])
                or (widget is not None and widget.devicePixelRatioF() != atlas.devicePixelRatio())):
            super().paint(p, option, widget)
            return
        x, y = float(self.data["x"][0]), float(self.data["y"][0])
        if not (np.isfinite(x) and np.isfinite(y)):
            return
        # fn.transformCoordinates' arithmetic, term for term, for one point
        tr = p.transform()
        dev_x = min(max(tr.m11() * x + tr.m21() * y + tr.dx(), -_FAR), _FAR)
        dev_y = min(max(tr.m12() * x + tr.m22() * y + tr.dy(), -_FAR), _FAR)
        p.resetTransform()
        dpr = atlas.devicePixelRatio()
        self._pixmapFragments.resize(1)
        frags = self._pixmapFragments.ndarray()
        frags[0, 0:2] = dev_x, dev_y
        frags[:, 2:6] = np.frombuffer(self.data["sourceRect"], dtype=int).reshape((-1, 4))
        frags[0, 6:10] = 1 / dpr, 1 / dpr, 0.0, 1.0
        p.drawPixmapFragments(*self._pixmapFragments.drawargs(), atlas.pixmap)


class MatrixPanel:
    """The plot of one run's matrix: a uint8 colour-index image, the truncation outline, the
    selected cell (square and crosshair) and the shared selected time step. Items are created once;
    ``apply`` only sets data. Its ViewBox keeps cells square (aspect locked) and zooms with the wheel
    or a dragged box (RectMode)."""

    def __init__(self, layout, col: int, lut: np.ndarray):
        self.plot = style_plot(layout.addPlot(row=0, col=col, axisItems=step_axes("left", "bottom")),
                               left="loss step t", bottom="source step k")
        vb = self.plot.getViewBox()
        vb.invertY(True)
        vb.setAspectLocked(True, ratio=1.0)
        vb.setMouseMode(pg.ViewBox.RectMode)
        vb.setMenuEnabled(False)
        # The image holds colour indices (uint8, NO_PATH for zeros), not log values with NaN holes:
        # pyqtgraph's NaN handling tripled the cost of drawing a 200 x 200 matrix.
        self.image = FastImageItem(axisOrder="row-major")
        self.image.setLookupTable(lut)
        self.plot.addItem(self.image)
        self.band = pg.PlotDataItem(pen=pg.mkPen(cm.FOREGROUND, width=1.2))
        self.plot.addItem(self.band)
        cross = pg.mkPen(cm.ACCENT, width=1, style=Qt.PenStyle.DotLine)
        self.cross_t = pg.InfiniteLine(angle=0, pen=cross)  # the row of the selected cell
        self.cross_t.setZValue(90)
        self.plot.addItem(self.cross_t, ignoreBounds=True)
        self.cell_mark = CellMark(symbol="s", size=12, brush=None, pen=pg.mkPen(cm.ACCENT, width=2))
        self.cell_mark.setZValue(95)
        self.plot.addItem(self.cell_mark)
        self.selection = selection_line(self.plot)
        self.T = 0
        self.frame = None
        self.mark: tuple[float, float] | None = None
        self.cross_t.setVisible(False)  # no cell marked yet (the mark has no point)

    def apply(self, frame, old) -> None:
        """Draw ``frame`` (a FlowFrame); ``old``: the frame drawn before, or None."""
        self.frame = frame
        set_title(self.plot, frame.title)
        if frame.flow is None:
            self.image.clear()
            self.band.setData([], [])
            self.show_mark(None)
            return
        T = frame.T
        if T != self.T:
            self.T = T
            # no outer limits: with the aspect locked, a limit on one axis shrinks the other's range
            self.plot.getViewBox().setLimits(minXRange=min(4.0, T), minYRange=min(4.0, T))
            self.reset_zoom()
        self.image.setImage(frame.index, autoLevels=False, levels=(0, 255), rect=QRectF(-0.5, -0.5, T, T))
        if old is None or old.flow is None or not same(frame.band, old.band):  # windows rarely change
            self.band.setData(*frame.band, connect="pairs")

    def reset_zoom(self) -> None:
        if self.T:
            self.plot.getViewBox().setRange(xRange=(-0.5, self.T - 0.5), yRange=(-0.5, self.T - 0.5), padding=0.02)

    def zoomed(self) -> bool:
        """Whether the plot shows less than the whole matrix."""
        if not self.T:
            return False
        (x0, x1), (y0, y1) = self.plot.viewRange()
        return x0 > -0.5 + 1e-6 or x1 < self.T - 0.5 - 1e-6 or y0 > -0.5 + 1e-6 or y1 < self.T - 0.5 - 1e-6

    def show_mark(self, mark: tuple[float, float] | None) -> None:
        """Mark the selected cell at view position ``mark`` = (k, y), or none."""
        if mark == self.mark:  # the other run's panel in compare mode is told "none" on every redraw
            return
        self.mark = mark
        if mark is None:
            self.cell_mark.setData([], [])
            self.cross_t.setVisible(False)
        else:
            self.cell_mark.setData([mark[0]], [mark[1]])
            self.cross_t.setValue(mark[1])
            self.cross_t.setVisible(True)

