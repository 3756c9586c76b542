"""Hidden-state heatmaps: time x unit for every layer, plus gates and cell state for LSTM/GRU.

One row of panels per layer (the top layer on top, as in the unrolled graph), one column per
quantity, each column with one colour scale drawn as a colour bar under it, titled with its mode
(``colour_scale``: fixed, auto or percentile, chosen per column in the "Colours" menu and
remembered):

- ``h_t``: tanh (rnn tanh, lstm, gru) -1..1, diverging; rnn relu 0..inf (sequential); rnn linear
  unbounded (diverging).
- LSTM ``c_t``: unbounded, diverging.
- LSTM ``|dL/dc_t|`` (the cell-state adjoint, when the trace has ``dL_dc/<l>``): log10 over
  DC_DECADES decades, so the signal carried back along the cell state shows across orders of
  magnitude.
- sigmoid gates (LSTM i, f, o; GRU r, z): 0..1, sequential.
- candidate (LSTM g, GRU n, tanh): -1..1, diverging.

The ranges come from the engine's activation definitions; a bounded quantity starts in ``fixed``,
an unbounded one in ``auto``. The "Panels" menu hides columns that do not fit a small dock.

All for the selected sample, of run A or (compare mode, chosen in the view) run B: the panels follow
the chosen run's cell, so an RNN against an LSTM shows the LSTM's cell state when run B is chosen.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF
from PySide6.QtWidgets import QLabel, QSizePolicy

from rnn_viz.ui import colormaps as cm
from rnn_viz.ui.state import ViewState

from . import colour_scale as cs
from . import readouts as ro
from .frames import frozen, same
from .base import BaseView, selection_line, style_axis, style_plot, text_label
from .runs import RunSelector
from .scale_controls import PanelButton, ScaleButton, ScaleChoices, controls_row
from .tick_fit import block_ticks, fit_ticks

__all__ = ["HiddenStateView", "HeatmapFrame", "resolve"]

SIGMOID_GATES = {"lstm": ("i", "f", "o"), "gru": ("r", "z")}
GATE_ORDER = {"lstm": ("i", "f", "g", "o"), "gru": ("r", "z", "n")}
CANDIDATE = {"lstm": "g", "gru": "n"}
DC_DECADES = 8
TINY = 1e-300  # |dL/dc| of exactly 0 (no path) takes the lowest colour


COLUMN_KEYS = ("hidden", "cell", "dc", "gates", "candidate")
VIEW_NAME = "heatmaps"  # the view's name in the settings (colour scales, hidden panels)


def layer_key(layer: int) -> str:
    """The name of a layer's row of panels among the hidden panels."""
    return f"layer:{layer}"


@dataclass(frozen=True)
class _Column:
    """One quantity drawn for every layer: how to take it from the trace and how to colour it."""

    key: str          # one of COLUMN_KEYS
    title: str        # short: column titles set the layout's minimum width
    what: str         # in the colour bar's title, after the mode: its unit if not the value's
    quantity: cs.Quantity
    colormap: str

    @property
    def log(self) -> bool:
        return self.quantity.decades is not None


def _columns(cell: str, activation: str, cell_grad: bool = False) -> list[_Column]:
    act = activation if cell == "rnn" else "tanh"
    h_map = cm.UNIT if cs.Quantity.of(act).value_range[0] >= 0 else cm.SIGNED
    cols = [_Column("hidden", "h_t", "", cs.Quantity.of(act), h_map)]
    if cell == "lstm":
        cols.append(_Column("cell", "c_t", "", cs.Quantity.of("linear"), cm.SIGNED))
        if cell_grad:
            cols.append(_Column("dc", "|dL/dc_t|", "log10", cs.Quantity.log(DC_DECADES), cm.MAGNITUDE))
    if cell in SIGMOID_GATES:
        # short titles: a column can be 80 px wide; the gate names label the gates' rows
        cols.append(_Column("gates", "gates", "", cs.Quantity.of("sigmoid"), cm.UNIT))
        cand = CANDIDATE[cell]
        cols.append(_Column("candidate", f"{cand}_t", "", cs.Quantity.of("tanh"), cm.SIGNED))
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
        # Auto scales per (run id, column): a new model (new run ids) or another run starts afresh.
        self._scales: dict[tuple[str, str], float] = {}
        self._panels: list[tuple[int, _Column, pg.PlotItem, pg.ImageItem]] = []
        self._lines: list[pg.InfiniteLine] = []
        self._bars: dict[str, pg.ColorBarItem] = {}
        self._separators: list[list[pg.InfiniteLine]] = []
        self._data: dict[tuple[int, str], np.ndarray] = {}
        self._table_args: tuple[str, int, int] | None = None
        self._settings = None
        self.choices = ScaleChoices(VIEW_NAME, COLUMN_KEYS)
        self.hidden_panels: set[str] = set()
        self.run_selector = RunSelector("heatmapRun")
        self.run_selector.changed.connect(self.redraw)
        self.panel_button = PanelButton("heatmapPanels")
        self.panel_button.changed.connect(self.set_hidden_panels)
        self.scale_button = ScaleButton("heatmapColours", self.choices, self._levels_of)
        self.scale_button.changed.connect(self._scale_chosen)
        # The hover readout sits in the controls row: in the canvas it took a line of plot height.
        self.readout = QLabel("")
        self.readout.setObjectName("heatmapReadout")
        self.readout.setMinimumWidth(0)
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.layout().insertWidget(0, controls_row(self.run_selector, self.readout, self.panel_button,
                                                   self.scale_button))
        self.title = text_label(justify="center", size="10pt")
        self.canvas.scene().sigMouseMoved.connect(self._hovered)

    # -- choices (colour scales, shown panels), remembered in the window's settings -------------
    def use_settings(self, settings) -> None:
        """Read and from now on keep the colour scales and hidden panels in ``settings`` (AppSettings)."""
        self._settings = settings
        self.choices.use_settings(settings)
        self.hidden_panels = settings.hidden_panels(VIEW_NAME)
        self.invalidate()
        self.redraw()

    def set_hidden_panels(self, keys) -> None:
        """Hide the columns ``keys`` (COLUMN_KEYS) and show the others."""
        self.hidden_panels = set(keys)
        if self._settings is not None:
            self._settings.set_hidden_panels(VIEW_NAME, self.hidden_panels)
        self.invalidate()
        self.redraw()

    def set_scale(self, key: str, scale: cs.Scale) -> None:
        """Colour column ``key`` on ``scale`` (as the Colours menu does)."""
        self.choices.choose(key, scale)
        self._scale_chosen(key)

    def _scale_chosen(self, key: str) -> None:
        # a newly chosen auto scale starts from the frame shown, not from an older auto state
        self._scales = {k: v for k, v in self._scales.items() if k[1] != key}
        self.invalidate()
        self.redraw()

    def _levels_of(self, key: str) -> tuple[float, float] | None:
        return dict(self.frame.levels).get(key) if self.frame is not None else None

    # -- structure (rebuilt only when the cell, activation, layers or shown columns change) -----
    def _build(self, cell: str, activation: str, L: int, cell_grad: bool, shown: tuple[str, ...],
               layers: tuple[int, ...]) -> None:
        self.canvas.clear()
        self._click_targets.clear()
        self._panels, self._lines, self._separators = [], [], []
        self._bars = {}
        columns = [c for c in _columns(cell, activation, cell_grad) if c.key in shown]
        self.canvas.addItem(self.title, row=0, col=0, colspan=len(columns))
        first = None
        bottom = layers[-1]
        for r, layer in enumerate(layers):
            for c, column in enumerate(columns):
                plot = style_plot(self.canvas.addPlot(row=r + 1, col=c),
                                  title=column.title if r == 0 else None,
                                  left=f"layer {layer}" if c == 0 else None,
                                  # every bottom plot labelled, so the rows line up across columns
                                  bottom=("time step t" if c == 0 else "t") if layer == bottom else None)
                plot.getViewBox().invertY(True)  # unit 0 at the top, like a matrix
                self._compact_axes(plot, column, cell, c, layer == bottom)
                image = pg.ImageItem(axisOrder="row-major", autoDownsample=True)
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
            bar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=cm.colormap(column.colormap), interactive=False,
                                  orientation="horizontal", width=10, label=" ")
            for name in ("bottom", "top", "left", "right"):
                style_axis(bar.getAxis(name))
            fit_ticks(bar.getAxis("bottom"))
            bar.setImageItem([img for _, col, _, img in self._panels if col is column])
            self.canvas.addItem(bar, row=len(layers) + 1, col=c)
            self._bars[column.key] = bar
        self._columns = columns

    @staticmethod
    def _compact_axes(plot: pg.PlotItem, column: _Column, cell: str, c: int, bottom_row: bool) -> None:
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

    def _sync_menus(self, structure) -> None:
        cell, activation, L, cell_grad, shown, _ = structure
        every = _columns(cell, activation, cell_grad)
        layers = [(layer_key(l), f"layer {l}") for l in range(L - 1, -1, -1)] if L > 1 else []
        self.panel_button.set_panels([(c.key, c.title) for c in every], self.hidden_panels, layers)
        self.scale_button.set_quantities([(c.key, c.title, c.quantity) for c in every if c.key in shown])

    # -- drawing -------------------------------------------------------------------------------
    def _render(self, state: ViewState) -> None:
        run, trace, prefix = self.run_selector.select(state)
        if trace is None:
            return
        inputs = (trace, state.sample, state.run(run).config, prefix, state.run(run).id)
        if self._inputs is None or any(a is not b for a, b in zip(inputs, self._inputs)):
            self._inputs = inputs
            frame = resolve(state, run, self._scales, self.choices.chosen(), self.hidden_panels)
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
        self._sync_menus(frame.structure)
        cell = frame.structure[0]
        T, H = frame.T, frame.H
        if (T, H) != self._shape:
            self._shape = (T, H)
            for layer, column, plot, _ in self._panels:
                rows = H * (len(SIGMOID_GATES[cell]) if column.key == "gates" else 1)
                plot.setXRange(-0.5, T - 0.5, padding=0)
                plot.setYRange(-0.5, rows - 0.5, padding=0)
                if column.key == "gates":
                    block_ticks(plot.getAxis("left"), SIGMOID_GATES[cell], H)
        self._T = T
        self._data = {(layer, key): data for layer, key, data, _ in frame.panels}
        shown = {(layer, key): image for layer, key, _, image in frame.panels}
        levels = dict(frame.levels)
        for key, text, mode in frame.bar_titles:
            bar = self._bars[key]
            if tuple(bar.levels()) != levels[key]:
                bar.setLevels(levels[key])
            axis = bar.getAxis("bottom")
            if axis.labelText != text:
                axis.setLabel(text, **{"font-size": "8pt"})
            tip = f"colour scale {cs.format_range(*levels[key])}: {cs.MODE_TIPS[mode]} (Colours menu)"
            if bar.toolTip() != tip:
                bar.setToolTip(tip)
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
                    # short: it shares a row with the run selector and the menus
                    self.readout.setText(f"layer {layer} {column.title} {name}, t = {t}: {data[row, t]:.4g}")
                    return
        self.readout.setText("")

    def _csv_table(self) -> tuple[list[str], np.ndarray]:
        if self._table_args is None:
            return ["t"], np.zeros((0, 1))
        return self._make_table(*self._table_args)


@dataclass(frozen=True, slots=True)
class HeatmapFrame:
    """What the view draws for one run and sample. ``structure``: (cell, activation, layers, has
    dL/dc, shown column keys, shown layers top first), which decides the panels; ``panels``: (layer, column key, (rows, T)
    values, (rows, T) image as drawn: log10 |value| for a log column); ``levels``: (column key,
    (lo, hi)); ``bar_titles``: (column key, colour bar title naming its mode, the mode); ``scales``:
    ((run id, column key), auto state) of the auto columns after this frame."""

    structure: tuple[str, str, int, bool, tuple[str, ...], tuple[int, ...]]
    T: int
    H: int
    sample: int
    panels: tuple[tuple[int, str, np.ndarray, np.ndarray], ...]
    levels: tuple[tuple[str, tuple[float, float]], ...]
    title: str
    scales: tuple[tuple[tuple[str, str], float], ...]
    bar_titles: tuple[tuple[str, str, str], ...] = ()


def resolve(state: ViewState, run: str = "A", scales=None, chosen=None, hidden=()) -> HeatmapFrame | None:
    """Pure: the frame of run ``run`` of ``state`` for the selected sample (None without a
    trace). ``scales``: {(run id, column key): auto state} reached so far; only this run's entries
    count (another run id, e.g. a new model's, starts afresh). ``chosen``: {column key:
    colour_scale.Scale} the user's choices (others: the quantity's default mode); ``hidden``: the
    column keys and ``layer_key(l)`` of the layers not to draw (all columns or all layers hidden:
    all of them are drawn)."""
    r = state.run(run)
    trace = r.trace
    if trace is None:
        return None
    cell = ro.cell_kind(trace)
    activation = ro.run_activation(state, run) if cell == "rnn" else "fixed"
    L = ro.layer_count(trace)
    cell_grad = cell == "lstm" and "dL_dc/0" in trace
    every = _columns(cell, activation, cell_grad)
    columns = [c for c in every if c.key not in hidden] or every
    layers = tuple(l for l in range(L - 1, -1, -1) if layer_key(l) not in hidden) or tuple(range(L - 1, -1, -1))
    structure = (cell, activation, L, cell_grad, tuple(c.key for c in columns), layers)
    b = min(state.sample, trace["loss_mask"].shape[0] - 1)
    T = int(trace["loss_mask"].shape[1])
    H = int(trace["hidden/0"].shape[2])
    data = {(layer, col.key): frozen(_panel_data(trace, col, cell, layer, b))
            for layer in layers for col in columns}
    old = {k: v for k, v in (scales or {}).items() if k[0] == r.id}
    chosen = chosen or {}
    levels, titles, new_scales = [], [], {}
    for col in columns:
        scale = chosen.get(col.key) or cs.Scale(col.quantity.default_mode)
        lv, s = cs.levels(col.quantity, scale, [d for (_, key), d in data.items() if key == col.key],
                          old.get((r.id, col.key)))
        levels.append((col.key, lv))
        titles.append((col.key, cs.label(scale, col.what), scale.mode))
        if s is not None:
            new_scales[(r.id, col.key)] = s
    panels = tuple((layer, col.key, data[(layer, col.key)],
                    frozen(np.log10(np.maximum(np.abs(data[(layer, col.key)]), TINY))) if col.log
                    else data[(layer, col.key)])
                   for layer in layers for col in columns)
    prefix = RunSelector.title_prefix(state, run)
    # the dock is titled "Hidden states" already; a short title fits a narrow dock on one line
    title = f"{prefix}Sample {b} · {cell}, {L} layer{'s' if L > 1 else ''}, H = {H}"
    return HeatmapFrame(structure, T, H, b, panels, tuple(levels), title, tuple(new_scales.items()),
                        tuple(titles))
