"""||dL/dh_t|| per time step and layer on a log axis, with Pascanu's envelope and the memory horizon.

Curves are the batch norms ``dL_dh_norm/<l>`` (run A solid, run B dashed in compare mode). The
envelope (dotted, run A, vanilla rnn layers only) is ||dL/dh_t'|| (gamma sigma_max(W_hh))^(t' - t),
anchored at the last loss step t': it bounds the path from that one loss back through one layer
(Pascanu et al. 2013), not the sum over all losses. The memory horizon is
``analysis.memory_horizon``: the lag from a profile's peak to the first step below ``fraction`` of it.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel

from rnn_viz.engine.analysis import ACTIVATION_DERIVATIVE_BOUND, envelope, memory_horizon
from rnn_viz.engine.cell_kinds import CELL_KINDS
from rnn_viz.ui import colormaps as cm
from rnn_viz.ui.state import ViewState

from . import readouts as ro
from .frames import frozen
from .item_updates import steps
from .axes import decade_axis
from .base import BaseView, selection_line, style_plot
from .labels import item_key, legend_html, set_title, text_label

__all__ = ["GradientProfileView", "GradientsFrame", "resolve", "HORIZON_FRACTIONS"]

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
        self._T = 0
        self._table: tuple[list[str], np.ndarray] = (["t"], np.zeros((0, 1)))

    @property
    def fraction(self) -> float:
        return float(self.fraction_box.currentData())

    def _fraction_changed(self) -> None:
        self.invalidate()
        self.redraw()

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
        # Only the layers beyond L are hidden here: apply() decides the others (an envelope or a
        # curve shown here and hidden there again toggled, and was repainted, every frame).
        for env in self.envelopes[L:]:
            env.setVisible(False)

    # -- drawing ---------------------------------------------------------------------------------
    def inputs(self, state: ViewState):
        # traces and config by identity (new objects when they change), labels by value
        return (tuple(r.label for r in state.runs), state.config, self.fraction, *(r.trace for r in state.runs))

    def resolve(self, state: ViewState) -> "GradientsFrame | None":
        return resolve(state, self.fraction)

    def apply(self, frame: "GradientsFrame | None") -> None:
        if frame is None:
            return
        self._T = frame.T
        self._ensure_items(frame.L, len(frame.curves))
        for i, curves in enumerate(self.run_curves):
            for l, item in enumerate(curves):
                y = frame.curves[i][l] if i < len(frame.curves) and l < frame.L else None
                if y is None:
                    if item.xData is None or item.xData.size:  # run B's curves outside compare mode: once
                        item.setData([], [])
                    item.setVisible(False)
                else:
                    item.setData(steps(y.size), y)
                    item.setVisible(True)
        for l in range(frame.L):
            env = frame.envelopes[l]
            self.envelopes[l].setVisible(env is not None)
            if env is not None:
                self.envelopes[l].setData(steps(env.size), env)
        x, y, layers = frame.marks
        key = (tuple(x), tuple(y))
        if key != self._marks_key:  # a scatter update costs ~0.5 ms; horizons rarely move
            self._marks_key = key
            self.horizon_marks.setData(list(x), list(y), brush=[pg.mkBrush(cm.layer_color(l)) for l in layers])
        self.set_span(self.plot, x=frame.x_span, y=frame.y_span)
        if frame.legend != self._legend_key:
            self._legend_key = frame.legend
            entries = [(item_key(self.envelopes[l] if run < 0 else self.run_curves[run][l]), name)
                       for run, l, name in frame.legend]
            self.legend_names = [name for _, _, name in frame.legend]
            set_title(self.plot, TITLE, legend=legend_html(entries))
        self.envelope_text.setText(frame.envelope_text)
        self.horizon_text.setText(frame.horizon_text)
        self._table = (list(frame.columns), frame.rows)
        self.horizons = tuple(list(h) for h in frame.horizons) if len(frame.horizons) > 1 else (list(frame.horizons[0]), [])

    def apply_time_step(self, t: int) -> None:
        self.selection.setValue(t)

    def _csv_table(self) -> tuple[list[str], np.ndarray]:
        return self._table


@dataclass(frozen=True, slots=True)
class GradientsFrame:
    """What the view draws. ``curves[run][layer]``: (T,) log10 ||dL/dh_t|| or None (no such key);
    ``envelopes[layer]``: (T,) log10 envelope clipped to the profile's decades, or None; ``marks``:
    (x, log10 y, layer) of the horizon triangles; ``legend``: (run index, -1 = envelope, layer,
    name); ``horizons[run]``: the horizon of each layer; ``columns``/``rows``: the CSV table."""

    T: int
    L: int
    curves: tuple[tuple[np.ndarray | None, ...], ...]
    envelopes: tuple[np.ndarray | None, ...]
    marks: tuple[tuple[float, ...], tuple[float, ...], tuple[int, ...]]
    x_span: tuple[float, float]
    y_span: tuple[float, float]
    legend: tuple[tuple[int, int, str], ...]
    envelope_text: str
    horizon_text: str
    horizons: tuple[tuple[int, ...], ...]
    columns: tuple[str, ...]
    rows: np.ndarray


def resolve(state: ViewState, fraction: float = DEFAULT_FRACTION) -> GradientsFrame | None:
    """Pure: the frame of ``state`` (None before a first trace). Every run of ``state.runs`` gets
    its curves; the envelope is run A's (its gamma from run A's own activation)."""
    trace = state.trace
    if trace is None:
        return None
    L = ro.layer_count(trace)
    T = int(trace["loss_mask"].shape[1])
    t = np.arange(T, dtype=np.float64)
    cell = ro.cell_kind(trace)
    activation = ro.run_activation(state, "A")
    anchor = ro.last_loss_step(ro.loss_steps(trace["loss_mask"]))
    show_envelope = not CELL_KINDS[cell].gated and anchor is not None
    gamma = ACTIVATION_DERIVATIVE_BOUND.get(activation, 1.0)
    runs = state.runs
    cols, table, plotted = ["t"], [t], []
    curves = [[None] * L for _ in runs]
    horizons = [[] for _ in runs]
    profiles = [[] for _ in runs]
    envelopes: list[np.ndarray | None] = []
    for l in range(L):
        for i, run in enumerate(runs):
            tr = run.trace
            if tr is None or f"dL_dh_norm/{l}" not in tr:
                continue
            profile = np.asarray(tr[f"dL_dh_norm/{l}"], dtype=np.float64)
            curves[i][l] = frozen(ro.log10_or_nan(profile))
            cols.append(f"dL_dh_norm/{l}" if i == 0 else f"dL_dh_norm/{l} [{run.label}]")
            table.append(profile if profile.size == T else np.resize(np.nan, T))
            horizons[i].append(memory_horizon(profile, fraction))
            profiles[i].append(profile)
            plotted.append(profile)
        if show_envelope:
            values, shown = _envelope(l, trace, profiles[0][l], anchor, gamma)
            envelopes.append(frozen(shown))
            cols.append(f"envelope/{l}")
            table.append(values)
            plotted.append(10 ** shown)  # the part drawn stays inside the axes
        else:
            envelopes.append(None)
    shown_runs = [i for i in range(len(runs)) if profiles[i]]
    compare = state.compare
    legend = []
    for l in range(L):
        layer = "" if compare and L == 1 else f"layer {l}, "  # one layer compared: run names suffice
        for i, run in enumerate(runs):
            if i == 0 and not compare:
                legend.append((0, l, f"layer {l}"))
            elif i in shown_runs:
                legend.append((i, l, f"{layer}{run.label}"))
        if show_envelope:
            legend.append((-1, l, f"{layer}envelope"))

    if show_envelope:
        sig = ", ".join(f"{float(trace[f'whh_sigma_max/{l}']):.3g}" for l in range(L))
        envelope_text = (
            f"dotted: ||dL/dh_t'|| (γ·σ_max(W_hh))^(t'−t), t' = {anchor} (last loss step), γ = {gamma:g} "
            f"({activation}), σ_max = {sig}: bounds the path from the loss at t' back through one "
            f"layer, not the sum over all losses")
    elif CELL_KINDS[cell].gated:
        envelope_text = f"no envelope: Pascanu's bound holds for vanilla rnn layers, not for {cell} cells"
    else:
        envelope_text = "no envelope: this batch has no loss step"
    others = [i for i in shown_runs if i > 0]
    run_a = f", {runs[0].label}" if others else ""
    text = f"memory horizon (signal ≥ {fraction:g} × peak){run_a}: " + ", ".join(
        _horizon(l, p, h, fraction) for l, (p, h) in enumerate(zip(profiles[0], horizons[0])))
    for i in others:
        text += f"; {runs[i].label}: " + ", ".join(
            _horizon(l, p, h, fraction) for l, (p, h) in enumerate(zip(profiles[i], horizons[i])))
    return GradientsFrame(
        T=T, L=L, curves=tuple(tuple(c) for c in curves), envelopes=tuple(envelopes),
        marks=_marks([np.asarray(trace[f"dL_dh_norm/{l}"]) for l in range(L)], horizons[0]),
        x_span=(-0.5, T - 0.5), y_span=ro.decade_span(*plotted), legend=tuple(legend),
        envelope_text=envelope_text, horizon_text=text, horizons=tuple(tuple(h) for h in horizons),
        columns=tuple(cols), rows=frozen(np.column_stack(table)))


def _envelope(l: int, trace, profile: np.ndarray, anchor: int, gamma: float) -> tuple[np.ndarray, np.ndarray]:
    """(T,) envelope of layer l (NaN off the anchor's backward window), and (T,) its log10 as drawn:
    clipped to the profile's own decades so a fast-vanishing bound does not squash the axis."""
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
    return values, shown


def _marks(profiles: list[np.ndarray], horizons: list[int]):
    """A triangle on each layer's first step below the fraction (none if the signal reaches t = 0)."""
    x, y, layers = [], [], []
    for l, (profile, horizon) in enumerate(zip(profiles, horizons)):
        step = (int(np.argmax(profile)) if profile.size else 0) - horizon
        if horizon and step >= 0 and profile[step] > 0:
            x.append(float(step))
            y.append(float(np.log10(profile[step])))
            layers.append(l)
    return tuple(x), tuple(y), tuple(layers)
