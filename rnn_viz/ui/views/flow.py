"""The gradient-flow matrix F[t, k] = ||dL_t/dh_k|| and the Jacobian chain behind one of its cells.

The matrix (flow_matrix.MatrixPanel, frame: flow_frame.resolve_flow): log10 F of one layer for the
trace's flow sample, loss step t down, source step k across, so the populated part is the lower
triangle. Grey = no path (k > t, cut by truncation, or no loss at t); under truncated BPTT the cut
shows as a band, outlined where each row's window starts. Colours span the 8 decades below the
decade above the largest entry. Cells stay square and as large as the view allows (flow_layout);
a click snaps to the cell under the pointer, the bar names it (t, k and F there), the arrow keys
move it, the wheel or a dragged box zooms (Reset zoom, or a double click, shows it all). In
compare mode the runs' matrices stand side by side on one colour scale (only the chosen run's in
a view where both would leave a plot under 150 px); a view too small even for that scrolls.

The chain (flow_chain, for the cell last picked; k follows the selected time step): the step
Jacobian norms ||dh_s/dh_{s-1}|| along the path, their running product from h_t back (the bound of
``analysis.jacobian_chain``) and the actual ratio F[t, j] / F[t, t] it bounds, on a log axis that
covers all three, below the matrices or beside them in a wide, low view.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QSizePolicy, QStyle, QToolButton

from rnn_viz.ui import colormaps as cm
from rnn_viz.ui.state import ViewState

from .frames import same
from .axes import style_axis
from .base import BaseView
from .labels import text_label
from .flow_chain import ChainFrame, ChainPlot, resolve_chain
from .flow_frame import DECADES, NO_PATH, FlowFrame, resolve_flow, same_flow, shared_top
from .flow_layout import SPACING, Fit, Geometry, fit_layout, minimum_canvas
from .flow_matrix import MatrixPanel, clamp_cell, nudge_cell, snap_cell
from .runs import RunSelector

__all__ = ["FlowMatrixView", "FlowFrame", "ChainFrame", "resolve", "resolve_flow", "resolve_chain", "shared_top",
           "snap_cell", "nudge_cell", "clamp_cell", "DECADES", "HINT"]

NO_PATH_COLOR = (217, 217, 217, 255)
TIP = ("F[t, k] = ||dL_t/dh_k||: how much of the loss at step t (row) reaches the hidden state at "
       "step k (column), for one sample and the layer chosen above. Grey: no path.")
# Addressed to someone at the screen: left out of exports (set_export_mode).
HINT = "Click a cell to inspect it, arrow keys move it; wheel or a dragged box zooms."
RUN_TIP = ("Compare mode: the run whose Jacobian chain and CSV table the view shows (clicking a cell "
           "of either matrix picks its run)")
REFITS = 3  # measure-and-fit passes after a change (titles wrap anew, then settle)
CLICK_SLACK = 4  # px outside the matrix a click still picks the edge cell
PLOT_MARGIN = 10.0  # px a plot keeps around its axes and data area
CHAIN_TITLE = 24.0  # the chain's title and legend: one line when the chain is below the matrices
ARROWS = {Qt.Key.Key_Left: "left", Qt.Key.Key_Right: "right", Qt.Key.Key_Up: "up", Qt.Key.Key_Down: "down"}


def _flow_lut() -> np.ndarray:
    """(256, 4) uint8: 255 steps of the magnitude map, then grey for "no path"."""
    table = np.empty((256, 4), dtype=np.uint8)
    table[:NO_PATH] = cm.lookup_table(cm.MAGNITUDE, NO_PATH)
    table[NO_PATH] = NO_PATH_COLOR
    return table


class FlowMatrixView(BaseView):
    """F[t, k] as a log-colour lower-triangular image (one per run, side by side in compare mode),
    with the Jacobian-chain inspector of the selected cell beside or below."""

    OBJECT_NAME = "flowMatrixView"
    DRAWS_HEAVY = True

    def __init__(self, parent=None):
        super().__init__(parent)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 2, 6, 0)
        bar.addWidget(QLabel("layer"))
        self.layer_box = QComboBox()
        self.layer_box.setObjectName("flowLayer")
        self.layer_box.setToolTip("Which layer's flow matrix and Jacobian chain to show")
        self.layer_box.addItem("0", 0)
        self.layer_box.currentIndexChanged.connect(self._layer_changed)
        bar.addWidget(self.layer_box)
        self.run_selector = RunSelector("flowRun")
        self.run_selector.box.setToolTip(RUN_TIP)
        self.run_selector.box.setMaximumWidth(170)  # leave the bar room for the selected cell
        self.run_selector.changed.connect(self.redraw)
        bar.addWidget(self.run_selector)
        self.cell_label = QLabel("")
        self.cell_label.setObjectName("flowCell")
        self.cell_label.setToolTip("The selected cell (loss step t, source step k) and F there: click one, "
                                   "or move it with the arrow keys (Shift: 10 steps)")
        # it may be cut in a narrow dock rather than widen the view past it
        self.cell_label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.cell_label.setMinimumWidth(40)
        bar.addWidget(self.cell_label, 1)
        self.reset_button = QToolButton()
        self.reset_button.setObjectName("flowResetZoom")
        self.reset_button.setText("Reset zoom")
        self.reset_button.setToolTip("Show the whole matrix again (or double-click it). Zoom with the wheel, "
                                     "or drag a box over the cells to look at")
        self.reset_button.setEnabled(False)
        self.reset_button.clicked.connect(self.reset_zoom)
        bar.addWidget(self.reset_button)
        self.layout().insertLayout(0, bar)

        ci = self.canvas.ci
        self.matrix_row = ci.addLayout(row=0, col=0)
        self.matrix_row.setContentsMargins(0, 0, 0, 0)
        for grid in (ci, self.matrix_row):  # the spacing fit_layout counts with
            grid.setSpacing(SPACING)
        self._lut = _flow_lut()
        self.panels: list[MatrixPanel] = []
        self._shown: list[int] = []  # the panels in the layout, left to right
        self.color_bar = pg.ColorBarItem(values=(-DECADES, 0), colorMap=cm.colormap(cm.MAGNITUDE),
                                         interactive=False, width=12, label="log10 F[t, k]")
        for name in ("left", "right", "top", "bottom"):
            style_axis(self.color_bar.getAxis(name))
        self._add_panels(1)
        self.chain = ChainPlot(self, ci, row=1, col=0)
        self.explanation = text_label(size="8pt")
        self.chain_text = text_label(size="8pt")
        ci.addItem(self.explanation, row=2, col=0)
        ci.addItem(self.chain_text, row=3, col=0)
        self._beside = False  # the chain plot right of the matrices (a wide, low view) or below them
        self._one_panel = False  # compare mode in a view too small for the runs side by side
        self._one_panel_at: tuple | None = None  # (width, height, runs) it was chosen at
        self._fitting = False
        self._fitted = None  # (beside, matrix width, matrix height) last set
        self._fit_read: tuple | None = None  # what the last fit read (_fit_inputs)
        self._refit_timer = QTimer(self)  # a child: it dies with the view, never fires into a deleted one
        self._refit_timer.setSingleShot(True)
        self._refit_timer.setInterval(0)
        self._refit_timer.timeout.connect(self._refit)
        self._refits = 0
        self._refitting = False  # inside _refit: a change there takes one of its passes, not new ones
        self._export_size: tuple[float, float] | None = None  # the layout's size while exported
        self._scroll_at: tuple | None = None  # (room the dock gave, canvas minimum set for it)
        self.canvas.scene().sigMouseClicked.connect(self._double_clicked)
        self.canvas.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.canvas.installEventFilter(self)  # arrow keys; resizes inside the scroll area (_fit)

        self._heavy: dict[str, object] = {}  # per run id: its last trace with the heavy keys
        self._sources: tuple | None = None   # ((trace, prefix), ...) and layer the frames were resolved from
        self.flow_frames: tuple[FlowFrame, ...] = ()
        self.chain_frame: ChainFrame | None = None
        self._chain_of: tuple | None = None  # (flow frame, row, col, its chain frame) last resolved
        self._runs: tuple[str, ...] = ("A",)  # the run each panel draws
        self._inspected = 0           # the panel whose cell the chain shows
        self._layer = 0
        self._row: int | None = None  # t of the inspected cell; None = the last loss step
        self._col = 0                 # k of the inspected cell
        self._explanation = ""

    # -- what tests and exporters read -----------------------------------------------------------
    @property
    def flow_frame(self) -> FlowFrame | None:
        """The frame of the inspected run (run A outside compare mode)."""
        return self.flow_frames[self._inspected] if self._inspected < len(self.flow_frames) else None

    @property
    def panel(self) -> MatrixPanel:
        return self.panels[min(self._inspected, len(self.panels) - 1)]

    plot = property(lambda self: self.panel.plot, doc="The inspected run's matrix plot.")
    image = property(lambda self: self.panel.image)
    band = property(lambda self: self.panel.band)
    cell_mark = property(lambda self: self.panel.cell_mark)
    chain_plot = property(lambda self: self.chain.plot)
    factors_item = property(lambda self: self.chain.factors_item)
    bound_item = property(lambda self: self.chain.bound_item)
    actual_item = property(lambda self: self.chain.actual_item)

    @property
    def log_flow(self) -> np.ndarray | None:
        """(T, T) log10 F, NaN where F = 0: what the inspected run's image shows."""
        frame = self.flow_frame
        return frame.log_flow if frame is not None else None

    @property
    def inspected(self) -> dict[str, object]:
        return dict(self.chain_frame.inspected) if self.chain_frame is not None else {}

    @property
    def selected_cell(self) -> tuple[int, int] | None:
        """(t, k) of the inspected cell, or None."""
        return self.chain_frame.cell if self.chain_frame is not None else None

    # -- building --------------------------------------------------------------------------------
    def _add_panels(self, n: int) -> None:
        """Grow to ``n`` matrix plots (created once: a compare run adds its own the first time)."""
        if len(self.panels) >= n:
            return
        while len(self.panels) < n:
            # a later run's plot is made in a free cell and taken out at once: _show_panels places it
            panel = MatrixPanel(self.matrix_row, 0 if not self.panels else 100 + len(self.panels), self._lut)
            if self.panels:
                self.matrix_row.removeItem(panel.plot)
                panel.plot.setVisible(False)
            index = len(self.panels)
            self.on_click(panel.plot, lambda x, y, i=index: self._cell_clicked(i, x, y))
            vb = panel.plot.getViewBox()
            vb.sigRangeChanged.connect(self._range_changed)
            # The runs zoom together (the same cells side by side), copied only after a user's zoom:
            # pyqtgraph's axis links widen aspect-locked ranges back and forth as the plots resize.
            vb.sigRangeChangedManually.connect(lambda *_, i=index: self._zoom_like(i))
            self.panels.append(panel)
        if len(self.panels) == 1:
            self.matrix_row.addItem(self.color_bar, row=0, col=1)
            self._shown = [0]

    def _show_panels(self, n: int) -> None:
        """Show the first ``n`` matrices, or only the inspected run's in a view too small for n. A
        hidden plot leaves the layout (there it would keep its minimum width)."""
        self._add_panels(n)
        shown = [self._inspected] if self._one_panel and n > 1 else list(range(n))
        if shown == self._shown:
            return
        for item in [self.panels[i].plot for i in self._shown] + [self.color_bar]:
            self.matrix_row.removeItem(item)
        for i, panel in enumerate(self.panels):
            panel.plot.setVisible(i in shown)
        for col, i in enumerate(shown):
            self.matrix_row.addItem(self.panels[i].plot, row=0, col=col)
        self.matrix_row.addItem(self.color_bar, row=0, col=len(shown))
        self._shown = shown

    @property
    def shown_panels(self) -> list[MatrixPanel]:
        return [self.panels[i] for i in self._shown]

    # -- drawing -------------------------------------------------------------------------------
    def _render(self, state: ViewState) -> None:
        chosen = self.run_selector.sync(state)
        # Keep only the runs of this state (a later compare run, or a new model, is a new run).
        self._heavy = {r.id: self._heavy[r.id] for r in state.runs if r.id in self._heavy}
        for r in state.runs:
            if r.trace is not None and ("flow/0" in r.trace or "flow_window/0" in r.trace):
                self._heavy[r.id] = r.trace
        if state.run(chosen).trace is None:
            return
        runs = state.runs if state.compare else state.runs[:1]
        self._runs = tuple(r.name for r in runs)
        self._inspected = self._runs.index(state.run(chosen).name)
        if self.flow_frames:
            self._show_panels(len(self._runs))  # the run chosen in a view showing only one
            self._show_explanation()
        # a run that has not sent a flow matrix yet shows nothing rather than another run's
        sources = tuple((self._heavy.get(r.id, r.trace or {}), RunSelector.title_prefix(state, r.name))
                        for r in runs)
        if self.time_step_changed(state):
            for panel in self.panels:
                panel.selection.setValue(state.time_step)
            self._col = state.time_step
        self._update(sources)

    def _update(self, sources: tuple) -> None:
        """Resolve the matrices when a source changed, the chain always (both cheap to compare);
        apply each only when it differs from what is drawn."""
        key = (sources, self._layer)
        if self._sources is None or not _same_sources(key, self._sources):
            self._sources = key
            # one run: its own scale, the same number resolve_flow finds without a second pass
            top = shared_top([trace for trace, _ in sources], self._layer) if len(sources) > 1 else None
            frames = tuple(resolve_flow(trace, self._layer, prefix, top=top) for trace, prefix in sources)
            if len(frames) != len(self.flow_frames) or not all(map(same_flow, frames, self.flow_frames)):
                self.frames_applied += 1
                self._apply_flow(frames)
        self._apply_chain(self._resolve_chain())

    def _resolve_chain(self) -> ChainFrame:
        """resolve_chain of the inspected cell, again only for another frame or cell (it is pure:
        an unchanged state or a redraw of the same trace costs nothing here)."""
        frame, row, col = self.flow_frame, self._row, self._col
        held = self._chain_of
        if held is None or held[0] is not frame or held[1:3] != (row, col):
            held = self._chain_of = (frame, row, col, resolve_chain(frame, row, col))
        return held[3]

    def _apply_flow(self, frames: tuple[FlowFrame, ...]) -> None:
        self._show_panels(len(frames))
        old_frames, self.flow_frames = self.flow_frames, frames
        first = frames[self._inspected]
        if first.L and self.layer_box.count() != first.L:
            self.layer_box.blockSignals(True)
            self.layer_box.clear()
            for l in range(first.L):
                self.layer_box.addItem(str(l), l)
            self._layer = min(self._layer, first.L - 1)
            self.layer_box.setCurrentIndex(self._layer)
            self.layer_box.blockSignals(False)
        for i, frame in enumerate(frames):
            old = old_frames[i] if i < len(old_frames) else None
            self.panels[i].apply(frame, old)
        self._explanation = first.explanation
        self._show_explanation()
        drawn = [f for f in frames if f.flow is not None]
        if drawn and tuple(self.color_bar.levels()) != drawn[0].levels:
            self.color_bar.setLevels(drawn[0].levels)
        if first.flow is not None and self._row is not None and self._row >= first.T:
            self._row = None
        self._fit()

    def _apply_chain(self, chain: ChainFrame) -> None:
        prefix = f"Run {self._runs[self._inspected]} · " if len(self._runs) > 1 else ""
        self.chain.set_title(prefix)
        for i, panel in enumerate(self.panels):
            panel.show_mark(chain.mark if i == self._inspected else None)
        self._show_cell(chain)
        # the text (its numbers) tells a new cell or trace at once, before any array is compared
        if self.chain_frame is not None and chain.text == self.chain_frame.text and same(chain, self.chain_frame):
            return
        self.chain_frame = chain
        self.chain.apply(chain, self)
        self.chain_text.setText(chain.text)

    def _show_cell(self, chain: ChainFrame) -> None:
        """The bar's readout of the selected cell: its (t, k) and F there, from the trace."""
        cell, frame = chain.cell, self.flow_frame
        if cell is None or frame is None or frame.flow is None:
            text = ""
        else:
            t, k = cell
            row = t if frame.rows is None else int(np.searchsorted(frame.rows, t))
            text = f"t = {t}, k = {k}: F = {float(frame.flow[row, k]):.3g}"
        if self.cell_label.text() != text:
            self.cell_label.setText(text)

    def _show_explanation(self) -> None:
        text = self._explanation
        if text and self._one_panel and len(self._runs) > 1:
            text += f" Too small for the runs side by side: run {self._runs[self._inspected]} only."
        if text and not self.export_mode:
            text += " " + HINT
        self.explanation.setText(text)

    def apply_export_mode(self, on: bool) -> None:
        self._show_explanation()
        if not on:
            # back to the canvas on screen at the next turn of the event loop: an exporter may lay
            # the view out at another size right away, and a canvas resized meanwhile would undo it
            self._export_size = None
            self._fitted = None
            self._refit_later()

    def _layer_changed(self) -> None:
        self._layer = int(self.layer_box.currentData() or 0)
        if self._sources is not None:
            self._update(self._sources[0])

    # -- the inspector ---------------------------------------------------------------------------
    def _cell_clicked(self, panel: int, x: float, y: float) -> None:
        if panel >= len(self.flow_frames):
            return
        px, py = self.panels[panel].plot.getViewBox().viewPixelSize()
        cell = snap_cell(self.flow_frames[panel], x, y, slack=CLICK_SLACK * max(px, py))
        if cell is None:
            return
        self.canvas.setFocus(Qt.FocusReason.MouseFocusReason)
        if panel != self._inspected:
            self._inspected = panel
            self._choose_run(self._runs[panel])
        self.select_cell(*cell)

    def _choose_run(self, run: str) -> None:
        box = self.run_selector.box
        index = box.findData(run)
        if index >= 0 and index != box.currentIndex():
            box.blockSignals(True)  # the inspector is redrawn right here
            box.setCurrentIndex(index)
            box.blockSignals(False)

    def select_cell(self, t: int, k: int) -> None:
        """Inspect cell (t, k) of the inspected run and select its step k everywhere."""
        self._row, self._col = t, k
        self._apply_chain(self._resolve_chain())
        self.timeStepSelected.emit(k)

    def eventFilter(self, watched, event) -> bool:
        if watched is self.canvas and event.type() == QEvent.Type.Resize and self.scroll_area is not None:
            # the canvas alone resized (its minimum, set by _fit): one more pass, not a new sequence
            self._refits = max(self._refits, 1)
            if not self._refit_timer.isActive():
                self._refit_timer.start()
        if (watched is self.canvas and isinstance(event, QKeyEvent) and event.type() == QEvent.Type.KeyPress
                and event.key() in ARROWS):
            frame, cell = self.flow_frame, self.selected_cell
            if frame is None or frame.flow is None or cell is None:
                return False
            step = 10 if event.modifiers() & Qt.KeyboardModifier.ShiftModifier else 1
            self.select_cell(*nudge_cell(frame, cell, ARROWS[event.key()], step))
            return True
        return super().eventFilter(watched, event)

    # -- zoom and the square cells ---------------------------------------------------------------
    def reset_zoom(self) -> None:
        for panel in self.panels:
            panel.reset_zoom()

    def _zoom_like(self, source: int) -> None:
        x, y = self.panels[source].plot.viewRange()
        for i, panel in enumerate(self.panels):
            if i != source:
                panel.plot.getViewBox().setRange(xRange=x, yRange=y, padding=0)

    def _range_changed(self, *_) -> None:
        zoomed = any(p.zoomed() for p in self.shown_panels)
        if self.reset_button.isEnabled() != zoomed:
            self.reset_button.setEnabled(zoomed)

    def _double_clicked(self, event) -> None:
        if event.button() == Qt.MouseButton.LeftButton and event.double():
            pos = event.scenePos()
            if any(p.plot.getViewBox().sceneBoundingRect().contains(pos) for p in self.panels):
                self.reset_zoom()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        if self.export_mode:  # an exporter lays the canvas's layout out at this size (export.laid_out)
            size = event.size()  # or gives the view its own size back: the canvas on screen again
            self._export_size = None if size == self.size() else (float(size.width()), float(size.height()))
        self._fit()

    def _refit_later(self) -> None:
        # Titles and axes settle when the layout activates, after the sizes were set: measure again
        # then, a few turns of the event loop at most (nothing is set when the fit did not change).
        self._refits = REFITS
        if not self._refit_timer.isActive():
            self._refit_timer.start()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._refit_later()  # fitted while hidden (or for an export) at another size

    def hideEvent(self, event) -> None:
        self._refit_timer.stop()  # a closed view must not lay itself out while Qt tears it down
        super().hideEvent(event)

    def _refit(self) -> None:
        if not self.isVisible():
            return
        self._refits -= 1
        # A PlotTitle re-wraps when its width changes but keeps the height of its old wrapping
        # (its row is fixed when the text is set): let it take the height it now needs.
        for plot in [p.plot for p in self.shown_panels] + [self.chain.plot]:
            plot.titleLabel.updateMin()
        self._refitting = True
        try:
            changed = self._fit()
            changed = self._export_size is None and self._fill_canvas() or changed
        finally:
            self._refitting = False
        if changed and self._refits > 0:
            self._refit_timer.start()

    def _fill_canvas(self) -> bool:
        """Give the layout the canvas's size again. A layout only ever grows its widget to new
        minimums (a fit that asked more of the column than the canvas has, briefly): it keeps that
        size when the minimums shrink, and parts of the view stayed cut off at the canvas edge."""
        ci, area = self.canvas.ci, self.canvas.range
        if ci.geometry() == area:
            return False
        ci.setGeometry(area)
        return True

    def _fit(self) -> bool:
        """Give the matrices square cells as large as the view allows: chain below them in a tall
        view, beside them in a wide one, whichever makes the matrices larger (flow_layout); in
        compare mode the runs side by side while that leaves every plot MIN_PLOT px, else the
        chosen run only; and when even that is too small, a canvas that scrolls.
        Returns whether anything was changed (then the layout is measured again soon)."""
        if self._fitting or not self.panels:
            return False
        inputs = self._fit_inputs()
        if inputs == self._fit_read:  # what it would measure is what the last fit measured: no change
            return False
        self._fit_read = inputs
        self._fitting = True
        try:
            runs = len(self._runs)
            exported = self._export_size
            avail = exported or self._available()
            if runs > 1:
                # back to both only for a new size or run count (no flapping between the two)
                at = (round(avail[0]), round(avail[1]), runs)
                if not self._one_panel or at != self._one_panel_at:
                    self._one_panel = not self._fit_for(runs, avail).legible
                    self._one_panel_at = at
                self._show_panels(runs)
                self._show_explanation()
            shown = 1 if self._one_panel and runs > 1 else runs
            if exported is None:
                if not self.export_mode:  # a canvas resized in the middle of an export would undo it
                    self._scroll_if_needed(shown, avail)
                view = self.canvas.viewport().size()
                size = (float(view.width()), float(view.height()))
            fit = self._fit_for(shown, exported or size)
            self._same_title_heights(fit.side)
            key = (fit.beside, round(fit.matrix_width), round(fit.matrix_height), len(self.shown_panels))
            if key == self._fitted:
                return False
            self._fitted = key
            if not self._refitting:  # a new size or state: measure again after it settles
                self._refit_later()
            if fit.beside != self._beside:
                self._arrange(fit.beside)
            grid = self.canvas.ci.layout
            # the matrices' own box: square data areas, centred in what their row or column leaves
            self.matrix_row.setMaximumSize(fit.matrix_width, fit.matrix_height)
            grid.setAlignment(self.matrix_row, Qt.AlignmentFlag.AlignCenter)
            if fit.beside:
                grid.setRowMinimumHeight(0, 0)
                grid.setRowMaximumHeight(0, 1e6)
                grid.setColumnFixedWidth(0, fit.matrix_width)
            else:
                grid.setColumnMinimumWidth(0, 0)
                grid.setColumnMaximumWidth(0, 1e6)
                grid.setRowFixedHeight(0, fit.matrix_height)
            return True
        finally:
            self._fitting = False

    def _fit_inputs(self) -> tuple:
        """Everything _fit reads (sizes the layout gave, texts, the view's own choices), so that a
        fit on the same ones, which would change nothing, is skipped: the fit measured the view
        three times over on every frame (~0.15 ms) to find nothing new."""
        shown = self.shown_panels or self.panels[:1]
        plot, chain = shown[0].plot, self.chain.plot
        vb, chain_vb = plot.getViewBox(), chain.getViewBox()
        view = self.canvas.viewport().size()
        titles = tuple((p.plot.titleLabel.text, p.plot.titleLabel.isVisible(), p.plot.titleLabel.height(),
                        p.plot.titleLabel.min_height) for p in self.panels)
        return (self._fitted, self._runs, self._inspected, tuple(self._shown), self._one_panel, self._one_panel_at,
                self._scroll_at, self._beside, self._export_size, self.export_mode, self.scroll_area is not None,
                self._available(), (view.width(), view.height()), titles,
                plot.width(), plot.height(), vb.width(), vb.height(),
                plot.getAxis("left").width(), plot.getAxis("bottom").height(),
                chain.width(), chain.height(), chain_vb.width(), chain_vb.height(),
                chain.getAxis("left").width(), chain.getAxis("bottom").height(),
                self.color_bar.width(), self.explanation.height(), self.chain_text.height(),
                self.canvas.ci.layout.getContentsMargins())

    def _available(self) -> tuple[float, float]:
        """The room the dock gives the canvas (logical px): its scroll area's without scroll bars."""
        if self.scroll_area is not None:
            size = self.scroll_area.maximumViewportSize()
        else:
            size = self.canvas.viewport().size()
        return float(size.width()), float(size.height())

    def _scroll_if_needed(self, runs: int, avail: tuple[float, float]) -> None:
        """Let the canvas scroll (BaseView.set_canvas_minimum) at the least size where ``runs``
        matrices and the chain keep MIN_PLOT px each, when the dock gives less; back to the dock's
        size when it gives enough."""
        g = self._geometry(runs=runs, size=avail)
        w, h = minimum_canvas(g)
        if h > g.height:  # scrolling down: the vertical scroll bar takes its width from the canvas
            bar = self.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent)
            g = self._geometry(runs=runs, size=(avail[0] - bar, avail[1]))
            w, h = minimum_canvas(g)
        left, top, right, bottom = self.canvas.ci.layout.getContentsMargins()
        grow = (math.ceil(w + left + right) if w > g.width else 0, math.ceil(h + top + bottom) if h > g.height else 0)
        if self._scroll_at is not None and self._scroll_at[0] == avail:
            # the same dock: the minimum only grows (texts re-wrapped in the scrolled canvas must not
            # take the scrolling away and bring it back on every pass)
            grow = tuple(max(a, b) for a, b in zip(grow, self._scroll_at[1]))
        self._scroll_at = (avail, grow)
        if grow != (0, 0) or self.scroll_area is not None:
            self.set_canvas_minimum(*grow)

    def _same_title_heights(self, side: float) -> None:
        """Side by side, the matrices' titles take the rows of the tallest (one run's label wraps,
        the other's not): their data areas stay level and the same size."""
        titles = [p.plot.titleLabel for p in self.shown_panels]
        height = max((_text_height(t, side) for t in titles if t.isVisible()), default=0.0) if len(titles) > 1 else 0.0
        for title in titles:
            if title.min_height != height:
                title.min_height = height
                title.updateMin()

    def _geometry(self, side: float | None = None, runs: int | None = None,
                  size: tuple[float, float] | None = None) -> Geometry:
        """The sizes fit_layout needs, for ``runs`` matrices (default: those shown) of data width
        ``side`` (default: their current one) in an area of ``size`` (default: the canvas). Widths
        around a plot's data area are measured where the layout placed it; heights too, except the
        titles', which wrap with the plot's width and are laid out here at ``side`` (measured in a
        squeezed box they only grow, and the fit shrinks to nothing); the tallest of the runs' titles
        counts. The chain's height overhead beside the matrices (its legend on more lines) is not
        the one it would have below them: it is estimated from its axis and one title line."""
        shown = self.shown_panels or self.panels[:1]
        panel, chain = shown[0].plot, self.chain.plot
        vb, chain_vb = panel.getViewBox(), chain.getViewBox()
        if size is None:
            view = self.canvas.viewport().size()
            size = (float(view.width()), float(view.height()))
        placed = vb.width() > 1 and vb.height() > 1
        runs = runs or len(shown)
        # the titles of the matrices that would be shown: the chosen run's alone, or the first runs'
        titled = [self.panel.plot] if runs == 1 and len(self._runs) > 1 else [p.plot for p in self.panels[:runs]]
        title = panel.titleLabel
        shown_title = title.height() if title.isVisible() else 0.0
        width = side if side is not None else vb.width()
        wanted_title = max((_text_height(p.titleLabel, width) for p in titled if p.titleLabel.text), default=0.0) \
            if title.isVisible() else 0.0
        if placed:
            matrix_w = panel.width() - vb.width()
            matrix_h = panel.height() - vb.height() - shown_title + wanted_title
        else:
            matrix_w = panel.getAxis("left").width() + PLOT_MARGIN
            matrix_h = panel.getAxis("bottom").height() + wanted_title + PLOT_MARGIN
        chain_placed = chain_vb.width() > 1 and chain_vb.height() > 1
        chain_w = chain.width() - chain_vb.width() if chain_placed else chain.getAxis("left").width() + PLOT_MARGIN
        chain_h = (chain.height() - chain_vb.height() if chain_placed and not self._beside else
                   chain.getAxis("bottom").height() + CHAIN_TITLE + PLOT_MARGIN)
        left, top, right, bottom = self.canvas.ci.layout.getContentsMargins()
        return Geometry(width=size[0] - left - right, height=size[1] - top - bottom,
                        runs=runs, matrix_w_over=matrix_w, matrix_h_over=matrix_h,
                        bar_width=float(self.color_bar.width()), chain_w_over=chain_w, chain_h_over=chain_h,
                        text_height=float(self.explanation.height() + self.chain_text.height()),
                        beside=self._beside)

    def _fit_for(self, runs: int, size: tuple[float, float]) -> Fit:
        """fit_layout for ``runs`` matrices in an area of ``size``, their titles laid out at the
        width it gives them."""
        fit = fit_layout(self._geometry(runs=runs, size=size))
        return fit_layout(self._geometry(side=fit.side, runs=runs, size=size))

    def _arrange(self, beside: bool) -> None:
        ci = self.canvas.ci
        for item in (self.chain.plot, self.explanation, self.chain_text):
            ci.removeItem(item)
        grid = ci.layout
        for r in range(4):
            grid.setRowMinimumHeight(r, 0)
            grid.setRowMaximumHeight(r, 1e6)
        for c in range(2):
            grid.setColumnMinimumWidth(c, 0)
            grid.setColumnMaximumWidth(c, 1e6)
        if beside:
            ci.addItem(self.chain.plot, row=0, col=1)
            ci.addItem(self.explanation, row=1, col=0, colspan=2)
            ci.addItem(self.chain_text, row=2, col=0, colspan=2)
        else:
            ci.addItem(self.chain.plot, row=1, col=0)
            ci.addItem(self.explanation, row=2, col=0)
            ci.addItem(self.chain_text, row=3, col=0)
        self._beside = beside

    def _csv_table(self) -> tuple[list[str], np.ndarray]:
        frame = self.flow_frame
        if frame is None or frame.flow is None:
            return ["t"], np.zeros((0, 1))
        T = frame.T
        t = np.arange(T, dtype=np.float64) if frame.rows is None else frame.rows.astype(np.float64)
        return ["t"] + [f"F[t,{k}]" for k in range(T)], np.column_stack([t, frame.flow])


TEXT_HEIGHTS = 16  # widths a label keeps measured heights for (a resize asks for a few new ones)


def _text_height(label, width: float) -> float:
    """The height a wrapped label (PlotTitle) takes at ``width``: its text laid out there. Kept per
    label for its text and style (what its HTML is made of, LabelItem.setText) and the width: a
    cloned document laid out costs ~0.1 ms, and every frame's fit asks for the same few."""
    key = (label.text, repr(sorted(label.opts.items())), width)
    heights = getattr(label, "_flow_heights", None)
    if heights is None or len(heights) > TEXT_HEIGHTS:
        heights = label._flow_heights = {}
    if key not in heights:
        doc = label.item.document().clone()
        doc.setTextWidth(max(width, 1.0))
        heights[key] = max(doc.size().height(), 20.0)
    return heights[key]


def _same_sources(a, b) -> bool:
    (sa, la), (sb, lb) = a, b
    return la == lb and len(sa) == len(sb) and all(x[0] is y[0] and x[1] == y[1] for x, y in zip(sa, sb))


def resolve(state: ViewState, run: str = "A", layer: int = 0, cell: tuple[int, int] | None = None
            ) -> tuple[FlowFrame, ChainFrame] | None:
    """Pure: both frames of run ``run``'s trace in ``state`` (None without a trace); ``cell``: the
    inspected (t, k), by default (the last loss step, the selected time step)."""
    trace = state.run(run).trace
    if trace is None:
        return None
    runs = [r.trace for r in state.runs if r.trace is not None] if state.compare else [trace]
    frame = resolve_flow(trace, layer, RunSelector.title_prefix(state, run), top=shared_top(runs, layer))
    row, k = cell if cell is not None else (None, state.time_step)
    return frame, resolve_chain(frame, row, k)
