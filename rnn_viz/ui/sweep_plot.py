"""``rnn-viz sweep``'s figures: one per measure, a line over one grid or a heatmap over two, drawn
offscreen with pyqtgraph and exported like every view (PNG and SVG through ``ui.export``)."""
from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np
import pyqtgraph as pg

from rnn_viz.ui import colormaps, export

__all__ = ["render_sweep_plots", "sweep_figures", "SIGNED_MEASURES"]

SIZE = (900, 600)
# Growth rates: their sign is the point (vanishing below 0, exploding above), so 0 sits mid-map.
SIGNED_MEASURES = ("top_lyapunov", "grad_decay")
LABELS = {
    "top_lyapunov": "top Lyapunov exponent (log per step)", "grad_decay": "gradient decay (log F per step of lag)",
    "memory_horizon": "memory horizon (steps)", "final_loss": "final loss", "final_val_loss": "final validation loss",
}


class _Figure:
    """A plot in its own offscreen widget, offering ``export_item`` as the views do."""

    def __init__(self):
        self.widget = pg.GraphicsLayoutWidget()
        self.widget.setBackground(colormaps.BACKGROUND)
        self.widget.resize(*SIZE)
        self.plot = self.widget.addPlot()
        self.plot.showGrid(x=True, y=True, alpha=0.25)

    def export_item(self):
        return self.widget.ci

    def objectName(self):  # export's error messages name the view
        return "sweep figure"


def _number(text: str) -> float:
    try:
        return float(text) if text != "" else math.nan
    except ValueError:
        return math.nan


def _axis(values: Sequence) -> tuple[np.ndarray, list | None]:
    """x positions for grid values: the values when numeric, else 0, 1, ... with the values as ticks."""
    if all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in values):
        return np.asarray(values, dtype=np.float64), None
    return np.arange(len(values), dtype=np.float64), [(i, str(v)) for i, v in enumerate(values)]


def _table(keys: Sequence[str], grid_values: Sequence[Sequence], measure: str,
           rows: Sequence[Mapping[str, str]]) -> np.ndarray:
    """(n_2, n_1) (or (n_1,)) of the measure per point, nan where a point failed or is missing."""
    shape = tuple(len(v) for v in grid_values)
    table = np.full(int(np.prod(shape)), np.nan)
    for row in rows:
        point = row.get("point", "")
        if point.isdigit() and int(point) < table.size:
            table[int(point)] = _number(row.get(measure, ""))
    # point = i_1 + n_1 * i_2: the first grid varies fastest
    return table.reshape(tuple(reversed(shape)))


def _line(fig: _Figure, x, ticks, y, name: str, color: str, key: str) -> None:
    fig.plot.plot(x, y, pen=pg.mkPen(color, width=2), symbol="o", symbolSize=6, symbolBrush=color,
                  symbolPen=None, name=name, connect="finite")
    fig.plot.setLabel("bottom", key)
    if ticks is not None:
        fig.plot.getAxis("bottom").setTicks([ticks])


def render_sweep_plots(out_dir: Path, keys: Sequence[str], grid_values: Sequence[Sequence], measures: Sequence[str],
                       rows: Sequence[Mapping[str, str]]) -> list[Path]:
    """Write ``<measure>.png`` and ``.svg`` for each measure into ``out_dir`` and, for one grid and
    several measures, ``sweep.png``/``.svg`` with all of them on one axis. rows: sweep.csv as dicts."""
    from rnn_viz.ui.plots import _application

    app = _application()
    out_dir = Path(out_dir)
    written: list[Path] = []
    for name, fig in sweep_figures(keys, grid_values, measures, rows):
        app.processEvents()  # not shown: the export lays the figure out at SIZE (no Qt size-hint warning)
        for fmt in ("png", "svg"):
            written.append(export.export_view(fig, out_dir / f"{name}.{fmt}", fmt, width=SIZE[0], height=SIZE[1]))
        fig.widget.close()
    return written


def sweep_figures(keys: Sequence[str], grid_values: Sequence[Sequence], measures: Sequence[str],
                  rows: Sequence[Mapping[str, str]]) -> list[tuple[str, _Figure]]:
    """(file stem, figure) for each figure :func:`render_sweep_plots` writes (a QApplication must exist)."""
    figures: list[tuple[str, _Figure]] = []
    for m, measure in enumerate(measures):
        fig = _Figure()
        table = _table(keys, grid_values, measure, rows)
        fig.plot.setTitle(LABELS.get(measure, measure))
        if len(keys) == 1:
            x, ticks = _axis(grid_values[0])
            _line(fig, x, ticks, table, measure, colormaps.LAYER_COLORS[0], keys[0])
            if measure in SIGNED_MEASURES:
                fig.plot.addLine(y=0.0, pen=pg.mkPen(colormaps.FOREGROUND, style=pg.QtCore.Qt.PenStyle.DashLine))
            fig.plot.setLabel("left", measure)
        else:
            x, xticks = _axis(grid_values[0])
            y, yticks = _axis(grid_values[1])
            finite = table[np.isfinite(table)]
            if measure in SIGNED_MEASURES:
                bound = float(np.max(np.abs(finite))) if finite.size else 1.0
                levels, cmap = (-bound or -1.0, bound or 1.0), colormaps.SIGNED
            else:
                levels = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
                levels, cmap = (levels if levels[1] > levels[0] else (levels[0], levels[0] + 1.0)), colormaps.UNIT
            image = pg.ImageItem(axisOrder="row-major")
            image.setImage(np.where(np.isfinite(table), table, np.nan), levels=levels)
            image.setColorMap(colormaps.colormap(cmap))
            dx = (x[-1] - x[0]) / (len(x) - 1) if len(x) > 1 else 1.0
            dy = (y[-1] - y[0]) / (len(y) - 1) if len(y) > 1 else 1.0
            image.setRect(pg.QtCore.QRectF(x[0] - dx / 2, y[0] - dy / 2, dx * len(x), dy * len(y)))
            fig.plot.addItem(image)
            bar = pg.ColorBarItem(values=levels, colorMap=colormaps.colormap(cmap), interactive=False, label=measure)
            bar.setImageItem(image, insert_in=fig.plot)
            fig.plot.setLabel("bottom", keys[0])
            fig.plot.setLabel("left", keys[1])
            for axis, ticks in (("bottom", xticks), ("left", yticks)):
                if ticks is not None:
                    fig.plot.getAxis(axis).setTicks([ticks])
        figures.append((measure, fig))
    if len(keys) == 1 and len(measures) > 1:
        fig = _Figure()
        fig.plot.addLegend(offset=(10, 10))
        x, ticks = _axis(grid_values[0])
        for m, measure in enumerate(measures):
            color = colormaps.LAYER_COLORS[m % len(colormaps.LAYER_COLORS)]
            _line(fig, x, ticks, _table(keys, grid_values, measure, rows), measure, color, keys[0])
        if any(m in SIGNED_MEASURES for m in measures):
            fig.plot.addLine(y=0.0, pen=pg.mkPen(colormaps.FOREGROUND, style=pg.QtCore.Qt.PenStyle.DashLine))
        fig.plot.setTitle(" and ".join(measures) + f" against {keys[0]}")
        figures.append(("sweep", fig))
    return figures
