"""The guided-experiment panel: what a preset is about, what to look at, its equation, and for the
edge-of-chaos experiment a plot of the measured per-step decay against log(rho).

The panel only shows what it is given: the window calls :meth:`PresetPanel.set_preset` when an
experiment is opened and :meth:`PresetPanel.add_point` after measuring a trace (see
``rnn_viz.experiment.presets.measured_decay``); it never touches a trainer.
"""
from __future__ import annotations

import math

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QFrame, QLabel, QScrollArea, QSizePolicy, QVBoxLayout, QWidget

from rnn_viz.experiment.config import PresetConfig
from rnn_viz.experiment.presets import PresetInfo

__all__ = ["PresetPanel"]

# Local colours (the Okabe-Ito blue and vermillion; dark text on white) so the panel stands alone.
_POINT = "#0072B2"
_THEORY = "#D55E00"
_TEXT = "#202020"
_RHO_RANGE = (0.5, 1.5)  # the spectral-radius control's range in experiment 3
# The experiment opens in compare mode already; the action is named in case the user left it.
_COMPARE_TEXT = ("Compare run B: {} (trains beside run A; this experiment opens in compare mode, "
                 "Training > Compare mode (Ctrl+M) turns it off and on)")
_NO_PRESET = ("No guided experiment is open. Choose one from File > Guided experiments, "
              "or start the app with rnn-viz gui NAME (rnn-viz presets lists the names).")


def _label(name: str, *, bold: bool = False, mono: bool = False, selectable: bool = False) -> QLabel:
    label = QLabel()
    label.setObjectName(name)
    label.setWordWrap(True)
    # Plain text: the explanations are full of "<=" and "<" that rich text would eat.
    label.setTextFormat(Qt.TextFormat.PlainText)
    # Preferred, not Minimum: a wrapped label's sizeHint is its height at a narrow guess of a width,
    # which as a minimum made the panel scroll by that difference at every width; the scroll area
    # gives the content its height for the actual width (heightForWidth) instead.
    label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
    if bold:
        font = label.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.15)
        label.setFont(font)
    if mono:
        label.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    if selectable:
        label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class PresetPanel(QWidget):
    """Side panel for a guided experiment (objectName ``presetPanel``).

    ``set_preset(info)`` shows a preset's title, explanation, what to look at, its equation and its
    compare run; ``add_point(rho, decay)`` adds one measurement to the edge-of-chaos plot, which is
    visible only for presets whose ``decay_plot`` is true. ``points`` holds the measurements shown,
    one per rho value, in the order tried.
    """

    pointsChanged = Signal()

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("presetPanel")
        self._points: dict[float, float] = {}

        self.hint = _label("presetHint")
        self.hint.setStyleSheet("color: #0b5394; font-weight: bold;")
        self.hint.hide()
        self.title = _label("presetTitle", bold=True)
        self.explanation = _label("presetExplanation", selectable=True)
        self.look_at_heading = _label("presetLookAtHeading")
        self.look_at_heading.setText("What to look at")
        heading_font = self.look_at_heading.font()
        heading_font.setBold(True)
        self.look_at_heading.setFont(heading_font)
        self.look_at = _label("presetLookAt", selectable=True)
        self.equation = _label("presetEquation", mono=True, selectable=True)
        self.equation.setFrameShape(QFrame.Shape.StyledPanel)
        self.equation.setMargin(4)
        self.compare = _label("presetCompare")
        self.decay_readout = _label("presetDecayReadout", mono=True)

        self.decay_plot = pg.PlotWidget(background="w")
        self.decay_plot.setObjectName("presetDecayPlot")
        self.decay_plot.setMinimumHeight(220)
        plot = self.decay_plot.getPlotItem()
        plot.hideButtons()
        plot.setMenuEnabled(False)
        plot.showGrid(x=True, y=True, alpha=0.25)
        for side in ("left", "bottom"):
            axis = plot.getAxis(side)
            axis.setPen(pg.mkPen(_TEXT))
            axis.setTextPen(pg.mkPen(_TEXT))
            # Log-decays are small numbers; an "(x0.001)" SI prefix would hide that they equal log(rho).
            axis.enableAutoSIPrefix(False)
        plot.setLabel("bottom", "log(rho)", color=_TEXT)
        plot.setLabel("left", "measured log-decay per step", color=_TEXT)
        plot.setTitle("slope of log F[t, k] against lag t - k", color=_TEXT, size="9pt")
        lo, hi = (math.log(r) for r in _RHO_RANGE)
        pad = 0.1 * (hi - lo)
        xs = np.array([lo - pad, hi + pad])
        plot.addLegend(offset=(10, 10), labelTextColor=_TEXT, brush=pg.mkBrush(255, 255, 255, 220),
                       pen=pg.mkPen("#bbbbbb"))
        self.theory_curve = plot.plot(xs, xs, pen=pg.mkPen(_THEORY, width=2, style=Qt.PenStyle.DashLine),
                                      name="theory: y = log(rho)")
        self.points_item = pg.ScatterPlotItem(size=10, pen=pg.mkPen(_TEXT), brush=pg.mkBrush(_POINT),
                                              symbol="o", name="measured")
        plot.addItem(self.points_item)
        plot.addItem(pg.InfiniteLine(pos=0.0, angle=90, pen=pg.mkPen("#999999", style=Qt.PenStyle.DotLine)))
        self._default_span = (lo - pad, hi + pad)
        self._fit_range(np.empty(0))

        content = QWidget()
        content.setObjectName("presetPanelContent")
        layout = QVBoxLayout(content)
        layout.setContentsMargins(8, 8, 8, 8)
        layout.setSpacing(6)
        # The plot comes right under the title: docks are short, and it is what changes as the user
        # moves the control; the explanation is read once.
        for w in (self.hint, self.title, self.decay_plot, self.decay_readout, self.explanation, self.look_at_heading,
                  self.look_at, self.equation, self.compare):
            layout.addWidget(w)
        layout.addStretch(1)
        scroll = QScrollArea(self)
        scroll.setObjectName("presetPanelScroll")
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        scroll.setWidget(content)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        self.set_preset(None)

    # --- what the window calls -------------------------------------------------------------------

    def set_preset(self, preset: PresetInfo | PresetConfig | None, *, decay_plot: bool | None = None) -> None:
        """Show ``preset`` (None: a hint on how to open one). ``decay_plot`` shows or hides the
        edge-of-chaos plot; by default it follows ``preset.decay_plot`` (False for a PresetConfig).
        Clears the measured points and the hint."""
        self.clear_points()
        self.set_hint(None)
        if preset is None:
            self.title.setText("Guided experiment")
            self.explanation.setText(_NO_PRESET)
            self._show_optional(self.look_at, None)
            self._show_optional(self.equation, None)
            self._show_optional(self.compare, None)
            self._set_plot_visible(False)
            return
        error = getattr(preset, "error", None)
        self.title.setText(preset.title)
        self.explanation.setText(f"This experiment file could not be loaded: {error}" if error
                                 else preset.explanation.strip())
        self._show_optional(self.look_at, preset.look_at)
        self._show_optional(self.equation, preset.equation)
        compare = getattr(preset, "compare", None)
        self._show_optional(self.compare, _COMPARE_TEXT.format(compare) if compare else None)
        if decay_plot is None:
            decay_plot = bool(getattr(preset, "decay_plot", False))
        self._set_plot_visible(decay_plot)

    def set_hint(self, text: str | None) -> None:
        """A one-line hint above the title (what to do first); None or "" hides it."""
        self.hint.setText(text or "")
        self.hint.setVisible(bool(text))

    def content_height(self, width: int) -> int:
        """The height the panel needs at ``width`` to show its text without scrolling."""
        content = self.findChild(QWidget, "presetPanelContent")
        layout = content.layout()
        return layout.totalHeightForWidth(width) if layout.hasHeightForWidth() else layout.sizeHint().height()

    def add_point(self, rho: float, decay: float) -> bool:
        """Plot one measurement: (log(rho), decay) where ``decay`` is the measured per-step
        log-decay at spectral radius ``rho``. A rho tried again replaces its earlier point.

        Returns False (and says so in the readout) when ``rho`` is not positive or ``decay`` is not
        finite, e.g. a flow row that was all zeros.
        """
        rho, decay = float(rho), float(decay)
        if not (math.isfinite(rho) and rho > 0 and math.isfinite(decay)):
            self.decay_readout.setText(f"rho = {rho:g}: no measurement (the flow matrix row was empty)")
            return False
        self._points[rho] = decay
        self._redraw_points()
        return True

    def clear_points(self) -> None:
        self._points.clear()
        self._redraw_points()

    @property
    def points(self) -> tuple[tuple[float, float], ...]:
        """The (rho, decay) pairs shown, in the order first tried."""
        return tuple(self._points.items())

    @property
    def plot_visible(self) -> bool:
        return not self.decay_plot.isHidden()

    # --- internals -------------------------------------------------------------------------------

    def _show_optional(self, label: QLabel, text: str | None) -> None:
        label.setText(text.strip() if text else "")
        label.setHidden(not text)
        if label is self.look_at:
            self.look_at_heading.setHidden(not text)

    def _set_plot_visible(self, visible: bool) -> None:
        self.decay_plot.setHidden(not visible)
        self.decay_readout.setHidden(not visible)

    def _fit_range(self, values: np.ndarray) -> None:
        """The same square range on both axes (so y = x runs at 45 degrees), widened to any point
        outside the control's range, e.g. a spectral radius typed into the settings."""
        lo = min(self._default_span[0], float(values.min()) - 0.1) if values.size else self._default_span[0]
        hi = max(self._default_span[1], float(values.max()) + 0.1) if values.size else self._default_span[1]
        plot = self.decay_plot.getPlotItem()
        plot.setXRange(lo, hi, padding=0)
        plot.setYRange(lo, hi, padding=0)
        self.theory_curve.setData([lo, hi], [lo, hi])

    def _redraw_points(self) -> None:
        if self._points:
            rho = np.array(list(self._points))
            decay = np.array(list(self._points.values()))
            self.points_item.setData(x=np.log(rho), y=decay)
            self._fit_range(np.concatenate([np.log(rho), decay]))
            lines = ["  rho   measured   log(rho)   diff"]
            for r, d in sorted(self._points.items()):
                lines.append(f"{r:5.2f}  {d:+9.5f}  {math.log(r):+9.5f}  {d - math.log(r):+.1e}")
            self.decay_readout.setText("\n".join(lines))
        else:
            self.points_item.setData(x=[], y=[])
            self._fit_range(np.empty(0))
            self.decay_readout.setText("Move the spectral-radius control: each value tried is "
                                       "measured and plotted here.")
        self.pointsChanged.emit()
