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
        self.run_curves: list[list[pg.PlotCurveItem]] = []  # [run index][layer]
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

    @property
    def curves_a(self) -> list[pg.PlotCurveItem]:
        return self.run_curves[0] if self.run_curves else []

    @property
    def curves_b(self) -> list[pg.PlotCurveItem]:
        return self.run_curves[1] if len(self.run_curves) > 1 else []

    # -- structure -------------------------------------------------------------------------------
    def _ensure_items(self, L: int, runs: int) -> None:
        """One curve per layer and run plus one envelope per layer; created when a model with more
        layers or a comparison with more runs first arrives, hidden when not needed."""
        runs = max(runs, 2)  # run A and B's curves always exist (B's hidden outside compare mode)
        while len(self.envelopes) < L:
            l = len(self.envelopes)
            env = pg.PlotCurveItem(pen=pg.mkPen(cm.layer_color(l), width=1.5, style=Qt.PenStyle.DotLine),
                                   connect="finite")
            self.plot.addItem(env)
            self.envelopes.append(env)
        while len(self.run_curves) < runs:
            self.run_curves.append([])
        for r, curves in enumerate(self.run_curves):
            while len(curves) < len(self.envelopes):
                item = pg.PlotCurveItem(pen=cm.layer_pen(len(curves), run=r), connect="finite")
                item.setZValue(-r)  # run A on top
                self.plot.addItem(item)
                curves.append(item)
        for l, env in enumerate(self.envelopes):
            env.setVisible(l < L)
            for curves in self.run_curves:
                curves[l].setVisible(l < L)

    def _update_legend(self, L: int, state: ViewState, shown: list[int], show_envelope: bool) -> None:
        compare = state.compare
        key = (L, tuple((r.name, r.label) for r in state.runs), tuple(shown), show_envelope)
        if key == self._legend_key:
            return
        self._legend_key = key
        entries = []
        for l in range(L):
            # one layer compared: the run names alone say which curve is which
            layer = "" if compare and L == 1 else f"layer {l}, "
            for i, run in enumerate(state.runs):
                if i == 0 and not compare:
                    entries.append((item_key(self.run_curves[0][l]), f"layer {l}"))
                elif i in shown:
                    entries.append((item_key(self.run_curves[i][l]), f"{layer}{run.label}"))
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
        # traces and config by identity (new objects when they change), labels by value
        key = (tuple(r.label for r in state.runs), state.config, *(r.trace for r in state.runs))
        last = self._last
        if (last is None or len(key) != len(last) or key[0] != last[0]
                or any(x is not y for x, y in zip(key[1:], last[1:]))):
            self._last = key
            self._draw(state)
        if self.time_step_changed(state):
            self.selection.setValue(state.time_step)

    def _draw(self, state: ViewState) -> None:
        trace = state.trace
        L = ro.layer_count(trace)
        T = int(trace["loss_mask"].shape[1])
        self._T = T
        self._ensure_items(L, len(state.runs))
        t = np.arange(T, dtype=np.float64)
        cell = ro.cell_kind(trace)
        model = state.config.get("model", {}) if state.config else {}
        activation = model.get("activation") or "tanh"
        steps = ro.loss_steps(trace["loss_mask"])
        anchor = ro.last_loss_step(steps)
        show_envelope = cell == "rnn" and anchor is not None
        gamma = ACTIVATION_DERIVATIVE_BOUND.get(activation, 1.0)
        fraction = self.fraction

        cols, table, plotted = ["t"], [t], []
        runs = state.runs
        horizons = [[] for _ in runs]
        profiles = [[] for _ in runs]
        for l in range(L):
            for i, run in enumerate(runs):
                item = self.run_curves[i][l]
                tr = run.trace
                if tr is None or f"dL_dh_norm/{l}" not in tr:
                    item.setData([], [])
                    item.setVisible(False)
                    continue
                profile = np.asarray(tr[f"dL_dh_norm/{l}"], dtype=np.float64)
                item.setData(np.arange(profile.size, dtype=np.float64), ro.log10_or_nan(profile))
                item.setVisible(True)
                cols.append(f"dL_dh_norm/{l}" if i == 0 else f"dL_dh_norm/{l} [{run.label}]")
                table.append(profile if profile.size == T else np.resize(np.nan, T))
                horizons[i].append(memory_horizon(profile, fraction))
                profiles[i].append(profile)
                plotted.append(profile)
            profile = profiles[0][l]
            env = self._draw_envelope(l, trace, profile, anchor, gamma) if show_envelope else np.full(T, np.nan)
            self.envelopes[l].setVisible(show_envelope)
            if show_envelope:
                cols.append(f"envelope/{l}")
                table.append(env)
                plotted.append(10 ** self.envelopes[l].getData()[1])  # the part drawn stays inside the axes
        for curves in self.run_curves[len(runs):]:
            for item in curves:
                item.setData([], [])
                item.setVisible(False)
        self._mark_horizons([np.asarray(trace[f"dL_dh_norm/{l}"]) for l in range(L)], horizons[0])
        self.set_span(self.plot, x=(-0.5, T - 0.5), y=ro.decade_span(*plotted))
        shown = [i for i in range(len(runs)) if profiles[i]]
        self._update_legend(L, state, shown, show_envelope)
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
        others = [i for i in shown if i > 0]
        run_a = f", {runs[0].label}" if others else ""
        text = f"memory horizon (signal ≥ {fraction:g} × peak){run_a}: " + ", ".join(
            _horizon(l, p, h, fraction) for l, (p, h) in enumerate(zip(profiles[0], horizons[0])))
        for i in others:
            text += f"; {runs[i].label}: " + ", ".join(
                _horizon(l, p, h, fraction) for l, (p, h) in enumerate(zip(profiles[i], horizons[i])))
        self.horizon_text.setText(text)
        self.horizons = tuple(horizons) if len(horizons) > 1 else (horizons[0], [])

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
