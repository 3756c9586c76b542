"""The dynamics lens: Lyapunov spectrum, eigenvalue plane, singular values, fixed points on the PCA plane.

Every number comes from the ``dyn/`` keys of ``experiment.dynamics.analyse`` (docs/trace-keys.md):
either the run's trace already holds them (``rnn-viz run --dynamics``, ``--plots``) or the window
computed them on request (:mod:`rnn_viz.ui.dynamics_job`) and handed them over with ``set_results``.
``resolve`` turns (state, results, run, layer) into a frozen :class:`DynamicsFrame` without Qt;
``DynamicsView.apply`` only calls setData/setText on items made once.

Panels: (1) the k exponents lambda_i (natural log per step), with the measured per-step slope of
log F[t, k] against lag (``dyn/flow_slope``), which for long lags approaches lambda_1; (2) the
eigenvalues of each gate block of W_hh and of the step Jacobian at ``dyn/step``, with the unit
circle; (3) a histogram of log10 of the singular values of ds_T/ds_(T-lag); (4) the visited states
(all samples grey, the selected one in colour) projected on the first two principal axes
``dyn/fp/pca``, with the fixed points (stable filled, saddles as crosses) and slow points (hollow).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QProgressBar, QPushButton

from rnn_viz.engine.cell_kinds import CELL_KINDS
from rnn_viz.ui import colormaps as cm
from rnn_viz.ui.state import ViewState

from . import readouts as ro
from .base import BaseView, style_plot
from .labels import legend_html, set_title, text_label
from .runs import RunSelector

__all__ = ["DynamicsView", "DynamicsFrame", "DynamicsResult", "resolve", "dyn_keys", "HIST_BINS"]

HIST_BINS = 24
CIRCLE = np.exp(1j * np.linspace(0.0, 2.0 * np.pi, 181))
EMPTY = np.zeros(0)
UNGATED_BLOCK = "W_hh"  # the name of an rnn's one block of W_hh (a gated cell's are its gates')
TIP = ("Computed on request (the Compute button, Ctrl+D) and when training pauses, from the trace "
       "shown: the batch and the parameters it was taken at.")


@dataclass(frozen=True, slots=True)
class DynamicsResult:
    """What the window computed for one run: the trace it used and the ``dyn/`` keys of it."""

    trace: Mapping[str, np.ndarray]
    dyn: Mapping[str, np.ndarray]
    update: int = 0


@dataclass(frozen=True, slots=True)
class DynamicsFrame:
    """Everything the view draws. Arrays are 1-D float64 unless said otherwise."""

    title: str
    status: str
    layers: int
    exponents: np.ndarray            # (k,) lambda_i, descending
    flow_slope: float                # NaN when unknown
    lyapunov_title: str
    whh: tuple[np.ndarray, ...]      # per gate block: (H,) complex
    gate_names: tuple[str, ...]
    step_eig: np.ndarray             # (S,) complex
    eig_title: str
    sv_edges: np.ndarray             # (HIST_BINS + 1,) log10 sigma
    sv_counts: np.ndarray            # (HIST_BINS,)
    sv_title: str
    cloud: tuple[np.ndarray, np.ndarray]      # every sample's trajectory on PC1, PC2 (NaN between samples)
    path: tuple[np.ndarray, np.ndarray]       # the selected sample's trajectory
    stable: tuple[np.ndarray, np.ndarray]
    saddle: tuple[np.ndarray, np.ndarray]
    slow: tuple[np.ndarray, np.ndarray]
    pca_title: str
    table: tuple[tuple[str, ...], np.ndarray]  # CSV: columns, rows


def dyn_keys(trace: Mapping[str, np.ndarray] | None) -> dict[str, np.ndarray]:
    """The ``dyn/`` keys a trace already carries (``rnn-viz run --dynamics``)."""
    return {k: v for k, v in (trace or {}).items() if k.startswith("dyn/")}


def _stacked_states(trace, cell: str, L: int) -> np.ndarray | None:
    """(B, T, L*S): the state of the whole stack, layer by layer (h, then c for lstm), as the
    fixed-point finder stacks it (engine.fixed_points.visited_states)."""
    parts = []
    for l in range(L):
        if f"hidden/{l}" not in trace:
            return None
        parts.append(np.asarray(trace[f"hidden/{l}"], dtype=np.float64))
        if CELL_KINDS[cell].cell_state:
            if f"cell/{l}" not in trace:
                return None
            parts.append(np.asarray(trace[f"cell/{l}"], dtype=np.float64))
    return np.concatenate(parts, axis=-1)


def _xy(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    z = np.asarray(z)
    return np.ascontiguousarray(z.real, dtype=np.float64), np.ascontiguousarray(z.imag, dtype=np.float64)


def _empty_frame(title: str, status: str, layers: int = 1) -> DynamicsFrame:
    none = (EMPTY, EMPTY)
    return DynamicsFrame(title, status, layers, EMPTY, float("nan"), "Lyapunov spectrum", (), (), EMPTY.astype(complex),
                         "Eigenvalues", np.zeros(HIST_BINS + 1), np.zeros(HIST_BINS), "Singular values",
                         none, none, none, none, none, "Fixed points", (("i",), np.zeros((0, 1))))


def _histogram(sv: np.ndarray) -> tuple[np.ndarray, np.ndarray, int]:
    """log10 histogram of the positive finite singular values; also how many were 0 or not finite."""
    sv = np.asarray(sv, dtype=np.float64)
    good = sv[np.isfinite(sv) & (sv > 0)]
    if good.size == 0:
        return np.linspace(-1, 1, HIST_BINS + 1), np.zeros(HIST_BINS), sv.size
    logs = np.log10(good)
    lo, hi = float(logs.min()), float(logs.max())
    if hi - lo < 1e-9:
        lo, hi = lo - 0.5, hi + 0.5
    counts, edges = np.histogram(logs, bins=HIST_BINS, range=(lo, hi))
    return edges.astype(np.float64), counts.astype(np.float64), int(sv.size - good.size)


def _table(exponents, whh, gates, step_eig, sv, fp_rows) -> tuple[tuple[str, ...], np.ndarray]:
    """One numeric table, a column per quantity, NaN-padded (written as empty cells)."""
    cols: list[tuple[str, np.ndarray]] = [("lyapunov", exponents), ("jacobian_sv", sv)]
    for name, z in zip(gates, whh):
        cols += [(f"whh_eig_{name}_re", z.real), (f"whh_eig_{name}_im", z.imag)]
    cols += [("step_jacobian_eig_re", step_eig.real), ("step_jacobian_eig_im", step_eig.imag)]
    cols += fp_rows
    n = max((len(v) for _, v in cols), default=0)
    out = np.full((n, len(cols) + 1), np.nan)
    out[:, 0] = np.arange(n)
    for j, (_, v) in enumerate(cols):
        out[: len(v), j + 1] = np.asarray(v, dtype=np.float64)
    return ("i", *(c for c, _ in cols)), out


def resolve(state: ViewState, results: Mapping[str, DynamicsResult], run: str = "A", layer: int = 0,
            prefix: str = "", error: str | None = None) -> DynamicsFrame:
    """The frame for run ``run`` ("A", "B", ...) and ``layer`` of ``state``.

    ``results``: per run id, what the window computed; without one, the run's own trace's ``dyn/``
    keys are drawn (a trace from ``rnn-viz run --dynamics``). ``error``: why the last computation
    failed, said in place of the "not computed yet" hint.
    """
    r = state.run(run)
    result = results.get(r.id)
    trace = result.trace if result is not None else r.trace
    dyn = result.dyn if result is not None else dyn_keys(r.trace)
    if trace is None:
        return _empty_frame(f"{prefix}Dynamics", "no trace yet")
    L = ro.layer_count(trace)
    if "dyn/lyapunov/0" not in dyn:
        hint = ("Press Compute (Ctrl+D), or pause training, to compute the dynamics of the trace shown."
                if error is None else f"Cannot compute the dynamics: {error}")
        return _empty_frame(f"{prefix}Dynamics: not computed yet", hint, L)
    layer = min(max(layer, 0), L - 1)
    cell = ro.cell_kind(trace)
    when = f" at update {result.update}" if result is not None else ""
    lam = np.asarray(dyn[f"dyn/lyapunov/{layer}"], dtype=np.float64)
    slope = float(dyn.get(f"dyn/flow_slope/{layer}", np.nan))
    ky = float(dyn.get(f"dyn/kaplan_yorke/{layer}", np.nan))
    top = f"λ₁ = {lam[0]:.3g}" if lam.size else "λ₁ = -"
    lyap_title = f"Lyapunov: {top}"
    lyap_detail = f"{top}, slope of log F per lag {slope:.3g}, Kaplan–Yorke dimension {ky:.3g}"
    whh = tuple(np.asarray(z, dtype=np.complex128) for z in np.asarray(dyn[f"dyn/whh_eig/{layer}"]))
    gates = (CELL_KINDS[cell].gates or (UNGATED_BLOCK,))[: len(whh)]
    step_eig = np.asarray(dyn[f"dyn/step_jacobian_eig/{layer}"], dtype=np.complex128)
    step = int(dyn.get("dyn/step", -1))
    rho = float(np.abs(step_eig).max()) if step_eig.size else float("nan")
    eig_title = "Eigenvalues"
    eig_detail = f"step Jacobian at t = {step}: max |λ| {rho:.3g}"
    sv = np.asarray(dyn[f"dyn/jacobian_sv/{layer}"], dtype=np.float64)
    edges, counts, bad = _histogram(sv)
    lag = int(dyn.get("dyn/lag", 0))
    sv_title = f"Singular values, lag {lag}" + (f" ({bad} zero or inf)" if bad else "")

    none = (EMPTY, EMPTY)
    cloud = path = stable = saddle = slow = none
    fp_rows: list[tuple[str, np.ndarray]] = []
    pca_title = "Fixed points: not computed"
    fp_detail = "no fixed points in this analysis"
    if "dyn/fp/pca" in dyn:
        axes = np.asarray(dyn["dyn/fp/pca"], dtype=np.float64)[:2]
        states = _stacked_states(trace, cell, L)
        if states is not None and states.shape[-1] == axes.shape[1]:
            proj = states @ axes.T  # (B, T, 2)
            B, T = proj.shape[:2]
            b = min(state.sample, B - 1)
            gap = np.full((B, 1, 2), np.nan)  # breaks the line between samples
            flat = np.concatenate([proj, gap], axis=1).reshape(-1, 2)
            cloud = (flat[:, 0].copy(), flat[:, 1].copy())
            path = (proj[b, :, 0].copy(), proj[b, :, 1].copy())
        points = np.asarray(dyn["dyn/fp/state"], dtype=np.float64).reshape(-1, axes.shape[1]) @ axes.T
        moduli = np.asarray(dyn["dyn/fp/max_abs_eig"], dtype=np.float64)
        unstable = np.asarray(dyn["dyn/fp/unstable"])
        is_stable = moduli < 1.0
        stable = (points[is_stable, 0].copy(), points[is_stable, 1].copy())
        saddle = (points[~is_stable, 0].copy(), points[~is_stable, 1].copy())
        slow_points = np.asarray(dyn.get("dyn/slow/state", np.zeros((0, axes.shape[1]))), dtype=np.float64)
        slow_xy = slow_points.reshape(-1, axes.shape[1]) @ axes.T
        slow = (slow_xy[:, 0].copy(), slow_xy[:, 1].copy())
        fp_rows = [("fp_pc1", points[:, 0]), ("fp_pc2", points[:, 1]), ("fp_max_abs_eig", moduli),
                   ("fp_unstable", unstable.astype(np.float64)), ("fp_q", np.asarray(dyn["dyn/fp/q"]))]
        if slow_xy.shape[0]:
            fp_rows += [("slow_pc1", slow_xy[:, 0]), ("slow_pc2", slow_xy[:, 1]),
                        ("slow_q", np.asarray(dyn["dyn/slow/q"]))]
        x_star = np.asarray(dyn.get("dyn/fp/input", EMPTY))
        shown = "0" if x_star.size and not np.any(x_star) else ", ".join(f"{v:.3g}" for v in x_star)
        pca_title = (f"{int(is_stable.sum())} stable, {int((~is_stable).sum())} saddle{'s' if (~is_stable).sum() != 1 else ''}"
                     + (f", {slow_xy.shape[0]} slow" if slow_xy.shape[0] else ""))
        fp_detail = f"fixed points at x* = {shown} on PC1, PC2 of the visited states"
    status = (f"{prefix}Layer {layer}: {lyap_detail}; dashed: flow slope. Eigenvalues: dots W_hh, ✕ {eig_detail}. "
              f"σ of ∂s_T/∂s_(T−{lag}). {fp_detail[0].upper() + fp_detail[1:]}: ● stable, ✕ saddle, ○ slow. "
              f"Computed{when or ' with the trace'}.")
    return DynamicsFrame(f"{prefix}Dynamics", status, L, lam, slope, lyap_title, whh, gates, step_eig, eig_title,
                         edges, counts, sv_title, cloud, path, stable, saddle, slow, pca_title,
                         _table(lam, whh, gates, step_eig, sv, fp_rows))


CANVAS_MINIMUM = (2 * (150 + 75), 2 * (150 + 150))  # logical px: four panels and their texts


class DynamicsView(BaseView):
    """The four dynamics panels of one run and layer; ``computeRequested`` asks the window for them."""

    OBJECT_NAME = "dynamicsView"
    computeRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self._results: dict[str, DynamicsResult] = {}
        self._error: str | None = None
        self._layer = 0
        self._key = None
        self.frame: DynamicsFrame | None = None
        bar = QHBoxLayout()
        bar.setContentsMargins(6, 2, 6, 0)
        self.compute_button = QPushButton("Compute")
        self.compute_button.setObjectName("dynamicsCompute")
        self.compute_button.setToolTip(TIP + " (Ctrl+D)")
        self.compute_button.clicked.connect(self.computeRequested)
        bar.addWidget(self.compute_button)
        self.progress = QProgressBar()
        self.progress.setObjectName("dynamicsProgress")
        self.progress.setRange(0, 0)  # busy: the analysis has no fraction to report
        self.progress.setMaximumWidth(120)
        self.progress.setTextVisible(False)
        self.progress.hide()
        bar.addWidget(self.progress)
        bar.addWidget(QLabel("layer"))
        self.layer_box = QComboBox()
        self.layer_box.setObjectName("dynamicsLayer")
        self.layer_box.addItem("0", 0)
        self.layer_box.currentIndexChanged.connect(self._layer_changed)
        bar.addWidget(self.layer_box)
        self.run_selector = RunSelector("dynamicsRun")
        self.run_selector.changed.connect(self.redraw)
        bar.addWidget(self.run_selector)
        bar.addStretch(1)
        self.layout().insertLayout(0, bar)

        self.lyap_plot = style_plot(self.canvas.addPlot(row=0, col=0), left="λ_i per step", bottom="i")
        self.follow_data(self.lyap_plot)
        self.lyap_item = pg.ScatterPlotItem(size=7, brush=pg.mkBrush(cm.layer_color(0)), pen=None)
        self.lyap_line = pg.PlotCurveItem(pen=pg.mkPen(cm.layer_color(0), width=1))
        self.slope_line = pg.InfiniteLine(angle=0, movable=False,
                                          pen=pg.mkPen(cm.ACCENT, width=1.5, style=Qt.PenStyle.DashLine))
        self.lyap_plot.addItem(pg.InfiniteLine(pos=0.0, angle=0, pen=pg.mkPen("#999999", width=1)))
        for item in (self.lyap_line, self.lyap_item, self.slope_line):
            self.lyap_plot.addItem(item)

        self.eig_plot = style_plot(self.canvas.addPlot(row=0, col=1), left="Im λ", bottom="Re λ")
        self.eig_plot.setAspectLocked(True)
        self.circle = pg.PlotCurveItem(CIRCLE.real, CIRCLE.imag, pen=pg.mkPen("#999999", width=1))
        self.eig_plot.addItem(self.circle)
        self.whh_items = [pg.ScatterPlotItem(size=6, pen=None, brush=pg.mkBrush(cm.layer_color(g)))
                          for g in range(4)]
        for item in self.whh_items:
            self.eig_plot.addItem(item)
        self.step_item = pg.ScatterPlotItem(size=8, symbol="x", pen=pg.mkPen(cm.FOREGROUND, width=1.2),
                                            brush=pg.mkBrush(cm.FOREGROUND))
        self.eig_plot.addItem(self.step_item)

        self.sv_plot = style_plot(self.canvas.addPlot(row=1, col=0), left="count", bottom="log10 σ")
        fill = pg.mkColor(cm.layer_color(0))
        fill.setAlpha(120)
        self.sv_item = pg.PlotCurveItem(np.zeros(HIST_BINS + 1), np.zeros(HIST_BINS), stepMode="center",
                                        fillLevel=0.0, brush=fill, pen=pg.mkPen(cm.layer_color(0), width=1))
        self.sv_plot.addItem(self.sv_item)

        self.pca_plot = style_plot(self.canvas.addPlot(row=1, col=1), left="PC2", bottom="PC1")
        # Two by two panels, each at least 150 px with its title, axes and readout: a smaller dock scrolls.
        self.set_canvas_minimum(*CANVAS_MINIMUM)
        self.cloud_item = pg.PlotCurveItem(pen=pg.mkPen("#c8c8c8", width=1), connect="finite")
        self.path_item = pg.PlotCurveItem(pen=pg.mkPen(cm.layer_color(0), width=1.5), connect="finite")
        self.stable_item = pg.ScatterPlotItem(size=11, symbol="o", pen=pg.mkPen(cm.FOREGROUND, width=1),
                                              brush=pg.mkBrush(cm.layer_color(1)))
        self.saddle_item = pg.ScatterPlotItem(size=11, symbol="x", pen=None, brush=pg.mkBrush(cm.ACCENT))
        self.slow_item = pg.ScatterPlotItem(size=10, symbol="o", pen=pg.mkPen(cm.FOREGROUND, width=1.2), brush=None)
        for item in (self.cloud_item, self.path_item, self.slow_item, self.saddle_item, self.stable_item):
            self.pca_plot.addItem(item)
        dot = lambda color: f"<span style='color:{pg.mkColor(color).name()}'>●</span>"
        self._pca_legend = legend_html([(dot(cm.layer_color(1)), "stable"), (dot(cm.ACCENT).replace("●", "✕"), "saddle"),
                                        ("○", "slow"), (dot(cm.layer_color(0)).replace("●", "━━"), "sample")])
        for plot in (self.lyap_plot, self.eig_plot, self.sv_plot, self.pca_plot):
            for name in ("left", "bottom"):
                plot.getAxis(name).enableAutoSIPrefix(False)
        self.status = text_label(size="8pt")
        self.canvas.addItem(self.status, row=2, col=0, colspan=2)
        self._eig_legend = None

    # -- the results of the window's computation --------------------------------------------------
    def set_results(self, results: Mapping[str, DynamicsResult]) -> None:
        """Results per run id (``RunView.id``); draws them at once when visible."""
        self._results = dict(results)
        self.redraw()

    def set_error(self, message: str | None) -> None:
        """Why the last computation failed (None: it did not); drawn until the next result."""
        if message != self._error:
            self._error = message
            self.redraw()

    def results(self) -> dict[str, DynamicsResult]:
        return dict(self._results)

    def set_busy(self, busy: bool, text: str = "") -> None:
        """Show the progress indicator (and say what is computed) while the analysis runs."""
        self.progress.setVisible(busy)
        self.compute_button.setEnabled(not busy)
        self.compute_button.setText("Computing…" if busy else "Compute")
        if text:
            self.status.setText(text)
        elif not busy and self.frame is not None:
            self.status.setText(self.frame.status)  # the drawn frame's words again, not "computing…"

    # -- drawing -------------------------------------------------------------------------------
    def _layer_changed(self) -> None:
        self._layer = int(self.layer_box.currentData() or 0)
        self.redraw()

    def redraw(self) -> None:
        self._key = None
        super().redraw()

    def _render(self, state: ViewState) -> None:
        run, _, prefix = self.run_selector.select(state)
        r = state.run(run)
        result = self._results.get(r.id)
        # A computed result draws its own trace: new updates' traces change nothing until recomputed.
        key = (id(result), id(r.trace) if result is None else None, r.id, state.sample, self._layer, prefix,
               self._error)
        if key == self._key:
            return
        self._key = key
        self.apply(resolve(state, self._results, run, self._layer, prefix, self._error))

    def apply(self, frame: DynamicsFrame) -> None:
        """Draw ``frame``: setData/setText only."""
        self.frame = frame
        if self.layer_box.count() != frame.layers:
            self.layer_box.blockSignals(True)
            self.layer_box.clear()
            for l in range(frame.layers):
                self.layer_box.addItem(str(l), l)
            self._layer = min(self._layer, frame.layers - 1)
            self.layer_box.setCurrentIndex(self._layer)
            self.layer_box.blockSignals(False)
        i = np.arange(frame.exponents.size, dtype=np.float64)
        if frame.exponents.size:
            values = np.concatenate([frame.exponents, [frame.flow_slope, 0.0]])
            values = values[np.isfinite(values)]
            lo, hi = float(values.min()), float(values.max())
            pad = max(0.05 * (hi - lo), 1e-3)
            self.set_span(self.lyap_plot, x=(-0.5, i.size - 0.5), y=(lo - pad, hi + pad))
        self.lyap_item.setData(i, frame.exponents)
        self.lyap_line.setData(i, frame.exponents)
        finite = np.isfinite(frame.flow_slope)
        self.slope_line.setVisible(bool(finite))
        if finite:
            self.slope_line.setValue(frame.flow_slope)
        set_title(self.lyap_plot, frame.lyapunov_title, tip=legend_html(
            [(f"<span style='color:{pg.mkColor(cm.layer_color(0)).name()}'>●</span>", "λ_i"),
             (f"<span style='color:{pg.mkColor(cm.ACCENT).name()}'><b>‑ ‑</b></span>", "flow slope")]))
        for g, item in enumerate(self.whh_items):
            item.setData(*(_xy(frame.whh[g]) if g < len(frame.whh) else (EMPTY, EMPTY)))
        self.step_item.setData(*_xy(frame.step_eig))
        legend = legend_html([(f"<span style='color:{pg.mkColor(cm.layer_color(g)).name()}'>●</span>", name)
                              for g, name in enumerate(frame.gate_names)] + [("✕", "step J")])
        set_title(self.eig_plot, frame.eig_title, tip=legend)
        self.sv_item.setData(frame.sv_edges, frame.sv_counts)
        set_title(self.sv_plot, frame.sv_title)
        self.cloud_item.setData(*frame.cloud)
        self.path_item.setData(*frame.path)
        self.stable_item.setData(*frame.stable)
        self.saddle_item.setData(*frame.saddle)
        self.slow_item.setData(*frame.slow)
        set_title(self.pca_plot, frame.pca_title, tip=self._pca_legend)
        self.status.setText(frame.status)

    def _csv_table(self) -> tuple[list[str], np.ndarray]:
        if self.frame is None:
            return ["i"], np.zeros((0, 1))
        columns, rows = self.frame.table
        return list(columns), rows
