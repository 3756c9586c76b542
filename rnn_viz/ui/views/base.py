"""What every view shares: the widget shell, plot styling, the selected-step marker, click mapping."""
from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtWidgets import QFrame, QGraphicsItem, QGraphicsView, QScrollArea, QVBoxLayout, QWidget

from rnn_viz.ui import colormaps as cm
from rnn_viz.ui.state import ViewState

from .axes import AXIS_CACHE, style_axis
from .curve_bounds import quick_bounds
from .frames import same
from .labels import PlotTitle, set_title
from .pens import pen_items, thin_pens
from .settle import settle
from .text_layout import keep_text_layouts

__all__ = ["BaseView", "style_plot", "selection_line", "KEEP_SPAN_SHARE"]

PEN_ITEMS_SECONDS = 1.0
# A followed plot's value axis keeps its span while the data fill at least this share of it (_keeps).
KEEP_SPAN_SHARE = 0.5

def style_plot(plot: pg.PlotItem, title: str | None = None, left: str | None = None,
               bottom: str | None = None) -> pg.PlotItem:
    """A plot styled for the white background, with an optional title and axis labels."""
    for name in ("left", "bottom", "right", "top"):
        style_axis(plot.getAxis(name))
    if not isinstance(plot.titleLabel, PlotTitle):
        old = plot.titleLabel
        plot.layout.removeItem(old)
        old.setVisible(False)
        old.setParentItem(None)
        plot.titleLabel = PlotTitle(plot)
        plot.layout.addItem(plot.titleLabel, 0, 1)
        plot.setTitle(None)
    if title:
        set_title(plot, title)
    if left:
        plot.setLabel("left", left, color=cm.FOREGROUND)
    if bottom:
        plot.setLabel("bottom", bottom, color=cm.FOREGROUND)
    plot.hideButtons()
    return plot

def selection_line(plot: pg.PlotItem, angle: float = 90) -> pg.InfiniteLine:
    """The marker of the shared selected time step, above everything else in ``plot``."""
    line = pg.InfiniteLine(angle=angle, movable=False,
                           pen=pg.mkPen(cm.ACCENT, width=1.5, style=Qt.PenStyle.DashLine))
    line.setZValue(100)
    plot.addItem(line, ignoreBounds=True)
    return line

class BaseView(QWidget):
    """A view: a pyqtgraph GraphicsLayoutWidget in a QWidget, drawn from a ViewState.

    Subclasses build their plot items once in ``__init__`` and implement ``resolve(state)`` (pure:
    a frozen frame, see ``frames``) and ``apply(frame)`` (only setData/setImage/setText); the frame
    is applied only when it differs from the last one, the selected step goes to
    ``apply_time_step``. Views with more than one frame (flow matrix and its inspector) or a redraw
    throttle (training curves) override ``_render`` and keep the same rule. Clicks on a registered
    plot arrive as view coordinates through ``on_click``.
    """

    timeStepSelected = Signal(int)
    # The view came into sight in a dock that Qt keeps "visible" while it is out of sight (see on_screen).
    sighted = Signal()
    OBJECT_NAME = "view"
    # Whether the view draws a trace's heavy parts (engine.levels.HEAVY_KEYS: flow matrix, Jacobian
    # norms): training computes them only while such a view is open, in sight or behind a tab
    # (Controller.heavy_wanted).
    DRAWS_HEAVY = False

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(self.OBJECT_NAME)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.canvas = pg.GraphicsLayoutWidget()
        self.canvas.setBackground(cm.BACKGROUND)
        # No item here is antialiased, so Qt need not widen every exposed rectangle for it.
        self.canvas.setOptimizationFlag(QGraphicsView.OptimizationFlag.DontAdjustForAntialiasing, True)
        # The canvas paints its opaque background brush over every exposed rect itself, so Qt need
        # not fill the viewport with its palette first; and one plain fill is cheaper than copying
        # the exposed part of QGraphicsView's background pixmap: 0.4 of the six canvases' 7.6 ms
        # when painted whole (measured), the same pixels.
        self.canvas.setCacheMode(QGraphicsView.CacheModeFlag.CacheNone)
        self.canvas.viewport().setAttribute(Qt.WidgetAttribute.WA_OpaquePaintEvent, True)
        self.canvas.setObjectName(f"{self.OBJECT_NAME}Canvas")
        layout.addWidget(self.canvas)
        self._click_targets: list[tuple[pg.PlotItem, Callable[[float, float], None]]] = []
        self.canvas.scene().sigMouseClicked.connect(self._scene_clicked)
        self._time_step: int | None = None
        self._pending: ViewState | None = None
        self._last_state: ViewState | None = None  # what a control of the view (run, layer) redraws
        # Plots whose range the view keeps on a rounded span of the data (see follow_data).
        self._following: dict[pg.PlotItem, bool] = {}
        self._wanted: dict[pg.PlotItem, dict[str, tuple[float, float]]] = {}
        self._applied: dict[pg.PlotItem, dict[str, tuple[float, float]]] = {}
        self._groups: dict[pg.PlotItem, tuple[pg.PlotItem, ...]] = {}
        self.frame = None  # the last frame applied (views split into resolve/apply)
        self.frames_applied = 0
        self._inputs = None
        self._pen_items: list = []
        self._pen_items_at = -math.inf
        self.scroll_area: QScrollArea | None = None  # made by set_canvas_minimum
        self._uncached: list = []  # axes painted without their cache while exporting
        self._dock_in_sight: bool | None = None  # what the dock last said (dock_visibility_changed)

    # -- the interface the window codes against -------------------------------------------------
    def render(self, state: ViewState) -> None:
        """Draw ``state``; cheap when nothing changed. A view out of sight (hidden, or in a dock
        tabbed away) only keeps the state and draws it when it comes into sight, is exported or is
        asked for its table."""
        self._pending = state
        if self.on_screen():
            self._flush()

    def on_screen(self) -> bool:
        """Whether any of the view can be seen. A dock tabbed behind another stays ``isVisible()``
        (Qt moves it out of the window instead of hiding it, and sends no hide or show event), so
        visibility alone would have every tabbed-away view drawn on every frame. The dock says when
        its tab is picked or left (``dock_visibility_changed``); until it has said, the view is in
        sight if it lies inside its window. (``visibleRegion`` cannot tell: it is empty for any
        widget its canvas covers.)"""
        if not self.isVisible():
            return False
        if self._dock_in_sight is not None:
            return self._dock_in_sight
        window = QWidget.window(self)
        return QRect(self.mapTo(window, QPoint(0, 0)), self.size()).intersects(window.rect())

    def dock_visibility_changed(self, visible: bool) -> None:
        """Connected to the dock's ``visibilityChanged`` (emitted when its tab is picked): draw
        what arrived while out of sight, and tell whoever computes for this view (``sighted``)."""
        self._dock_in_sight = bool(visible)
        if visible:
            self._flush()
            self.sighted.emit()

    def redraw(self) -> None:
        """Draw the last state again, e.g. after the user picked another run in the view."""
        if self._pending is None and self._last_state is not None:
            self.render(self._last_state)

    def export_item(self):
        """The pyqtgraph item to hand to an exporter (the whole layout: plots, colour bars, text)."""
        self._flush()
        return self.canvas.ci

    def csv_table(self) -> tuple[list[str], np.ndarray]:
        """(columns, rows) of the numbers currently drawn."""
        self._flush()
        return self._csv_table()

    def showEvent(self, event) -> None:
        super().showEvent(event)
        self._flush()

    def _flush(self) -> None:
        if self._pending is not None:
            state, self._pending = self._pending, None
            self._last_state = state
            # Non-finite values (a run on its way to diverging) are drawn as gaps, not warned about.
            with np.errstate(invalid="ignore", divide="ignore", over="ignore", under="ignore"):
                self._render(state)
            self._thin_pens()
            settle(self.canvas.scene(), self._pen_items)

    def _thin_pens(self) -> None:
        # Listing the scene costs about 0.1 ms, checking the listed pens almost nothing: the list
        # is taken again at most once a second (views add items rarely, but set pens every frame).
        now = time.monotonic()
        if now - self._pen_items_at > PEN_ITEMS_SECONDS:
            items = self.canvas.scene().items()
            self._pen_items, self._pen_items_at = pen_items(items), now
            # text items and curves are made with the plots, rarely later: on the same cadence
            keep_text_layouts(items)
            quick_bounds(items)
        try:
            thin_pens(self._pen_items)
        except RuntimeError:  # an item deleted since the list was taken
            self._pen_items = pen_items(self.canvas.scene())
            thin_pens(self._pen_items)

    def _render(self, state: ViewState) -> None:
        """resolve -> frame, applied only when it differs from the last; the selected time step
        (which changes far more often than the data) goes to ``apply_time_step`` alone."""
        inputs = self.inputs(state)
        if inputs is None or self._inputs is None or not _identical(inputs, self._inputs):
            self._inputs = inputs
            frame = self.resolve(state)
            if self.frame is None or not same(frame, self.frame):
                self.frame = frame
                self.frames_applied += 1
                self.apply(frame)
        if self.time_step_changed(state):
            self.apply_time_step(state.time_step)

    def inputs(self, state: ViewState):
        """What ``resolve`` reads, compared by identity (arrays and mappings are new objects when
        they change) to skip resolving an unchanged state; None: always resolve."""
        return None

    def resolve(self, state: ViewState):  # pragma: no cover - every split view overrides
        raise NotImplementedError

    def apply(self, frame) -> None:  # pragma: no cover
        raise NotImplementedError

    def apply_time_step(self, t: int) -> None:
        """Move the selected-step marker(s) to ``t``."""

    # True while the view is being exported: texts that address someone at the screen ("Click a
    # cell ...", "Hover a node ...") are left out of a file.
    export_mode = False

    def set_export_mode(self, on: bool) -> None:
        """Leave out (True) or show again (False) the view's interactive hints."""
        if bool(on) != self.export_mode:
            self.export_mode = bool(on)
            self._axis_cache(not self.export_mode)
            self.apply_export_mode(self.export_mode)

    def _axis_cache(self, on: bool) -> None:
        """Axes painted from their pixmap cache (on screen) or afresh (into an exported file)."""
        if not on:
            self._uncached = [item for item in self.canvas.scene().items()
                              if isinstance(item, pg.AxisItem) and item.cacheMode() == AXIS_CACHE]
        for item in self._uncached:
            item.setCacheMode(AXIS_CACHE if on else QGraphicsItem.CacheMode.NoCache)
        if on:
            self._uncached = []

    def apply_export_mode(self, on: bool) -> None:
        """Hide or show the hint items; views that have hints override this."""

    def invalidate(self) -> None:
        """Resolve again on the next draw (a control of the view, such as a fraction, changed)."""
        self._inputs = None

    def _csv_table(self) -> tuple[list[str], np.ndarray]:  # pragma: no cover
        raise NotImplementedError

    # -- helpers ---------------------------------------------------------------------------------
    def set_canvas_minimum(self, width: int, height: int) -> None:
        """Below ``width`` x ``height`` logical px the canvas scrolls instead of squeezing its plots
        under a legible size (a dock too small for the view's panels)."""
        if self.scroll_area is None:
            layout = self.layout()
            index = layout.indexOf(self.canvas)
            layout.removeWidget(self.canvas)
            self.scroll_area = QScrollArea(self)
            self.scroll_area.setObjectName(f"{self.OBJECT_NAME}Scroll")
            self.scroll_area.setFrameShape(QFrame.Shape.NoFrame)
            self.scroll_area.setWidgetResizable(True)
            self.scroll_area.setWidget(self.canvas)
            layout.insertWidget(index, self.scroll_area)
        if (self.canvas.minimumWidth(), self.canvas.minimumHeight()) != (width, height):
            self.canvas.setMinimumSize(width, height)

    def on_click(self, plot: pg.PlotItem, handler: Callable[[float, float], None]) -> None:
        """Call ``handler(x, y)`` (view coordinates of ``plot``) on a left click inside it."""
        self._click_targets.append((plot, handler))

    def follow_data(self, plot: pg.PlotItem, group: tuple[pg.PlotItem, ...] = ()) -> None:
        """Let the view set ``plot``'s range (``set_span``) until the user zooms or pans it; a double
        click on the plot follows the data again. Plots in ``group`` (linked axes) stop and resume
        following together.

        pyqtgraph's auto-range fits the data exactly, so the axes move, and are re-rendered, on every
        update; rounded spans change rarely, which is both calmer to watch and cheaper to paint.
        """
        plot.disableAutoRange()
        self._following[plot] = True
        self._wanted[plot], self._applied[plot] = {}, {}
        self._groups[plot] = (plot, *group)
        plot.getViewBox().sigRangeChangedManually.connect(lambda *_: self._stop_following(plot))

    def _stop_following(self, plot: pg.PlotItem) -> None:
        for member in self._groups[plot]:
            self._following[member] = False

    def set_span(self, plot: pg.PlotItem, x: tuple[float, float] | None = None,
                 y: tuple[float, float] | None = None) -> None:
        """The range ``plot`` should show (view units: log10 on a log axis); applied while following."""
        wanted = self._wanted[plot]
        if x is not None:
            wanted["x"] = x
        if y is not None:
            wanted["y"] = y
        if self._following[plot]:
            self._apply_span(plot)

    def _apply_span(self, plot: pg.PlotItem) -> None:
        wanted, applied = dict(self._wanted[plot]), self._applied[plot]
        if _keeps(applied.get("y"), wanted.get("y")):
            wanted["y"] = applied["y"]
        if wanted == applied:
            return
        plot.setRange(xRange=wanted.get("x"), yRange=wanted.get("y"), padding=0.02)
        self._applied[plot] = wanted

    def _scene_clicked(self, event) -> None:
        if event.button() != Qt.MouseButton.LeftButton:
            return
        pos = event.scenePos()
        if event.double():
            for plot in list(self._following):
                if plot.getViewBox().sceneBoundingRect().contains(pos):
                    for member in self._groups[plot]:
                        self._following[member] = True
                        self._applied[member] = {}
                        self._apply_span(member)
            return
        for plot, handler in self._click_targets:
            vb = plot.getViewBox()
            if vb.sceneBoundingRect().contains(pos):
                point = vb.mapSceneToView(pos)
                handler(point.x(), point.y())
                return

    def emit_step(self, x: float, n_steps: int) -> None:
        """Select the time step nearest to ``x`` if it is one of 0 .. n_steps-1."""
        t = int(round(x))
        if 0 <= t < n_steps:
            self.timeStepSelected.emit(t)

    def time_step_changed(self, state: ViewState) -> bool:
        if state.time_step == self._time_step:
            return False
        self._time_step = state.time_step
        return True


def _keeps(shown: tuple[float, float] | None, data: tuple[float, float] | None) -> bool:
    """Whether a followed plot keeps its ``shown`` value span for the ``data``'s: while the data's
    span lies inside it and fills at least KEEP_SPAN_SHARE of it. The range grows at once (nothing
    is drawn off the plot) and shrinks only when the data has left most of it, so small moves of
    the data (a new update's outputs) do not move the axis: each move re-lays the axis' ticks and
    every curve's bounds, about 4 ms of a frame in the predictions view (measured)."""
    if shown is None or data is None:
        return False
    (lo, hi), (a, b) = shown, data
    return lo <= a and b <= hi and (b - a) >= KEEP_SPAN_SHARE * (hi - lo)


def _identical(a: tuple, b: tuple) -> bool:
    """Same length and each item the same object, or equal when it is a plain value (str, number,
    or a tuple of them)."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if x is y:
            continue
        if isinstance(x, tuple) and isinstance(y, tuple):
            if not _identical(x, y):
                return False
        elif not (isinstance(x, (str, int, float)) and type(x) is type(y) and x == y):
            return False
    return True
