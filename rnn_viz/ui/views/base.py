"""What every view shares: the widget shell, plot styling, the selected-step marker, click mapping."""
from __future__ import annotations

import html
import math
import time
import types
from collections.abc import Callable

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QPoint, QRect, Qt, Signal
from PySide6.QtGui import QPen
from PySide6.QtWidgets import QFrame, QGraphicsItem, QGraphicsView, QScrollArea, QVBoxLayout, QWidget

from rnn_viz.ui import colormaps as cm
from rnn_viz.ui.state import ViewState

from .curve_bounds import quick_bounds
from .frames import same
from .settle import settle
from .text_layout import keep_text_layouts

__all__ = ["BaseView", "WrappingLabel", "PlotTitle", "DecadeAxis", "StepAxis", "decade_axis", "step_axes", "style_axis", "style_plot",
           "selection_line", "set_title", "legend_html", "line_key", "item_key", "text_label", "steady_axis",
           "thin_pen", "thin_pens", "MAX_PEN_WIDTH"]

LABEL_SIZE = "9pt"
LEGEND_SIZE = "8pt"
# Qt's raster engine strokes a cosmetic pen up to 1 px wide with its fast line drawer and anything
# wider as a filled outline: a 2,000-point curve paints in 0.3 ms at 1 px, 1.6 ms at 1.5 px and
# 7 ms at 1.5 px antialiased; at 1 px a dashed curve costs what a solid one does (measured, see
# docs/benchmarks.md). So every curve and line a view draws is capped at this width (thin_pens),
# dashes are kept (they tell runs apart), and antialiasing stays off (pyqtgraph's default).
MAX_PEN_WIDTH = 1.0
PEN_ITEMS_SECONDS = 1.0
# A followed plot's value axis keeps its span while the data fill at least this share of it (_keeps).
KEEP_SPAN_SHARE = 0.5


def thin_pen(pen: QPen) -> QPen:
    """``pen`` itself if it is a cosmetic pen at most MAX_PEN_WIDTH wide, else such a copy of it."""
    if pen.isCosmetic() and pen.widthF() <= MAX_PEN_WIDTH:
        return pen
    thin = QPen(pen)
    thin.setWidthF(min(pen.widthF(), MAX_PEN_WIDTH))
    thin.setCosmetic(True)
    return thin


def pen_items(scene) -> list:
    """The curves and infinite lines of ``scene`` that thin_pens caps. Sets of separate short
    segments (``connect="pairs"``: edges whose width shows a magnitude, markers) keep their width:
    they are cheap to stroke and their width carries meaning. ``scene``: a scene or its items."""
    items = scene.items() if hasattr(scene, "items") else scene
    return [item for item in items if isinstance(item, pg.InfiniteLine)
            or (isinstance(item, pg.PlotCurveItem) and not _is_pairs(item.opts.get("connect")))]


def _is_pairs(connect) -> bool:
    return isinstance(connect, str) and connect == "pairs"


def thin_pens(items) -> None:
    """Cap the pen of every curve and infinite line in ``items`` at MAX_PEN_WIDTH. A PlotDataItem
    keeps the pen it was given (its curve child is what paints), so legends built from it
    (item_key) still show the colour and dash meant."""
    for item in items:
        pen = item.opts["pen"] if isinstance(item, pg.PlotCurveItem) else item.pen
        if isinstance(pen, QPen) and thin_pen(pen) is not pen:
            item.setPen(thin_pen(pen))


def style_axis(axis: pg.AxisItem) -> None:
    """Dark axis lines, ticks and labels on the views' white background (pyqtgraph's are light),
    on an axis that re-lays its plot out only when its size really changes (steady_axis)."""
    axis.setPen(pg.mkPen(cm.FOREGROUND))
    axis.setTextPen(pg.mkPen(cm.FOREGROUND))
    axis.label.setDefaultTextColor(pg.mkColor(cm.FOREGROUND))
    steady_axis(axis)
    axis.setCacheMode(AXIS_CACHE)


# An axis is drawn from its tick picture (a QPicture replayed at every paint, its text laid out
# again each time); as a pixmap in device coordinates it is one blit until its ticks change, which
# is rare (the views keep rounded spans). Measured on the whole window: 1-2.7 ms of 20-25 per frame.
# Exports paint without it (set_export_mode), so a file gets the axes at its own resolution.
AXIS_CACHE = QGraphicsItem.CacheMode.DeviceCoordinateCache


def _update_label_if_changed(axis: pg.AxisItem) -> None:
    text = axis.labelString()
    if text != getattr(axis, "_rnn_viz_label", None):
        axis._rnn_viz_label = text
        type(axis)._updateLabel(axis)
    else:  # the ticks still follow the new range
        axis.picture = None
        axis.update()


def steady_axis(axis: pg.AxisItem) -> None:
    """Keep ``axis`` from re-laying its plot out on every range change.

    pyqtgraph re-sets an axis label's HTML and asks the layout for a new geometry after every range
    change (its SI-prefix check), and fits the axis to the widest tick text both ways, so a view was
    laid out again and painted 1.3-1.5 times per frame (measured). Here the label is redone only
    when its text changes, and tick text only ever widens an axis: its width settles within the
    first frames and tick text no longer moves the plot. Text space that only grows also ends a
    resize cycle (issue 11): a vertical axis sized to its labels, whose labels depend on the plot's
    height, whose height depends on the title's wrapping, whose width depends on the axis.
    """
    axis.setStyle(autoReduceTextSpace=False)
    axis._updateLabel = types.MethodType(_update_label_if_changed, axis)


# log10(2) .. log10(9), the minor ticks within a decade: computed once (two np.log10 calls per
# candidate tick took 0.4 ms of every tick regeneration on a 13-decade axis)
_LOG_DIGITS = tuple(np.log10(k) for k in range(2, 10))


class DecadeAxis(pg.AxisItem):
    """A log axis labelled at whole decades only, thinned to fit.

    pyqtgraph falls back to labelling 2, 3, ... 9 on short log spans, and those labels collide.
    """

    MIN_LABEL_SPACING = 28  # pixels between labelled decades

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.setStyle(maxTextLevel=0)

    def logTickValues(self, minVal, maxVal, size, stdTicks):
        lo, hi = int(np.ceil(minVal - 1e-9)), int(np.floor(maxVal + 1e-9))
        decades = list(range(lo, hi + 1))
        minor = [v + d for v in range(lo - 1, hi + 1) for d in _LOG_DIGITS if minVal < v + d < maxVal]
        if len(decades) < 2:  # zoomed into less than a decade: label what there is
            return [(None, decades + minor)]
        fit = max(int(size // self.MIN_LABEL_SPACING), 1)
        step = max(int(np.ceil(len(decades) / fit)), 1)
        labelled = [float(v) for v in decades if v % step == 0]
        rest = [float(v) for v in decades if v % step != 0]
        return [(1.0, labelled), (None, rest + (minor if step == 1 else []))]


class StepAxis(pg.AxisItem):
    """An axis of time steps: ticks on whole steps only (a two-step path would read 22.0, 22.5, 23.0)."""

    def tickSpacing(self, minVal, maxVal, size):
        levels = [(spacing, offset) for spacing, offset in super().tickSpacing(minVal, maxVal, size)
                  if spacing >= 1]
        return levels or [(1.0, 0.0)]


def decade_axis(steps: tuple[str, ...] = ()) -> dict[str, pg.AxisItem]:
    """``axisItems`` for a plot whose y axis is logarithmic (pass to addPlot); ``steps``: the axes
    that count time steps."""
    return {"left": DecadeAxis("left"), **step_axes(*steps)}


def step_axes(*names: str) -> dict[str, StepAxis]:
    """``axisItems`` whose axes ``names`` ("left", "bottom") count time steps."""
    return {name: StepAxis(name) for name in names}


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


def set_title(plot: pg.PlotItem, text: str, legend: str | None = None, tip: str | None = None) -> None:
    """Set a plot's title, with an optional ``legend`` line under it (HTML from ``legend_html``) and
    a ``tip`` for the explanation that does not fit; only when they change (pyqtgraph re-lays out
    the HTML every time). Legends live in the title rather than over the data they describe."""
    full = text if not legend else f"{text}<br><span style='font-size:{LEGEND_SIZE}'>{legend}</span>"
    if getattr(plot, "_rnn_viz_title", None) != full:
        plot._rnn_viz_title = full
        plot.setTitle(full, color=cm.FOREGROUND, size="10pt")
    if tip is not None and plot.titleLabel.toolTip() != tip:
        plot.titleLabel.setToolTip(tip)


def line_key(pen) -> str:
    """HTML: a short sample of a curve drawn with ``pen`` (solid, dashed or dotted, in its colour)."""
    pen = pg.mkPen(pen)
    style = pen.style()
    if style == Qt.PenStyle.DashLine:
        glyph = "<b>\u2011&nbsp;\u2011</b>"  # non-breaking hyphens: a line may not break inside the key
    elif style == Qt.PenStyle.DotLine:
        glyph = "<b>···</b>"
    else:
        glyph = "━━"
    return f"<span style='color:{pen.color().name()}'>{glyph}</span>"


def item_key(item) -> str:
    """``line_key`` of a PlotDataItem or PlotCurveItem's pen."""
    return line_key(item.opts["pen"])


NOWRAP_NAME = 24  # legend names up to this many characters never break across lines


def legend_html(entries) -> str:
    """A line of legend entries ``(key_html, name)``. It wraps between entries; a name breaks inside
    only when it is long (a narrow dock must still show it whole)."""
    def name_html(name: str) -> str:
        text = html.escape(name)
        return text.replace(" ", "&nbsp;") if len(name) <= NOWRAP_NAME else text

    return "&nbsp;&nbsp; ".join(f"{key}&nbsp;{name_html(name)}" for key, name in entries)


def selection_line(plot: pg.PlotItem, angle: float = 90) -> pg.InfiniteLine:
    """The marker of the shared selected time step, above everything else in ``plot``."""
    line = pg.InfiniteLine(angle=angle, movable=False,
                           pen=pg.mkPen(cm.ACCENT, width=1.5, style=Qt.PenStyle.DashLine))
    line.setZValue(100)
    plot.addItem(line, ignoreBounds=True)
    return line


class WrappingLabel(pg.LabelItem):
    """A LabelItem that wraps its text to the width the layout gives it.

    pyqtgraph's LabelItem asks for its whole single-line width as a minimum, so one long readout
    would push every plot in the layout out of a narrow dock.
    """

    MIN_WIDTH = 120.0

    def setText(self, text, **args):
        # Re-laying out rich text costs ~0.3 ms; readouts are set every frame but rarely change.
        if not args and text == getattr(self, "text", None):
            return
        super().setText(text, **args)

    def resizeEvent(self, ev):
        width = self.rect().width()
        if width > 0 and abs(self.item.textWidth() - width) > 0.5:
            self.item.setTextWidth(width)
        if self.opts.get("justify") == "center":
            # Justify only places the text block; lines inside a wrapped block are aligned here.
            option = self.item.document().defaultTextOption()
            if option.alignment() != Qt.AlignmentFlag.AlignHCenter:
                option.setAlignment(Qt.AlignmentFlag.AlignHCenter)
                self.item.document().setDefaultTextOption(option)
        super().resizeEvent(ev)

    def updateMin(self):
        height = self.itemRect().height()
        self._same_size = self._sizeHint.get(Qt.SizeHint.MinimumSize) == (self.MIN_WIDTH, height) \
            if hasattr(self, "_sizeHint") else False
        if self._same_size:
            return  # asking the layout again would lay out, and repaint, the whole view
        self.setMinimumWidth(self.MIN_WIDTH)
        self.setMinimumHeight(height)
        self._sizeHint = {
            Qt.SizeHint.MinimumSize: (self.MIN_WIDTH, height),
            Qt.SizeHint.PreferredSize: (self.MIN_WIDTH, height),
            Qt.SizeHint.MaximumSize: (-1, -1),
            Qt.SizeHint.MinimumDescent: (0, 0),
        }
        self.updateGeometry()

    def updateGeometry(self):
        # LabelItem.setText asks for a new geometry after every text; only a new size needs one.
        if not getattr(self, "_same_size", False):
            super().updateGeometry()

    @property
    def plain_text(self) -> str:
        return self.item.toPlainText()


class PlotTitle(WrappingLabel):
    """A plot title that wraps onto more lines in a narrow dock instead of being cut off, and takes
    the height it needs (pyqtgraph fixes the title row at 30 px, one line)."""

    MIN_WIDTH = 40.0
    # The least height of its row (px), e.g. that of a neighbour plot's title wrapped onto more
    # lines: plots side by side keep their data areas level.
    min_height = 0.0

    def __init__(self, plot: pg.PlotItem):
        self._plot = plot
        super().__init__("", parent=plot, color=cm.FOREGROUND, justify="center")

    def updateMin(self):
        super().updateMin()
        if self.isVisible() and self.text:
            height = max(self.itemRect().height(), 20.0, self.min_height)
            self.setMaximumHeight(height)
            self._plot.layout.setRowFixedHeight(0, height)


def text_label(justify: str = "left", size: str = LABEL_SIZE) -> WrappingLabel:
    return WrappingLabel("", color=cm.FOREGROUND, size=size, justify=justify)


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
