"""One run's grid of heatmap panels: a title line, one row of panels per shown layer, one column per
shown quantity, a colour bar under each column. The heatmaps view holds one grid, or in compare mode
side by side one per run, in the same layout from column ``col0`` on (so their rows line up and
their titles share one line, never stacked).

Built once per structure (cell, activation, layers, shown columns); afterwards ``apply(frame)``
only hands images, levels and texts to the items.
"""
from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF

from rnn_viz.ui import colormaps as cm

from . import colour_scale as cs
from .axes import style_axis
from .base import selection_line, style_plot
from .labels import text_label
from .images import FastImageItem
from .tick_fit import block_ticks, fit_ticks

__all__ = ["HeatmapGrid"]

LONG_LABEL_PX = 62  # panel height from which a row is labelled "layer 1" rather than "L1"


class HeatmapGrid:
    """The items of one run's panels in ``layout`` (a pg.GraphicsLayout). ``columns_of(cell,
    activation, cell_grad)``: the view's column list; ``register(plot)``: called for every panel
    plot (clicks select a time step); ``gates``/``row_names``: the view's gate names and row names."""

    def __init__(self, layout: pg.GraphicsLayout, columns_of: Callable, register: Callable,
                 gates: dict, row_names: Callable):
        self.layout = layout
        self.col0 = 0
        self._columns_of, self._register, self._gates, self._row_names = columns_of, register, gates, row_names
        self.title = text_label(justify="center", size="10pt")
        self.structure = None
        self.frame = None
        self.panels: list = []      # (layer, column, plot, image), top layer first
        self.lines: list[pg.InfiniteLine] = []
        self.bars: dict[str, pg.ColorBarItem] = {}
        self.separators: list[list[pg.InfiniteLine]] = []
        self.data: dict[tuple[int, str], np.ndarray] = {}
        self._shape: tuple[int, int] | None = None
        self.T = 0

    def columns(self, structure) -> list:
        cell, activation, _, cell_grad, shown, _ = structure
        return [c for c in self._columns_of(cell, activation, cell_grad) if c.key in shown]

    def build(self, structure, col0: int = 0, rows: int | None = None) -> None:
        """Add this grid's items to the layout (cleared by the caller) from column ``col0`` on;
        ``rows``: the layer rows of the tallest grid beside it (the colour bars go under those)."""
        cell, activation, L, cell_grad, shown, layers = structure
        self.col0 = col0
        self.panels, self.lines, self.separators, self.bars = [], [], [], {}
        columns = self.columns(structure)
        self.layout.addItem(self.title, row=0, col=col0, colspan=len(columns))
        first = None
        bottom = layers[-1]
        for r, layer in enumerate(layers):
            for c, column in enumerate(columns):
                plot = style_plot(self.layout.addPlot(row=r + 1, col=col0 + c),
                                  title=column.title if r == 0 else None,
                                  left=f"layer {layer}" if c == 0 else None,
                                  # every bottom plot labelled, so the rows line up across columns
                                  bottom=("time step t" if c == 0 else "t") if layer == bottom else None)
                plot.getViewBox().invertY(True)  # unit 0 at the top, like a matrix
                _compact_axes(plot, column, c, layer == bottom)
                image = FastImageItem(axisOrder="row-major", autoDownsample=True)
                image.setLookupTable(cm.lookup_table(column.colormap))
                plot.addItem(image)
                if first is None:
                    first = plot
                else:
                    plot.setXLink(first)
                self.panels.append((layer, column, plot, image))
                self.lines.append(selection_line(plot))
                seps = []
                if column.key == "gates":
                    for _ in self._gates[cell][1:]:
                        sep = pg.InfiniteLine(angle=0, movable=False, pen=pg.mkPen(cm.FOREGROUND, width=1))
                        plot.addItem(sep, ignoreBounds=True)
                        seps.append(sep)
                self.separators.append(seps)
                self._register(plot)
        for c, column in enumerate(columns):
            bar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=cm.colormap(column.colormap), interactive=False,
                                  orientation="horizontal", width=10, label=" ")
            for name in ("bottom", "top", "left", "right"):
                style_axis(bar.getAxis(name))
            fit_ticks(bar.getAxis("bottom"))
            bar.getAxis("bottom").enableAutoSIPrefix(False)  # no unit prefix on the mode's title
            bar.setImageItem([img for _, col, _, img in self.panels if col is column])
            self.layout.addItem(bar, row=(rows or len(layers)) + 1, col=col0 + c)
            self.bars[column.key] = bar
        self.structure = structure
        self._shape = None
        self.frame = None
        first = next((p for _, col, p, _ in self.panels if col is columns[0]), None)
        if first is not None:
            first.getViewBox().sigResized.connect(self._fit_layer_labels)

    def _fit_layer_labels(self, *args) -> None:
        """"layer 1" where the panel is tall enough for it, else "L1" (rotated labels of two rows
        would touch)."""
        plots = [p for _, col, p, _ in self.panels if p.getAxis("left").labelText]
        if not plots:
            return
        height = min(p.getViewBox().height() for p in plots)
        for layer, _, plot, _ in self.panels:
            axis = plot.getAxis("left")
            if axis.labelText:
                text = f"layer {layer}" if height >= LONG_LABEL_PX else f"L{layer}"
                if axis.labelText != text:
                    axis.setLabel(text)

    def apply(self, frame) -> None:
        """Draw ``frame`` (a HeatmapFrame) on items built for its structure."""
        self.frame = frame
        cell = frame.structure[0]
        T, H = frame.T, frame.H
        if (T, H) != self._shape:
            self._shape = (T, H)
            for layer, column, plot, _ in self.panels:
                rows = H * (len(self._gates[cell]) if column.key == "gates" else 1)
                plot.setXRange(-0.5, T - 0.5, padding=0)
                plot.setYRange(-0.5, rows - 0.5, padding=0)
                if column.key == "gates":
                    block_ticks(plot.getAxis("left"), self._gates[cell], H)
        self.T = T
        self.data = {(layer, key): data for layer, key, data, _ in frame.panels}
        shown = {(layer, key): image for layer, key, _, image in frame.panels}
        levels = dict(frame.levels)
        for key, text, mode in frame.bar_titles:
            bar = self.bars[key]
            if tuple(bar.levels()) != levels[key]:
                bar.setLevels(levels[key])
            axis = bar.getAxis("bottom")
            if axis.labelText != text:
                axis.setLabel(text, **{"font-size": "8pt"})
            tip = f"colour scale {cs.format_range(*levels[key])}: {cs.MODE_TIPS[mode]} (Colours menu)"
            if bar.toolTip() != tip:
                bar.setToolTip(tip)
        for (layer, column, plot, image), seps in zip(self.panels, self.separators):
            data = shown[(layer, column.key)]
            image.setImage(data, autoLevels=False, levels=levels[column.key],
                           rect=QRectF(-0.5, -0.5, T, data.shape[0]))
            for i, sep in enumerate(seps):
                sep.setValue((i + 1) * H - 0.5)
        self.title.setText(frame.title)

    def set_time_step(self, t: int) -> None:
        for line in self.lines:
            line.setValue(t)

    def hovered(self, pos) -> str | None:
        """The readout of the cell under scene position ``pos``, or None if it is over no panel."""
        for layer, column, plot, _ in self.panels:
            vb = plot.getViewBox()
            if vb.sceneBoundingRect().contains(pos):
                p = vb.mapSceneToView(pos)
                t, row = int(round(p.x())), int(round(p.y()))
                data = self.data.get((layer, column.key))
                if data is not None and 0 <= t < data.shape[1] and 0 <= row < data.shape[0]:
                    name = self._row_names(column, self.structure[0], self.frame.H)[row]
                    return f"layer {layer} {column.title} {name}, t = {t}: {data[row, t]:.4g}"
        return None

    def table(self) -> tuple[list[str], np.ndarray]:
        """(columns, rows) of the values drawn: t, then every panel's rows by layer."""
        if self.frame is None:
            return ["t"], np.zeros((0, 1))
        cell, H, T = self.structure[0], self.frame.H, self.T
        cols, blocks = ["t"], [np.arange(T, dtype=np.float64)[:, None]]
        for layer, column, _, _ in sorted(self.panels, key=lambda p: p[0]):
            data = self.data[(layer, column.key)]
            name = {"hidden": "hidden", "cell": "cell", "dc": "dL_dc"}.get(column.key, "gates")
            cols += [f"{name}/{layer}{row}" for row in self._row_names(column, cell, H)]
            blocks.append(data.T)
        return cols, np.concatenate(blocks, axis=1)


def _compact_axes(plot: pg.PlotItem, column, c: int, bottom_row: bool) -> None:
    """Tick labels only where they say something: time under the bottom row (the columns share
    their time axis), unit numbers on the first column, gate names on the gates' blocks; the
    other columns have the first column's units (the hover readout names each row)."""
    x, y = plot.getAxis("bottom"), plot.getAxis("left")
    if not plot.titleLabel.text:  # an empty title still took a line of height from the plot
        plot.layout.removeItem(plot.titleLabel)
        plot.titleLabel.setVisible(False)
    fit_ticks(x)
    if not bottom_row:
        x.setStyle(showValues=False)
        x.setHeight(6)
    if column.key == "gates":  # one-letter gate names, set per frame (block_ticks)
        if c > 0:  # the first column's axis also holds the layer's label
            y.setWidth(18)
    elif c == 0:
        fit_ticks(y)
    else:
        y.setStyle(showValues=False)
        y.setWidth(6)
