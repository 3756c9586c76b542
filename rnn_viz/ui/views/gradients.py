"""||dL/dh_t|| per time step and layer on a log axis, with Pascanu's envelope and the memory horizon.

Curves are the batch norms ``dL_dh_norm/<l>`` (run A solid, run B dashed in compare mode). The
envelope (dotted, run A, vanilla rnn layers only) is ||dL/dh_t'|| (gamma sigma_max(W_hh))^(t' - t),
anchored at the last loss step t': it bounds the path from that one loss back through one layer
(Pascanu et al. 2013), not the sum over all losses. The memory horizon is
``analysis.memory_horizon``: the lag from a profile's peak to the first step below ``fraction`` of it.
"""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel

from rnn_viz.engine.analysis import ACTIVATION_DERIVATIVE_BOUND, envelope, memory_horizon
from rnn_viz.ui import colormaps as cm
from rnn_viz.ui.state import ViewState

from . import readouts as ro
from .base import BaseView, decade_axis, item_key, legend_html, selection_line, set_title, style_plot, text_label

__all__ = ["GradientProfileView", "HORIZON_FRACTIONS"]

HORIZON_FRACTIONS = (1e-1, 1e-2, 1e-3, 1e-4, 1e-6)
DEFAULT_FRACTION = 1e-3
TITLE = "||dL/dh_t|| per time step"
TIP = ("How much of the loss's gradient reaches the hidden state at each time step (norm over the "
       "batch and units, log axis). A curve falling to the left is the gradient vanishing; the "
       "triangle marks the memory horizon read out below.")


def _horizon(layer: int, profile: np.ndarray, horizon: int, fraction: float) -> str:
    """``layer``'s horizon in words; a signal that never falls below the fraction is said to reach
    step 0 (its horizon is then only the distance from the peak to step 0, not a memory limit)."""
    peak = int(np.argmax(profile)) if profile.size else 0
    if horizon and horizon == peak + 1 and profile[0] >= fraction * profile[peak]:
        return f"layer {layer}: reaches t = 0"
    return f"layer {layer}: {horizon} step" + ("" if horizon == 1 else "s")


class GradientProfileView(BaseView):
    """How far back the error signal reaches: one curve per layer (and run), log scale."""

    OBJECT_NAME = "gradientProfileView"

    def __init__(self, parent=None):
        super().__init__(parent)
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 2, 6, 0)
        bar.addWidget(QLabel("memory horizon: signal at least"))
        self.fraction_box = QComboBox()
        self.fraction_box.setObjectName("horizonFraction")
        self.fraction_box.setToolTip("The horizon is the lag from the peak of ||dL/dh_t|| to the first "
                                     "step where it falls below this fraction of the peak")
        for f in HORIZON_FRACTIONS:
            self.fraction_box.addItem(f"{f:g} of peak", f)
        self.fraction_box.setCurrentIndex(HORIZON_FRACTIONS.index(DEFAULT_FRACTION))
        self.fraction_box.currentIndexChanged.connect(self._fraction_changed)
        bar.addWidget(self.fraction_box)
        bar.addStretch(1)
        self.layout().insertLayout(0, bar)

        self.plot = style_plot(self.canvas.addPlot(row=0, col=0, axisItems=decade_axis(steps=("bottom",))),
                               left="||dL/dh_t|| (batch)", bottom="time step t")
        set_title(self.plot, TITLE, tip=TIP)
        self.plot.setLogMode(y=True)
        self.plot.getAxis("left").enableAutoSIPrefix(False)
        self.follow_data(self.plot)
        self.selection = selection_line(self.plot)
        self.envelope_text = text_label()
        self.horizon_text = text_label()
        self.canvas.addItem(self.envelope_text, row=1, col=0)
        self.canvas.addItem(self.horizon_text, row=2, col=0)
        self.on_click(self.plot, lambda x, y: self.emit_step(x, self._T))

        # Plain curves fed log10 values (the axis is log-labelled); see readouts.log10_or_nan.
        self.curves_a: list[pg.PlotCurveItem] = []
        self.curves_b: list[pg.PlotCurveItem] = []
        self.envelopes: list[pg.PlotCurveItem] = []
        self.horizon_marks = pg.ScatterPlotItem(symbol="t", size=11, pen=pg.mkPen(cm.FOREGROUND, width=0.8))
        self.horizon_marks.setZValue(10)
        self.plot.addItem(self.horizon_marks)
        self._marks_key = None
        self._legend_key = None
        self.legend_names: list[str] = []
        self._last = None
        self._state: ViewState | None = None
        self._T = 0
        self._table: tuple[list[str], np.ndarray] = (["t"], np.zeros((0, 1)))

    @property
    def fraction(self) -> float:
        return float(self.fraction_box.currentData())

    def _fraction_changed(self) -> None:
        if self._state is not None:
            self._last = None
            self.render(self._state)

    # -- structure -------------------------------------------------------------------------------
    def _ensure_layers(self, L: int) -> None:
        """One curve of each kind per layer; more only when a model with more layers arrives."""
        while len(self.curves_a) < L:
            l = len(self.curves_a)
            color = cm.layer_color(l)
            a = pg.PlotCurveItem(pen=cm.layer_pen(l), connect="finite")
            b = pg.PlotCurveItem(pen=cm.layer_pen(l, run_b=True), connect="finite")
            env = pg.PlotCurveItem(pen=pg.mkPen(color, width=1.5, style=Qt.PenStyle.DotLine), connect="finite")
            for item in (env, b, a):
                self.plot.addItem(item)
            self.curves_a.append(a)
            self.curves_b.append(b)
            self.envelopes.append(env)
        for l, items in enumerate(zip(self.curves_a, self.curves_b, self.envelopes)):
            for item in items:
                item.setVisible(l < L)

    def _update_legend(self, L: int, state: ViewState, show_envelope: bool) -> None:
        compare = state.trace_b is not None
        key = (L, compare, state.label_a, state.label_b, show_envelope)
        if key == self._legend_key:
            return
        self._legend_key = key
        entries = []
        for l in range(L):
            # one layer compared: the run names alone say which curve is which
            layer = "" if compare and L == 1 else f"layer {l}, "
            entries.append((item_key(self.curves_a[l]), f"{layer}{state.label_a}" if compare else f"layer {l}"))
            if compare:
                entries.append((item_key(self.curves_b[l]), f"{layer}{state.label_b}"))
            if show_envelope:
                entries.append((item_key(self.envelopes[l]), f"{layer}envelope"))
        self.legend_names = [name for _, name in entries]
        set_title(self.plot, TITLE, legend=legend_html(entries))

    # -- drawing ---------------------------------------------------------------------------------
    def _render(self, state: ViewState) -> None:
        self._state = state
        trace = state.trace
        if trace is None:
            return
        key = (trace, state.trace_b, state.config, state.label_a, state.label_b)
        if self._last is None or any(x is not y for x, y in zip(key, self._last)):
            self._last = key
            self._draw(state)
        if self.time_step_changed(state):
            self.selection.setValue(state.time_step)

    def _draw(self, state: ViewState) -> None:
        trace, trace_b = state.trace, state.trace_b
        L = ro.layer_count(trace)
        T = int(trace["loss_mask"].shape[1])
        self._T = T
        self._ensure_layers(L)
        t = np.arange(T, dtype=np.float64)
        cell = ro.cell_kind(trace)
        model = state.config.get("model", {}) if state.config else {}
        activation = model.get("activation") or "tanh"
        steps = ro.loss_steps(trace["loss_mask"])
        anchor = ro.last_loss_step(steps)
        show_envelope = cell == "rnn" and anchor is not None
        gamma = ACTIVATION_DERIVATIVE_BOUND.get(activation, 1.0)
        fraction = self.fraction

        cols, table = ["t"], [t]
        horizons_a, horizons_b, plotted = [], [], []
        profiles_a, profiles_b = [], []
        for l in range(L):
            profile = np.asarray(trace[f"dL_dh_norm/{l}"], dtype=np.float64)
            self.curves_a[l].setData(t, ro.log10_or_nan(profile))
            cols.append(f"dL_dh_norm/{l}")
            table.append(profile)
            plotted.append(profile)
            horizons_a.append(memory_horizon(profile, fraction))
            profiles_a.append(profile)
            if trace_b is not None and f"dL_dh_norm/{l}" in trace_b:
                profile_b = np.asarray(trace_b[f"dL_dh_norm/{l}"], dtype=np.float64)
                tb = np.arange(profile_b.size, dtype=np.float64)
                self.curves_b[l].setData(tb, ro.log10_or_nan(profile_b))
                self.curves_b[l].setVisible(True)
                cols.append(f"dL_dh_norm/{l} [{state.label_b}]")
                table.append(profile_b if profile_b.size == T else np.resize(np.nan, T))
                horizons_b.append(memory_horizon(profile_b, fraction))
                profiles_b.append(profile_b)
                plotted.append(profile_b)
            else:
                self.curves_b[l].setData([], [])
                self.curves_b[l].setVisible(False)
            env = self._draw_envelope(l, trace, profile, anchor, gamma) if show_envelope else np.full(T, np.nan)
            self.envelopes[l].setVisible(show_envelope)
            if show_envelope:
                cols.append(f"envelope/{l}")
                table.append(env)
                plotted.append(10 ** self.envelopes[l].getData()[1])  # the part drawn stays inside the axes
        self._mark_horizons([np.asarray(trace[f"dL_dh_norm/{l}"]) for l in range(L)], horizons_a)
        self.set_span(self.plot, x=(-0.5, T - 0.5), y=ro.decade_span(*plotted))
        self._update_legend(L, state, show_envelope)
        self._table = (cols, np.column_stack(table))

        if show_envelope:
            sig = ", ".join(f"{float(trace[f'whh_sigma_max/{l}']):.3g}" for l in range(L))
            self.envelope_text.setText(
                f"dotted: ||dL/dh_t'|| (γ·σ_max(W_hh))^(t'−t), t' = {anchor} (last loss step), γ = {gamma:g} "
                f"({activation}), σ_max = {sig}: bounds the path from the loss at t' back through one "
                f"layer, not the sum over all losses")
        elif cell != "rnn":
            self.envelope_text.setText(f"no envelope: Pascanu's bound holds for vanilla rnn layers, "
                                       f"not for {cell} cells")
        else:
            self.envelope_text.setText("no envelope: this batch has no loss step")
        run_a = f", {state.label_a}" if horizons_b else ""
        text = f"memory horizon (signal ≥ {fraction:g} × peak){run_a}: " + ", ".join(
            _horizon(l, p, h, fraction) for l, (p, h) in enumerate(zip(profiles_a, horizons_a)))
        if horizons_b:
            text += f"; {state.label_b}: " + ", ".join(
                _horizon(l, p, h, fraction) for l, (p, h) in enumerate(zip(profiles_b, horizons_b)))
        self.horizon_text.setText(text)
        self.horizons = (horizons_a, horizons_b)

    def _draw_envelope(self, l: int, trace, profile: np.ndarray, anchor: int, gamma: float) -> np.ndarray:
        """(T,) envelope of layer l (NaN off the anchor's backward window); drawn clipped to the
        profile's own decades so a fast-vanishing bound does not squash the axis."""
        T = profile.size
        start = int(np.asarray(trace["window_start"])[anchor])
        k = np.arange(start, anchor + 1)
        values = np.full(T, np.nan)
        values[k] = profile[anchor] * envelope(float(trace[f"whh_sigma_max/{l}"]), anchor - k, gamma)
        good = profile[np.isfinite(profile) & (profile > 0)]
        shown = ro.log10_or_nan(values)
        if good.size:
            lo, hi = np.log10(good.min()) - 1, np.log10(good.max()) + 1
            shown[(shown < lo) | (shown > hi)] = np.nan
        self.envelopes[l].setData(np.arange(T, dtype=np.float64), shown)
        return values

    def _mark_horizons(self, profiles: list[np.ndarray], horizons: list[int]) -> None:
        """A triangle on each layer's first step below the fraction (none if the signal reaches t = 0)."""
        x, y, brushes = [], [], []
        for l, (profile, horizon) in enumerate(zip(profiles, horizons)):
            step = (int(np.argmax(profile)) if profile.size else 0) - horizon
            if horizon and step >= 0 and profile[step] > 0:
                x.append(float(step))
                y.append(float(np.log10(profile[step])))
                brushes.append(pg.mkBrush(cm.layer_color(l)))
        key = (tuple(x), tuple(y))
        if key != self._marks_key:  # a scatter update costs ~0.5 ms; horizons rarely move
            self._marks_key = key
            self.horizon_marks.setData(x, y, brush=brushes)

    def _csv_table(self) -> tuple[list[str], np.ndarray]:
        return self._table
