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

import html
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy, QToolButton

from rnn_viz.engine.cell_kinds import CELL_KINDS
from rnn_viz.ui import colormaps as cm
from rnn_viz.ui.state import ViewState

from . import colour_scale as cs
from . import readouts as ro
from .frames import frozen, same
from .base import BaseView
from .heatmap_grid import HeatmapGrid
from .runs import RunSelector
from .scale_controls import PanelButton, ScaleButton, ScaleChoices, controls_row

__all__ = ["HiddenStateView", "HeatmapFrame", "resolve"]

# the rows of the "gates" column of each gated cell (the grids label their blocks with these)
SIGMOID_GATES = {name: kind.sigmoid_gates for name, kind in CELL_KINDS.items() if kind.gated}
DC_DECADES = 8
TINY = 1e-300  # |dL/dc| of exactly 0 (no path) takes the lowest colour


COLUMN_KEYS = ("hidden", "cell", "dc", "gates", "candidate")
VIEW_NAME = "heatmaps"  # the view's name in the settings (colour scales, hidden panels)
# A column of panels needs this many pixels: a plot area of at least 150 px (the legibility rule of
# issue 9, checked by tests/ui/test_layouts_screens.py), its axis and the spacing between columns.
# Compare mode shows the runs side by side only where they fit, and a narrower view leaves out
# columns (first the LSTM's dL/dc, then the candidate, the gates) and says so, rather than cutting them
# off at the dock's edge.
MIN_COLUMN_PX = 210
# Likewise a row of panels (a layer) needs MIN_ROW_PX, besides ROWS_OVERHEAD_PX for the titles, the
# time axis, the colour bars and the controls row: a shorter view leaves out the lower layers.
MIN_ROW_PX = 160
ROWS_OVERHEAD_PX = 170
DROP_ORDER = ("dc", "candidate", "gates", "cell")
SIDE_TIP = ("Compare mode: every run's panels side by side (on) or the run chosen in the selector "
            "(off); remembered")


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


def _columns(cell: str, hidden: str, cell_grad: bool = False) -> list[_Column]:
    """``hidden``: h_t's nonlinearity, a key of the engine's OUTPUT_RANGES (readouts.hidden_nonlinearity)."""
    kind = CELL_KINDS[cell]
    h_map = cm.UNIT if cs.Quantity.of(hidden).value_range[0] >= 0 else cm.SIGNED
    cols = [_Column("hidden", "h_t", "", cs.Quantity.of(hidden), h_map)]
    if kind.cell_state:
        cols.append(_Column("cell", "c_t", "", cs.Quantity.of("linear"), cm.SIGNED))
        if cell_grad:
            cols.append(_Column("dc", "|dL/dc_t|", "log10", cs.Quantity.log(DC_DECADES), cm.MAGNITUDE))
    if kind.gated:
        # short titles: a column can be 80 px wide; the gate names label the gates' rows
        cols.append(_Column("gates", "gates", "", cs.Quantity.of("sigmoid"), cm.UNIT))
        cols.append(_Column("candidate", f"{kind.candidate}_t", "", cs.Quantity.of("tanh"), cm.SIGNED))
    return cols


def _panel_data(trace, column: _Column, cell: str, layer: int, b: int) -> np.ndarray:
    """(rows, T) image of one panel for sample b: units (or gate units) down, time across."""
    if column.key == "hidden":
        return np.asarray(trace[f"hidden/{layer}"][b]).T
    if column.key == "cell":
        return np.asarray(trace[f"cell/{layer}"][b]).T
    if column.key == "dc":
        return np.asarray(trace[f"dL_dc/{layer}"][b]).T
    kind = CELL_KINDS[cell]
    gates = np.asarray(trace[f"gates/{layer}"][b])
    H = gates.shape[1] // kind.blocks
    if column.key == "candidate":
        g = kind.block(kind.candidate)
        return gates[:, g * H:(g + 1) * H].T
    idx = [kind.block(name) for name in kind.sigmoid_gates]
    return np.concatenate([gates[:, g * H:(g + 1) * H] for g in idx], axis=1).T


def _row_names(column: _Column, cell: str, H: int) -> list[str]:
    if column.key == "gates":
        return [f"{g}[{u}]" for g in CELL_KINDS[cell].sigmoid_gates for u in range(H)]
    if column.key == "candidate":
        return [f"{CELL_KINDS[cell].candidate}[{u}]" for u in range(H)]
    return [f"[{u}]" for u in range(H)]


class HiddenStateView(BaseView):
    """Activations of the selected sample as time x unit images, one panel per layer and quantity;
    in compare mode the runs side by side (one grid each) or, with "Side by side" off, the run
    chosen in the selector."""

    OBJECT_NAME = "hiddenStateView"

    def __init__(self, parent=None):
        super().__init__(parent)
        # Auto scales per (run id, column): a new model (new run ids) or another run starts afresh.
        self._scales: dict[tuple[str, str], float] = {}
        self.grids: list[HeatmapGrid] = []
        self._settings = None
        self.choices = ScaleChoices(VIEW_NAME, COLUMN_KEYS)
        self.hidden_panels: set[str] = set()
        self.side_by_side = True
        self.run_selector = RunSelector("heatmapRun")
        self.run_selector.changed.connect(self.redraw)
        self.side_button = QToolButton()
        self.side_button.setObjectName("heatmapSideBySide")
        self.side_button.setText("Side by side")
        self.side_button.setCheckable(True)
        self.side_button.setChecked(True)
        self.side_button.setAutoRaise(True)
        self.side_button.setToolTip(SIDE_TIP)
        self._fitted: tuple[bool, int, int] | None = None  # (side by side, most columns, rows) last drawn
        self.side_button.setVisible(False)
        self.side_button.toggled.connect(self.set_side_by_side)
        self.panel_button = PanelButton("heatmapPanels")
        self.panel_button.changed.connect(self.set_hidden_panels)
        self.scale_button = ScaleButton("heatmapColours", self.choices, self._levels_of)
        self.scale_button.changed.connect(self._scale_chosen)
        # The hover readout sits in the controls row: in the canvas it took a line of plot height.
        self.readout = QLabel("")
        self.readout.setObjectName("heatmapReadout")
        self.readout.setMinimumWidth(0)
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.layout().insertWidget(0, controls_row(self.run_selector, self.readout, self.side_button,
                                                   self.panel_button, self.scale_button))
        self._set_grid_count(1)
        self.canvas.scene().sigMouseMoved.connect(self._hovered)

    # -- what the tests and the window read: run A's (or the shown run's) grid -----------------
    @property
    def title(self):
        return self.grids[0].title

    @property
    def _panels(self) -> list:
        return [p for g in self.grids for p in g.panels]

    @property
    def _bars(self) -> dict:
        return self.grids[0].bars

    @property
    def _data(self) -> dict:
        return self.grids[0].data

    @property
    def _lines(self) -> list:
        return [line for g in self.grids for line in g.lines]

    @property
    def _T(self) -> int:
        return self.grids[0].T

    # -- choices (colour scales, shown panels, side by side), remembered in the settings --------
    def use_settings(self, settings) -> None:
        """Read and from now on keep the colour scales, hidden panels and side-by-side choice in
        ``settings`` (AppSettings)."""
        self._settings = settings
        self.choices.use_settings(settings)
        self.hidden_panels = settings.hidden_panels(VIEW_NAME)
        self.side_by_side = settings.side_by_side(VIEW_NAME)
        self.side_button.blockSignals(True)
        self.side_button.setChecked(self.side_by_side)
        self.side_button.blockSignals(False)
        self.invalidate()
        self.redraw()

    def set_hidden_panels(self, keys) -> None:
        """Hide the columns ``keys`` (COLUMN_KEYS) and layers (``layer_key``), show the others."""
        self.hidden_panels = set(keys)
        if self._settings is not None:
            self._settings.set_hidden_panels(VIEW_NAME, self.hidden_panels)
        self.invalidate()
        self.redraw()

    def set_side_by_side(self, on: bool) -> None:
        self.side_by_side = bool(on)
        if self.side_button.isChecked() != self.side_by_side:
            self.side_button.setChecked(self.side_by_side)
        if self._settings is not None:
            self._settings.set_side_by_side(VIEW_NAME, self.side_by_side)
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

    # -- structure -----------------------------------------------------------------------------
    def _set_grid_count(self, n: int) -> None:
        """One grid per run drawn (built by _build_grids)."""
        while len(self.grids) < n:
            self.grids.append(HeatmapGrid(self.canvas.ci, _columns, self._register, SIGMOID_GATES, _row_names))
        del self.grids[n:]

    def _build_grids(self, structures) -> None:
        """Lay the grids out side by side in the one canvas layout, so their rows line up."""
        self.canvas.clear()
        self._click_targets.clear()
        rows = max(len(st[5]) for st in structures)
        col0 = 0
        for grid, structure in zip(self.grids, structures):
            grid.build(structure, col0, rows)
            col0 += len(grid.columns(structure))
        for c in range(col0):  # every column the same share of the width, whatever its axis holds
            self.canvas.ci.layout.setColumnStretchFactor(c, 1)
        self._time_step = None

    def _register(self, plot: pg.PlotItem) -> None:
        self.on_click(plot, lambda x, y: self.emit_step(x, self._T))

    def _sync_menus(self, frames) -> None:
        every, layers_of = {}, 0
        for frame in frames:
            cell, activation, L, cell_grad, shown, _ = frame.structure
            for c in _columns(cell, activation, cell_grad):
                every.setdefault(c.key, c)
            layers_of = max(layers_of, L)
        every = [every[k] for k in COLUMN_KEYS if k in every]
        shown = {k for f in frames for k in f.structure[4]}
        layers = [(layer_key(l), f"layer {l}") for l in range(layers_of - 1, -1, -1)] if layers_of > 1 else []
        self.panel_button.set_panels([(c.key, c.title) for c in every], self.hidden_panels, layers)
        self.scale_button.set_quantities([(c.key, c.title, c.quantity) for c in every if c.key in shown])

    # -- drawing -------------------------------------------------------------------------------
    def _fit(self, state: ViewState, width: int, height: int) -> tuple[bool, int, int]:
        """(whether the runs sit side by side, at most how many columns a grid has, at most how many
        layers) at ``width`` x ``height``."""
        max_columns = max(1, width // MIN_COLUMN_PX)
        max_rows = max(1, (height - ROWS_OVERHEAD_PX) // MIN_ROW_PX)
        if state.compare and self.side_by_side:
            runs = [r.name for r in state.runs if r.trace is not None]
            if sum(_column_count(state, r, self.hidden_panels) for r in runs) <= max_columns:
                return True, max_columns, max_rows
        return False, max_columns, max_rows

    def _runs(self, state: ViewState) -> list[str]:
        """The runs to draw: every run with a trace side by side if chosen and they fit, else the one
        chosen in the selector."""
        self._fitted = self._fit(state, self.width(), self.height())
        side = self._fitted[0]
        # side by side every run is drawn: no selector (not shown and hidden again every frame)
        run, trace, _ = self.run_selector.select(state, shown=state.compare and not side)
        self.side_button.setVisible(state.compare)
        if state.compare and self.side_by_side:
            self.side_button.setToolTip(SIDE_TIP if side else SIDE_TIP + ". Now one at a time: the runs' "
                                        "columns need more width (hide some in the Panels menu)")
        if side:
            return [r.name for r in state.runs if r.trace is not None]
        return [run] if trace is not None else []

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        state = self._last_state
        size = event.size()
        if state is not None and self._fitted is not None and \
                self._fit(state, size.width(), size.height()) != self._fitted:
            self.invalidate()  # the width decides the columns shown and whether runs sit side by side
            self.redraw()

    def _render(self, state: ViewState) -> None:
        runs = self._runs(state)
        if not runs:
            return
        inputs = (state.sample, *[(state.run(n).trace, state.run(n).config, state.run(n).id,
                                   RunSelector.title_prefix(state, n)) for n in runs])
        if self._inputs is None or len(inputs) != len(self._inputs) or any(
                not _same_inputs(a, b) for a, b in zip(inputs, self._inputs)):
            self._inputs = inputs
            frames, scales = [], {}
            for name in runs:
                frame = resolve(state, name, self._scales, self.choices.chosen(), self.hidden_panels,
                                compact=len(runs) > 1, max_columns=self._fitted[1], max_rows=self._fitted[2])
                frames.append(frame)
                scales.update(frame.scales)
            self._scales = scales
            self._show(frames)
        if self.time_step_changed(state):
            for grid in self.grids:
                grid.set_time_step(state.time_step)

    def apply(self, frame: "HeatmapFrame") -> None:
        """Draw one run's frame (single-run mode)."""
        self._show([frame])

    def _show(self, frames) -> None:
        """Draw one frame per grid; build the grids again when the runs or their panels changed."""
        structures = [f.structure for f in frames]
        if len(frames) != len(self.grids) or structures != [g.structure for g in self.grids]:
            self._set_grid_count(len(frames))
            self._build_grids(structures)
        changed = [(g, f) for g, f in zip(self.grids, frames) if g.frame is None or not same(f, g.frame)]
        if changed:
            self.frames_applied += 1
            for grid, frame in changed:
                grid.apply(frame)
            self._sync_menus(frames)
        self.frame = self.grids[0].frame

    # -- interaction ---------------------------------------------------------------------------
    def value_at(self, layer: int, key: str, t: int, row: int) -> float:
        """The drawn value of panel (layer, key) of the first grid at time step t and image row ``row``."""
        return float(self._data[(layer, key)][row, t])

    def _hovered(self, pos) -> None:
        for grid in self.grids:
            text = grid.hovered(pos)
            if text is not None:
                if len(self.grids) > 1:
                    text = f"{grid.frame.title.split(':')[0]}: {text}"
                # an explicit ellipsis where the row is too narrow, never a silent cut
                metrics = self.readout.fontMetrics()
                self.readout.setText(metrics.elidedText(text, Qt.TextElideMode.ElideRight,
                                                        max(self.readout.width(), 20)))
                self.readout.setToolTip(text)
                return
        self.readout.setText("")

    def _csv_table(self) -> tuple[list[str], np.ndarray]:
        """The first grid's values (run A in side by side, else the run chosen)."""
        return self.grids[0].table()


def _fitting(columns: list, max_columns: int | None) -> list:
    """``columns`` without the first of DROP_ORDER until at most ``max_columns`` (at least 1) remain."""
    if max_columns is None:
        return columns
    for key in DROP_ORDER:
        if len(columns) <= max(1, max_columns):
            break
        columns = [c for c in columns if c.key != key] or columns
    return columns


def _column_count(state: ViewState, run: str, hidden) -> int:
    """How many columns of panels run ``run`` shows (as resolve() would build them)."""
    trace = state.run(run).trace
    cell = ro.cell_kind(trace)
    every = _columns(cell, ro.hidden_nonlinearity(state, run), CELL_KINDS[cell].cell_state and "dL_dc/0" in trace)
    return len([c for c in every if c.key not in hidden] or every)


def _same_inputs(a, b) -> bool:
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(x is y or (isinstance(x, str) and x == y) for x, y in zip(a, b))
    return a == b


@dataclass(frozen=True, slots=True)
class HeatmapFrame:
    """What the view draws for one run and sample. ``structure``: (cell, h_t's nonlinearity (an
    OUTPUT_RANGES key), layers, has dL/dc, shown column keys, shown layers top first), which decides
    the panels; ``panels``: (layer, column key, (rows, T) values, (rows, T) image as drawn: log10
    |value| for a log column); ``levels``: (column key, (lo, hi)); ``bar_titles``: (column key,
    colour bar title naming its mode, the mode); ``scales``: ((run id, column key), auto state) of
    the auto columns after this frame."""

    structure: tuple[str, str, int, bool, tuple[str, ...], tuple[int, ...]]
    T: int
    H: int
    sample: int
    panels: tuple[tuple[int, str, np.ndarray, np.ndarray], ...]
    levels: tuple[tuple[str, tuple[float, float]], ...]
    title: str
    scales: tuple[tuple[tuple[str, str], float], ...]
    bar_titles: tuple[tuple[str, str, str], ...] = ()


def resolve(state: ViewState, run: str = "A", scales=None, chosen=None, hidden=(),
            compact: bool = False, max_columns: int | None = None, max_rows: int | None = None
            ) -> HeatmapFrame | None:
    """Pure: the frame of run ``run`` of ``state`` for the selected sample (None without a
    trace). ``scales``: {(run id, column key): auto state} reached so far; only this run's entries
    count (another run id, e.g. a new model's, starts afresh). ``chosen``: {column key:
    colour_scale.Scale} the user's choices (others: the quantity's default mode); ``hidden``: the
    column keys and ``layer_key(l)`` of the layers not to draw (all columns or all layers hidden:
    all of them are drawn); ``compact``: a short title, for a grid beside another run's;
    ``max_columns``: at most this many columns (the view's width), the others left out in the order
    of ``DROP_ORDER``; ``max_rows``: at most this many layers (the view's height), the top ones."""
    r = state.run(run)
    trace = r.trace
    if trace is None:
        return None
    cell = ro.cell_kind(trace)
    activation = ro.hidden_nonlinearity(state, run)
    L = ro.layer_count(trace)
    cell_grad = CELL_KINDS[cell].cell_state and "dL_dc/0" in trace
    every = _columns(cell, activation, cell_grad)
    wanted = [c for c in every if c.key not in hidden] or every
    columns = _fitting(wanted, max_columns)
    wanted_layers = tuple(l for l in range(L - 1, -1, -1) if layer_key(l) not in hidden) or tuple(range(L - 1, -1, -1))
    layers = wanted_layers[:max(1, max_rows)] if max_rows is not None else wanted_layers
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
    if compact:  # beside another run's grid: one short line (the panels show the cell, layers, units)
        title = f"Run {r.name}: {html.escape(r.label)}"
    if len(columns) < len(wanted):  # in the title, which wraps between words in a narrow view
        n = len(wanted) - len(columns)
        title += f" · {n} panel{'s' if n > 1 else ''} left out: too narrow"
    if len(layers) < len(wanted_layers):
        n = len(wanted_layers) - len(layers)
        title += f" · {n} layer{'s' if n > 1 else ''} left out: too short"
    return HeatmapFrame(structure, T, H, b, panels, tuple(levels), title, tuple(new_scales.items()),
                        tuple(titles))
