"""The unrolled network, laid out like the source text's Figure 1, with the error signal on its edges.

Rows from the bottom: inputs x_t, one row of hidden nodes h^(l)_t per layer, outputs y_t. Edges:
W_xh (up into each layer), W_hh (across time), W_hy (up to the output). Every number is the trace's,
for the selected sample:

- node colour: mean over units of |h_t| on the colour scale chosen in the "Colours" menu
  (``colour_scale``: fixed, 0..1 for tanh-bounded cells and the default there; auto, grow-only from
  a new model's first frame, the default of relu/linear; percentile, 1st-99th of the frame), the mode
  in the node colour bar's title and remembered in the settings,
- W_xh and W_hh edge width and colour: ||dL/dh_t|| of the node the edge enters, i.e. the error sent
  back along it, in whole decades below the largest value drawn; W_hh edges no loss's backward
  window crosses are dotted (cut by truncation),
- W_hy edges and filled output nodes: the steps that carry a loss,
- shaded bands: truncated-BPTT windows (alternating tints); the accent bracket under x_t: how far back
  a loss at the selected step reaches (k2 steps under truncation).

Level of detail (``graph_lod``): the detail plot shows a window of readable steps around the selected
step (it follows the selection; "-"/"+" and the arrows above it zoom and pan, and so do the wheel and
a drag); when the sequence is longer than that window, an overview under it shows every step, binned
(``graph_lod.OVERVIEW_REDUCTIONS``), with the window as a box that can be dragged.

The frame (every number drawn) is resolved in ``graph_frame``; the items of one run live in
``graph_panel``. Compare mode draws every run side by side, on one node-colour scale; the run
selector picks the run whose numbers the CSV export holds.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QToolButton, QWidget

from rnn_viz.ui import colormaps as cm
from rnn_viz.ui.state import ViewState

from . import graph_lod as lod
from .axes import style_axis
from .base import BaseView
from .labels import legend_html, line_key, text_label
from .frames import same
from . import colour_scale as cs
from .graph_frame import (N_BINS, NODE_LEVELS, NODE_SCALE_KEY, GraphFrame, node_colours, node_index,
                          node_quantity, resolve, resolve_runs)
from .graph_panel import GraphPanel, edge_pen
from .runs import RunSelector
from .scale_controls import ScaleButton, ScaleChoices

__all__ = ["UnrolledGraphView", "GraphFrame", "resolve", "resolve_runs", "node_colours", "node_index",
           "node_quantity", "N_BINS", "NODE_LEVELS", "VIEW_NAME"]

MAX_PANELS = 4  # runs drawn side by side; the colour bar's column comes after them
ZOOM_FACTOR = 1.5
VIEW_NAME = "graph"  # the view's name in the settings (the node colours' colour scale)
HINT = "Hover a node for its values · click to select a step · wheel or drag to zoom and pan"


def _bin_name(i: int) -> str:
    sup = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
    top = N_BINS - 1 - i  # decades below the largest
    if i == 0:
        return f"<10{str(-top).translate(sup)}"
    return f"≥10{str(-top - 1).translate(sup)}"


class UnrolledGraphView(BaseView):
    """Figure 1 of the source text, live: activations on nodes, the backward signal on edges."""

    OBJECT_NAME = "unrolledGraphView"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.run_selector = RunSelector("graphRun")
        self.run_selector.changed.connect(self.redraw)
        self.run_selector.box.setToolTip("Compare mode: every run is drawn side by side; this one is "
                                         "the run the CSV export holds")
        self.choices = ScaleChoices(VIEW_NAME, (NODE_SCALE_KEY,))
        self.scale_button = ScaleButton("graphColours", self.choices,
                                        lambda key: self.frame.node_levels if self.frame is not None else None)
        self.scale_button.changed.connect(self._scale_chosen)
        self.layout().insertWidget(0, self._control_bar())
        self.frames: tuple[GraphFrame, ...] = ()
        self._primary = 0
        self._node_scales: dict[str, float] = {}  # run id -> auto node state (a new model: new ids)
        self._T = 0
        self._steps: int | None = None  # steps in the detail window; None: as many as fit
        self._first = 0
        self._selected = 0
        self._syncing = False
        self._legend_key = None
        self._controls = None  # (first, last, steps, T, most steps) the label and buttons show
        self.panels: list[GraphPanel] = []
        self.node_bar = pg.ColorBarItem(values=(0.0, 1.0), colorMap=cm.colormap(cm.UNIT),
                                        interactive=False, width=12, label="node: mean |h_t|")
        for name in ("left", "right"):
            style_axis(self.node_bar.getAxis(name))
        self.canvas.addItem(self.node_bar, row=0, col=MAX_PANELS, rowspan=2)
        self.legend = text_label(size="8pt")
        self.canvas.addItem(self.legend, row=2, col=0, colspan=MAX_PANELS + 1)
        self._panel(0)
        grid = self.canvas.ci.layout
        for row, stretch in ((0, 1), (1, 0), (2, 0)):  # spare height goes to the detail plots
            grid.setRowStretchFactor(row, stretch)
        self.canvas.scene().sigMouseMoved.connect(self._hovered)

    def _control_bar(self) -> QWidget:
        bar = QWidget()
        bar.setObjectName("graphControls")
        row = QHBoxLayout(bar)
        row.setContentsMargins(0, 0, 6, 0)
        row.setSpacing(2)
        row.addWidget(self.run_selector)
        self.window_label = QLabel()
        self.window_label.setObjectName("graphWindow")
        self.window_label.setToolTip("The steps the detail plot shows. It follows the selected step; "
                                     "drag the box in the overview, use the buttons, or the wheel on "
                                     "the graph to move and zoom it.")
        row.addWidget(self.window_label)
        self.buttons = {}
        for name, text, tip, action in (
                ("zoom_out", "−", "Show more steps", lambda: self.zoom(ZOOM_FACTOR)),
                ("zoom_in", "+", "Show fewer steps, larger", lambda: self.zoom(1 / ZOOM_FACTOR)),
                ("back", "◀", "Earlier steps", lambda: self.pan(-1)),
                ("forward", "▶", "Later steps", lambda: self.pan(1))):
            button = QToolButton()
            button.setObjectName(f"graph_{name}")
            button.setText(text)
            button.setToolTip(tip)
            button.setAutoRaise(True)
            button.clicked.connect(action)
            row.addWidget(button)
            self.buttons[name] = button
        self.readout = QLabel(HINT)
        self.readout.setObjectName("graphReadout")
        self.readout.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.readout.setStyleSheet("color: #555555")
        row.addWidget(self.readout, 1)
        row.addWidget(self.scale_button)
        return bar

    def _panel(self, i: int) -> GraphPanel:
        while len(self.panels) <= i:
            panel = GraphPanel(self.canvas.ci, len(self.panels))
            k = len(self.panels)
            self.on_click(panel.detail, lambda x, y, k=k: self._clicked(k, x))
            self.on_click(panel.overview, lambda x, y, k=k: self._clicked(k, x))
            panel.detail.getViewBox().sigXRangeChanged.connect(lambda *_, k=k: self._detail_moved(k))
            panel.region.sigRegionChanged.connect(lambda *_, k=k: self._region_moved(k))
            if k == 0:
                panel.detail.getViewBox().sigResized.connect(self._resized)
            self.panels.append(panel)
        return self.panels[i]

    # -- the node colours' colour scale, remembered in the settings -------------------------------
    def use_settings(self, settings) -> None:
        """Read and from now on keep the node colours' colour scale in ``settings`` (AppSettings)."""
        self.choices.use_settings(settings)
        self.invalidate()
        self.redraw()

    def set_scale(self, scale: cs.Scale) -> None:
        """Colour the nodes on ``scale`` (as the Colours menu does)."""
        self.choices.choose(NODE_SCALE_KEY, scale)
        self._scale_chosen(NODE_SCALE_KEY)

    def _scale_chosen(self, key: str) -> None:
        self._node_scales = {}  # a newly chosen auto scale starts from the frame shown
        self.invalidate()
        self.redraw()

    # -- what the tests and the window read ------------------------------------------------------
    @property
    def primary(self) -> GraphPanel:
        """The panel of the run the selector picked (run A outside compare mode)."""
        return self.panels[self._primary]

    @property
    def plot(self) -> pg.PlotItem:
        return self.primary.detail

    @property
    def overview(self) -> pg.PlotItem:
        return self.primary.overview

    @property
    def window(self) -> tuple[int, int]:
        """(first, last) steps of the detail window, inclusive."""
        return self.primary.window

    @property
    def _L(self) -> int:
        return self.frame.L if self.frame is not None else 0

    @property
    def _node_values(self) -> np.ndarray:
        return self.frame.node_values if self.frame is not None else np.zeros((0, 0))

    # -- drawing ---------------------------------------------------------------------------------
    def _render(self, state: ViewState) -> None:
        run, trace, _ = self.run_selector.select(state)
        if trace is None:
            return
        runs = [r for r in (state.runs if state.compare else state.runs[:1]) if r.trace is not None]
        runs = runs[:MAX_PANELS]
        inputs = (state.sample, run, *[(r.trace, r.config, r.id, r.label) for r in runs])
        if self._inputs is None or not _same_inputs(inputs, self._inputs):
            self._inputs = inputs
            frames, self._node_scales = resolve_runs(state, [r.name for r in runs], self._node_scales,
                                                     self.choices.chosen().get(NODE_SCALE_KEY))
            primary = next(i for i, r in enumerate(runs) if r.name == run) if any(
                r.name == run for r in runs) else 0
            if not (len(frames) == len(self.frames) and all(map(same, frames, self.frames))
                    and primary == self._primary):
                self.frames_applied += 1
                self.apply(frames, primary)
        if self.time_step_changed(state):
            self.select_step(state.time_step)

    def apply(self, frames: tuple["GraphFrame", ...], primary: int = 0) -> None:
        old_T = self._T
        self.frames, self._primary = tuple(frames), primary
        self.frame = frames[primary]
        self._T = max(f.T for f in frames)
        for i, frame in enumerate(frames):
            self._panel(i).apply(frame)
        for i, panel in enumerate(self.panels):
            if i >= len(frames):
                panel.set_visible(False, False)
        lo, hi = self.frame.node_levels
        if (lo, hi) != tuple(self.node_bar.levels()):
            self.node_bar.setLevels((lo, hi))
        axis = self.node_bar.getAxis("left")  # the bar's title side (a label on its value side turns on SI prefixes)
        if axis.labelText != self.frame.node_bar_title:
            axis.setLabel(self.frame.node_bar_title)
        self.scale_button.set_quantities([(NODE_SCALE_KEY, "nodes", self.frame.node_quantity)])
        legend_key = (self.frame.sample, self.frame.bin_size, len(frames) > 1)
        if legend_key != self._legend_key:  # the legend's HTML costs more than the rest of a frame
            self._legend_key = legend_key
            self.legend.setText(_legend(*legend_key))
        if self._T != old_T:
            self._steps = None
            self._first = lod.window_around(self._selected, self._default_steps(), self._T)[0]
        self._show()

    def select_step(self, t: int) -> None:
        """Mark step ``t`` and move the detail window to it when it is not already shown."""
        self._selected = int(t)
        first, last = self.window
        if self._T and not first <= t <= last:
            self._first = lod.window_around(t, self._window_steps(), self._T)[0]
            self._show()
        for panel in self.panels[:len(self.frames)]:
            panel.set_selected(int(t))

    # -- the detail window -----------------------------------------------------------------------
    def _detail_width(self) -> float:
        width = self.panels[0].detail.getViewBox().width()
        if width <= 1:  # not laid out yet: the widget's share of its width
            width = max(self.width() / max(len(self.frames), 1) - 120, 100)
        return width

    def _default_steps(self) -> int:
        return lod.fit_steps(self._detail_width(), self._T) if self._T else 0

    def _window_steps(self) -> int:
        most = lod.max_readable_steps(self._detail_width(), self._T)
        steps = self._default_steps() if self._steps is None else self._steps
        return int(min(max(steps, min(lod.MIN_DETAIL_STEPS, self._T)), max(most, 1)))

    def _show(self, moved: int | None = None) -> None:
        """Apply (first, steps) to every panel, collapse the overview when the window holds every
        step, and say which steps are shown. ``moved``: the panel whose detail plot the user is
        zooming or dragging (its range stays as the mouse put it)."""
        if not self._T or not self.frames:
            return
        steps = self._window_steps()
        first, last = lod.clamp_window(self._first, steps, self._T)
        # a wheel zoom past what stays readable, or a drag past either end, is held at the bound
        clamped = (first, steps) != (self._first, self._steps)
        self._first = first
        binned = steps < self._T
        self._syncing = True
        try:
            for i, (panel, frame) in enumerate(zip(self.panels, self.frames)):
                panel.fit_overview(self.canvas.height())
                panel.set_visible(True, binned)
                panel.show_window(first, min(last, frame.T - 1), set_range=i != moved or clamped)
                panel.set_selected(self._selected)
        finally:
            self._syncing = False
        most = lod.max_readable_steps(self._detail_width(), self._T)
        controls = (first, last, steps, self._T, most)
        if controls == self._controls:  # a new frame in the same window: the label and buttons stay
            return
        self._controls = controls
        self.window_label.setText(f"detail: steps {first}–{last} of {self._T}")
        self.buttons["zoom_out"].setEnabled(steps < most)
        self.buttons["zoom_in"].setEnabled(steps > lod.MIN_DETAIL_STEPS)
        self.buttons["back"].setEnabled(first > 0)
        self.buttons["forward"].setEnabled(last < self._T - 1)

    def zoom(self, factor: float) -> None:
        """Show ``factor`` times as many steps (bounded by what stays readable), about the centre."""
        steps = self._window_steps()
        centre = self._first + steps // 2
        self._steps = int(np.clip(round(steps * factor), lod.MIN_DETAIL_STEPS,
                                  lod.max_readable_steps(self._detail_width(), self._T)))
        if self._steps == steps:  # rounding kept it: move by one step at least
            self._steps = steps + (1 if factor > 1 else -1)
        self._first = centre - self._window_steps() // 2
        self._show()

    def pan(self, direction: int) -> None:
        """Move the window half its width earlier (-1) or later (+1)."""
        self._first += direction * max(self._window_steps() // 2, 1)
        self._show()

    def _detail_moved(self, k: int) -> None:
        if self._syncing or not self.frames or k >= len(self.frames):
            return
        x0, x1 = self.panels[k].detail.getViewBox().viewRange()[0]
        self._steps = max(int(round(x1 - x0)), 1)
        self._first = int(np.floor(x0 + 0.5 + 1e-9))
        self._show(moved=k)

    def _region_moved(self, k: int) -> None:
        if self._syncing or not self.frames:
            return
        lo, hi = self.panels[k].region.getRegion()
        self._steps = max(int(round(hi - lo)), 1)
        self._first = int(round(lo + 0.5))
        self._show()

    def _resized(self, *_) -> None:
        if self.frames and not self._syncing:
            self._show()

    # -- interaction -----------------------------------------------------------------------------
    def _clicked(self, k: int, x: float) -> None:
        if k < len(self.frames):
            self.emit_step(x, self.frames[k].T)

    def apply_export_mode(self, on: bool) -> None:
        self.readout.setText("" if on else HINT)
        self.readout.setVisible(not on)

    def hover_text(self, t: int, row: int, k: int | None = None) -> str:
        """The values at node (t, row) of run panel ``k`` (the primary's by default); row 0 = x_t,
        1..L = layers, L+1 = y_t."""
        f = self.frames[self._primary if k is None else k] if self.frames else None
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

    def overview_text(self, column: int, layer: int, k: int | None = None) -> str:
        """What overview column ``column`` of layer ``layer`` holds (the reductions of graph_lod)."""
        f = self.frames[self._primary if k is None else k] if self.frames else None
        if f is None or not (0 <= column < f.overview_bins and 0 <= layer < f.L):
            return ""
        first = column * f.bin_size
        last = min(first + f.bin_size, f.T) - 1
        return (f"layer {layer}, steps {first}–{last}: mean of mean |h_t| = "
                f"{f.overview_nodes[layer, column]:.3g}, max ||dL/dh_t|| = {f.overview_grad[layer, column]:.3g}")

    def _hovered(self, pos) -> None:
        if self.export_mode:
            return
        text = ""
        for k, panel in enumerate(self.panels[:len(self.frames)]):
            if panel.detail.isVisible() and panel.detail.getViewBox().sceneBoundingRect().contains(pos):
                p = panel.detail.getViewBox().mapSceneToView(pos)
                t, row = int(round(p.x())), int(round(p.y()))
                text = self.hover_text(t, row, k) if abs(p.y() - row) < 0.3 else ""
            elif panel.overview.isVisible() and panel.overview.getViewBox().sceneBoundingRect().contains(pos):
                p = panel.overview.getViewBox().mapSceneToView(pos)
                f = self.frames[k]
                text = self.overview_text(int((p.x() + 0.5) // f.bin_size), int(np.floor(p.y())), k)
            else:
                continue
            break
        self.readout.setText(text or HINT)

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.frames and self._steps is None:
            self._show()

    def _csv_table(self) -> tuple[list[str], np.ndarray]:
        f = self.frame
        if f is None:
            return ["t"], np.zeros((0, 1))
        cols = ["t", "loss_step", "window_start"]
        cols += [f"mean_abs_h/{l}" for l in range(f.L)] + [f"dL_dh_norm_sample/{l}" for l in range(f.L)]
        rows = np.column_stack([np.arange(f.T), f.loss_at, f.window_start, f.node_values.T,
                                f.grad.T]).astype(np.float64)
        return cols, rows


def _primary_item(name: str) -> property:
    return property(lambda self: getattr(self.primary, name),
                    doc=f"The primary panel's ``{name}`` (GraphPanel).")


# The primary run's items read as the view's own (what tests and the window inspect).
for _name in ("edge_items", "cut_item", "silent_item", "reach_item", "_window_paths", "nodes", "input_nodes",
              "hidden_nodes", "output_nodes", "loss_edge_item", "plain_edge_item", "selection",
              "strips", "region", "reach_of_selected", "overview_reach"):
    setattr(UnrolledGraphView, _name, _primary_item(_name))
del _name


def _same_inputs(a: tuple, b: tuple) -> bool:
    if len(a) != len(b) or a[:2] != b[:2]:
        return False
    return all(len(x) == len(y) and all(p is q or (isinstance(p, str) and p == q) for p, q in zip(x, y))
               for x, y in zip(a[2:], b[2:]))


def _legend(sample: int, bin_size: int, compare: bool = False) -> str:
    """One line: the edge colours by decade, cut and loss edges, the reach bracket, the overview."""
    entries = [(line_key(edge_pen(i)), _bin_name(i)) for i in reversed(range(N_BINS))]
    legend = ("edge ||dL/dh_t|| ÷ max: " + legend_html(entries) + " &nbsp;&nbsp; "
              + legend_html([(line_key(pg.mkPen("#888888", style=Qt.PenStyle.DotLine)), "cut"),
                             (line_key(pg.mkPen(cm.FOREGROUND)), "loss"),
                             (line_key(pg.mkPen(cm.ACCENT)), "reach of t")]))
    if bin_size > 1:
        legend += (f" &nbsp;&nbsp; overview:&nbsp;{bin_size}&nbsp;steps/column, "
                   "max&nbsp;||dL/dh_t||, mean&nbsp;|h_t|")
    return (f"sample {sample} &nbsp;&nbsp; " if compare else "") + legend
