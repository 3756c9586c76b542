"""Hidden-state heatmaps: time x unit for every layer, plus gates and cell state for LSTM/GRU.

One row of panels per layer (the top layer on top, as in the unrolled graph), one column per
quantity, each column with one fixed colour scale drawn as a colour bar under it:

- ``h_t``: tanh-bounded cells (rnn tanh, lstm, gru) on [-1, 1], diverging; rnn relu on [0, s]
  (sequential); rnn linear on [-s, s] (diverging). s grows in 1-2-5 steps to cover the largest |h|
  seen and never shrinks, so colours stay comparable between updates.
- LSTM ``c_t`` (unbounded): [-s, s] diverging, s as above.
- LSTM ``|dL/dc_t|`` (the cell-state adjoint, when the trace has ``dL_dc/<l>``): log10, the 8 decades
  below the decade above the largest value of this update (like the flow matrix), so the signal
  carried back along the cell state shows across orders of magnitude.
- sigmoid gates (LSTM i, f, o; GRU r, z): [0, 1], sequential.
- candidate (LSTM g, GRU n, tanh): [-1, 1], diverging.

All for the selected sample, of run A or (compare mode, chosen in the view) run B: the panels follow
the chosen run's cell, so an RNN against an LSTM shows the LSTM's cell state when run B is chosen.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF

from rnn_viz.ui import colormaps as cm
from rnn_viz.ui.state import ViewState

from . import readouts as ro
from .frames import frozen, same
from .base import BaseView, selection_line, style_axis, style_plot, text_label
from .images import FastImageItem
from .runs import RunSelector

__all__ = ["HiddenStateView", "HeatmapFrame", "resolve"]

SIGMOID_GATES = {"lstm": ("i", "f", "o"), "gru": ("r", "z")}
GATE_ORDER = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}
CANDIDATE = {"lstm": "g", "gru": "n"}
DC_DECADES = 8
TINY = 1e-300  # |dL/dc| of exactly 0 (no path) takes the lowest colour


@dataclass(frozen=True)
class _Column:
    """One quantity drawn for every layer: how to take it from the trace and how to colour it."""

    key: str          # "hidden", "cell", "dc", "gates", "candidate"
    title: str        # short: column titles set the layout's minimum width
    scale: str        # under the colour bar: what the colours span
    colormap: str
    fixed: tuple[float, float] | None  # fixed levels, or None for a growing symmetric/positive scale
    positive: bool = False              # growing scale [0, s] instead of [-s, s]
    log: bool = False                   # drawn as log10 |value| over the DC_DECADES below the top decade


def _columns(cell: str, activation: str, cell_grad: bool = False) -> list[_Column]:
    if cell == "rnn" and activation == "relu":
        h = _Column("hidden", "h_t", "relu: 0..s", cm.UNIT, None, positive=True)
    elif cell == "rnn" and activation == "linear":
        h = _Column("hidden", "h_t", "linear: ±s", cm.SIGNED, None)
    else:
        h = _Column("hidden", "h_t", "tanh: ±1", cm.SIGNED, (-1.0, 1.0))
    cols = [h]
    if cell == "lstm":
        cols.append(_Column("cell", "c_t (cell)", "±s", cm.SIGNED, None))
        if cell_grad:
            cols.append(_Column("dc", "dL/dc_t", f"log10 |dL/dc|, {DC_DECADES} decades", cm.MAGNITUDE, None,
                                log=True))
    if cell in SIGMOID_GATES:
        names = ", ".join(SIGMOID_GATES[cell])
        cols.append(_Column("gates", f"gates {names}", "sigmoid: 0..1", cm.UNIT, (0.0, 1.0)))
        cand = CANDIDATE[cell]
        cols.append(_Column("candidate", f"candidate {cand}", "tanh: ±1", cm.SIGNED, (-1.0, 1.0)))
    return cols


def _panel_data(trace, column: _Column, cell: str, layer: int, b: int) -> np.ndarray:
    """(rows, T) image of one panel for sample b: units (or gate units) down, time across."""
    if column.key == "hidden":
        return np.asarray(trace[f"hidden/{layer}"][b]).T
    if column.key == "cell":
        return np.asarray(trace[f"cell/{layer}"][b]).T
    if column.key == "dc":
        return np.asarray(trace[f"dL_dc/{layer}"][b]).T
    gates = np.asarray(trace[f"gates/{layer}"][b])
    H = gates.shape[1] // len(GATE_ORDER[cell])
    order = GATE_ORDER[cell]
    if column.key == "candidate":
        g = order.index(CANDIDATE[cell])
        return gates[:, g * H:(g + 1) * H].T
    idx = [order.index(name) for name in SIGMOID_GATES[cell]]
    return np.concatenate([gates[:, g * H:(g + 1) * H] for g in idx], axis=1).T


def _row_names(column: _Column, cell: str, H: int) -> list[str]:
    if column.key == "gates":
        return [f"{g}[{u}]" for g in SIGMOID_GATES[cell] for u in range(H)]
    if column.key == "candidate":
        return [f"{CANDIDATE[cell]}[{u}]" for u in range(H)]
    return [f"[{u}]" for u in range(H)]


class HiddenStateView(BaseView):
    """Activations of the selected sample as time x unit images, one panel per layer and quantity."""

    OBJECT_NAME = "hiddenStateView"

    def __init__(self, parent=None):
        super().__init__(parent)
        self._structure = None
        self._T = 0
        self._shape: tuple[int, int] | None = None
        # Growing scales per (run id, column): a new model (new run ids) or another run starts afresh.
        self._scales: dict[tuple[str, str], float] = {}
        self._panels: list[tuple[int, _Column, pg.PlotItem, pg.ImageItem]] = []
        self._lines: list[pg.InfiniteLine] = []
        self._bars: dict[str, pg.ColorBarItem] = {}
        self._separators: list[list[pg.InfiniteLine]] = []
        self._data: dict[tuple[int, str], np.ndarray] = {}
        self._table_args: tuple[str, int, int] | None = None
        self.run_selector = RunSelector("heatmapRun")
        self.run_selector.changed.connect(self.redraw)
        self.layout().insertWidget(0, self.run_selector)
        self.title = text_label(justify="center", size="10pt")
        self.readout = text_label()
        self.canvas.scene().sigMouseMoved.connect(self._hovered)

    # -- structure (rebuilt only when the cell, activation or layer count changes) --------------
    def _build(self, cell: str, activation: str, L: int, cell_grad: bool) -> None:
        self.canvas.clear()
        self._click_targets.clear()
        self._panels, self._lines, self._separators = [], [], []
        self._bars = {}
        columns = _columns(cell, activation, cell_grad)
        self.canvas.addItem(self.title, row=0, col=0, colspan=len(columns))
        first = None
        for r, layer in enumerate(range(L - 1, -1, -1)):
            for c, column in enumerate(columns):
                plot = style_plot(self.canvas.addPlot(row=r + 1, col=c),
                                  title=column.title if r == 0 else None,
                                  left=f"layer {layer}: unit" if c == 0 else None,
                                  bottom="time step t" if layer == 0 else None)
                plot.getViewBox().invertY(True)  # unit 0 at the top, like a matrix
                image = FastImageItem(axisOrder="row-major", autoDownsample=True)
                image.setLookupTable(cm.lookup_table(column.colormap))
                plot.addItem(image)
                if first is None:
                    first = plot
                else:
                    plot.setXLink(first)
                self._panels.append((layer, column, plot, image))
                self._lines.append(selection_line(plot))
                seps = []
                if column.key == "gates":
                    for _ in SIGMOID_GATES[cell][1:]:
                        sep = pg.InfiniteLine(angle=0, movable=False, pen=pg.mkPen(cm.FOREGROUND, width=1))
                        plot.addItem(sep, ignoreBounds=True)
                        seps.append(sep)
                self._separators.append(seps)
                self.on_click(plot, lambda x, y: self.emit_step(x, self._T))
        for c, column in enumerate(columns):
            levels = column.fixed or ((0.0, 1.0) if column.positive else (-1.0, 1.0))
            bar = pg.ColorBarItem(values=levels, colorMap=cm.colormap(column.colormap), interactive=False,
                                  orientation="horizontal", width=10, label=column.scale)
            for name in ("bottom", "top", "left", "right"):
                style_axis(bar.getAxis(name))
            bar.setImageItem([img for _, col, _, img in self._panels if col is column])
            self.canvas.addItem(bar, row=L + 1, col=c)
            self._bars[column.key] = bar
        self.canvas.addItem(self.readout, row=L + 2, col=0, colspan=len(columns))
        self._columns = columns

    # -- drawing -------------------------------------------------------------------------------
    def _render(self, state: ViewState) -> None:
        run, trace, prefix = self.run_selector.select(state)
        if trace is None:
            return
        inputs = (trace, state.sample, state.run(run).config, prefix, state.run(run).id)
        if self._inputs is None or any(a is not b for a, b in zip(inputs, self._inputs)):
            self._inputs = inputs
            frame = resolve(state, run, self._scales)
            self._scales = dict(frame.scales)
            if self.frame is None or not same(frame, self.frame):
                self.frames_applied += 1
                self.apply(frame)
        if self.time_step_changed(state):
            for line in self._lines:
                line.setValue(state.time_step)

    def apply(self, frame: "HeatmapFrame") -> None:
        self.frame = frame
        if frame.structure != self._structure:
            self._build(*frame.structure)
            self._structure = frame.structure
            self._shape = None
            self._time_step = None
        cell = frame.structure[0]
        T, H = frame.T, frame.H
        if (T, H) != self._shape:
            self._shape = (T, H)
            for layer, column, plot, _ in self._panels:
                rows = H * (len(SIGMOID_GATES[cell]) if column.key == "gates" else 1)
                plot.setXRange(-0.5, T - 0.5, padding=0)
                plot.setYRange(-0.5, rows - 0.5, padding=0)
        self._T = T
        self._data = {(layer, key): data for layer, key, data, _ in frame.panels}
        shown = {(layer, key): image for layer, key, _, image in frame.panels}
        levels = dict(frame.levels)
        for key, bar in self._bars.items():
            if tuple(bar.levels()) != levels[key]:
                bar.setLevels(levels[key])
        for (layer, column, plot, image), seps in zip(self._panels, self._separators):
            data = shown[(layer, column.key)]
            image.setImage(data, autoLevels=False, levels=levels[column.key],
                           rect=QRectF(-0.5, -0.5, T, data.shape[0]))
            for i, sep in enumerate(seps):
                sep.setValue((i + 1) * H - 0.5)
        self.title.setText(frame.title)
        self._table_args = (cell, H, T)

    def _make_table(self, cell: str, H: int, T: int) -> tuple[list[str], np.ndarray]:
        cols, blocks = ["t"], [np.arange(T, dtype=np.float64)[:, None]]
        for layer, column, _, _ in sorted(self._panels, key=lambda p: p[0]):
            data = self._data[(layer, column.key)]
            name = {"hidden": "hidden", "cell": "cell", "dc": "dL_dc"}.get(column.key, "gates")
            cols += [f"{name}/{layer}{row}" for row in _row_names(column, cell, H)]
            blocks.append(data.T)
        return cols, np.concatenate(blocks, axis=1)

    # -- interaction ---------------------------------------------------------------------------
    def value_at(self, layer: int, key: str, t: int, row: int) -> float:
        """The drawn value of panel (layer, key) at time step t and image row ``row``."""
        return float(self._data[(layer, key)][row, t])

    def _hovered(self, pos) -> None:
        for layer, column, plot, _ in self._panels:
            vb = plot.getViewBox()
            if vb.sceneBoundingRect().contains(pos):
                p = vb.mapSceneToView(pos)
                t, row = int(round(p.x())), int(round(p.y()))
                data = self._data.get((layer, column.key))
                if data is not None and 0 <= t < data.shape[1] and 0 <= row < data.shape[0]:
                    H = self.frame.H
                    name = _row_names(column, self._structure[0], H)[row]
                    self.readout.setText(f"layer {layer}, {column.title} {name} at t = {t}: "
                                         f"{data[row, t]:.4g}")
                    return
        self.readout.setText("")

    def _csv_table(self) -> tuple[list[str], np.ndarray]:
        if self._table_args is None:
            return ["t"], np.zeros((0, 1))
        return self._make_table(*self._table_args)


@dataclass(frozen=True, slots=True)
class HeatmapFrame:
    """What the view draws for one run and sample. ``structure``: (cell, activation, layers, has
    dL/dc), which decides the panels; ``panels``: (layer, column key, (rows, T) values, (rows, T)
    image as drawn: log10 |value| for a log column); ``levels``: (column key, (lo, hi));
    ``scales``: ((run id, column key), s) of the growing scales after this frame."""

    structure: tuple[str, str, int, bool]
    T: int
    H: int
    sample: int
    panels: tuple[tuple[int, str, np.ndarray, np.ndarray], ...]
    levels: tuple[tuple[str, tuple[float, float]], ...]
    title: str
    scales: tuple[tuple[tuple[str, str], float], ...]


def _levels(column: _Column, data: list[np.ndarray], scale: float) -> tuple[tuple[float, float], float]:
    """(levels, the growing scale after them) of one column given its scale so far."""
    if column.fixed is not None:
        return column.fixed, scale
    if column.log:
        lo, hi = ro.log_levels(np.abs(np.concatenate([d.ravel() for d in data])), DC_DECADES)
        return (float(lo), float(hi)), scale
    biggest = max((float(np.max(np.abs(d), initial=0.0)) for d in data), default=0.0)
    scale = max(scale, ro.nice_ceiling(biggest))
    return ((0.0, scale) if column.positive else (-scale, scale)), scale


def resolve(state: ViewState, run: str = "A", scales=None) -> HeatmapFrame | None:
    """Pure: the frame of run ``run`` of ``state`` for the selected sample (None without a
    trace). ``scales``: {(run id, column key): s} the growing scales reached so far; only this
    run's entries count (another run id, e.g. a new model's, starts afresh)."""
    r = state.run(run)
    trace = r.trace
    if trace is None:
        return None
    cell = ro.cell_kind(trace)
    activation = ro.run_activation(state, run) if cell == "rnn" else "fixed"
    L = ro.layer_count(trace)
    structure = (cell, activation, L, cell == "lstm" and "dL_dc/0" in trace)
    columns = _columns(cell, activation, structure[3])
    b = min(state.sample, trace["loss_mask"].shape[0] - 1)
    T = int(trace["loss_mask"].shape[1])
    H = int(trace["hidden/0"].shape[2])
    data = {(layer, col.key): frozen(_panel_data(trace, col, cell, layer, b))
            for layer in range(L - 1, -1, -1) for col in columns}
    old = {k: v for k, v in (scales or {}).items() if k[0] == r.id}
    levels, new_scales = [], {}
    for col in columns:
        lv, s = _levels(col, [d for (_, key), d in data.items() if key == col.key], old.get((r.id, col.key), 0.0))
        levels.append((col.key, lv))
        if col.fixed is None and not col.log:
            new_scales[(r.id, col.key)] = s
    panels = tuple((layer, col.key, data[(layer, col.key)],
                    frozen(np.log10(np.maximum(np.abs(data[(layer, col.key)]), TINY))) if col.log
                    else data[(layer, col.key)])
                   for layer in range(L - 1, -1, -1) for col in columns)
    prefix = RunSelector.title_prefix(state, run)
    # the dock is titled "Hidden states" already; a short title fits a narrow dock on one line
    title = f"{prefix}Sample {b} · {cell}, {L} layer{'s' if L > 1 else ''}, H = {H}"
    if any(col.fixed is None and not col.log for col in columns):
        title += ("<br><span style='font-size:8pt'>s: a 1-2-5 scale that grows to the largest |value| "
                  "seen and never shrinks</span>")
    return HeatmapFrame(structure, T, H, b, panels, tuple(levels), title, tuple(new_scales.items()))
