"""Training curves over updates: loss (train, validation, chance), gradient norm with the clip
threshold, and sigma_max / rho of every W_hh.

Runs come from ``state.runs`` (each run's metrics.csv columns; NaN = not evaluated that update). In
compare mode the other runs' loss and gradient norm are drawn in the same plots (B dashed, C
dash-dot, ...). Long histories are drawn with peak downsampling and clipped to the visible range.

A history that only grew by an update is redrawn at most every ``HISTORY_REDRAW_MS``: curves of
hundreds of updates look the same at 30 and at 5 redraws a second, and redrawing them costs more
than any other view. Everything else (config, labels, chance level, a new run) redraws at once.
"""
from __future__ import annotations

import math
import time

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer

from rnn_viz.ui import colormaps as cm
from rnn_viz.ui.state import ViewState

from . import readouts as ro
from .base import BaseView, decade_axis, item_key, legend_html, line_key, set_title, style_plot, text_label

__all__ = ["TrainingCurvesView"]

TRAIN, VAL = cm.LAYER_COLORS[0], cm.LAYER_COLORS[1]
HISTORY_REDRAW_MS = 200
MAX_LAYERS = 4
# Deep enough that a run that blew up (1e20) and one that trains (1e-2) share the plot: with a
# shallower cap the axis followed the exploding run and the other fell out of view.
MAX_DECADES = 24

# Short titles (the dock is often narrow); the explanations are the titles' tooltips.
LOSS_TIP = ("Loss of every update on its training batch, and on the fixed validation batch every "
            "val_every updates. Chance: the loss of a model that ignores its input (the task's "
            "baseline); a run that stays there has learned nothing.")
GRAD_TIP = ("Global norm of all parameter gradients of each update, measured before any clipping. "
            "With Clip norm set, updates above the red line are scaled down to it.")
SPECTRA_TIP = ("σ_max: largest singular value of each layer's recurrent matrix W_hh (solid); ρ: its "
               "spectral radius, the largest |eigenvalue| (dashed). Above 1 the backward signal can "
               "grow from step to step, below 1 it shrinks.")


def _finite(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (x, y) pairs where y is finite; for sparse columns (validation, spectra) a line through
    the evaluated points reads better than isolated dots."""
    n = min(len(x), len(y))
    x, y = np.asarray(x[:n], dtype=np.float64), np.asarray(y[:n], dtype=np.float64)
    keep = np.isfinite(y) & np.isfinite(x)
    return x[keep], y[keep]


def _positive(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    x, y = _finite(x, y)
    keep = y > 0
    return x[keep], y[keep]


# 1-pixel pens: pyqtgraph strokes wider curves segment by segment, which made painting these
# thousands-of-points curves the most expensive part of the window.
WIDTH = 1.0


def _same_run(new, old) -> bool:
    """Whether history ``new`` continues ``old`` (same columns, at least as many rows): the usual
    change between two updates, as opposed to a reset or another run."""
    if new is None or old is None:
        return new is old
    if new.keys() != old.keys() or "step" not in new:
        return False
    n_old = len(old["step"])
    return len(new["step"]) >= n_old and (n_old == 0 or new["step"][n_old - 1] == old["step"][n_old - 1])


LABEL_FILL = pg.mkBrush(255, 255, 255, 200)  # line labels stay legible where a curve crosses them


def _dashed(color: str, width: float = WIDTH):
    pen = pg.mkPen(color, width=width, style=Qt.PenStyle.DashLine)
    pen.setCosmetic(True)
    return pen


def _run_pen(color: str, run: int, width: float = WIDTH):
    """Run A solid, B dashed, C dash-dot, ... (the same styles as every view's per-run curves)."""
    pen = pg.mkPen(color, width=width, style=cm.RUN_STYLES[run % len(cm.RUN_STYLES)])
    pen.setCosmetic(True)
    return pen


class TrainingCurvesView(BaseView):
    """Three stacked plots sharing the update axis."""

    OBJECT_NAME = "trainingCurvesView"

    def __init__(self, parent=None):
        super().__init__(parent)
        self.loss_plot = style_plot(self.canvas.addPlot(row=0, col=0, axisItems=decade_axis()), left="loss")
        self.grad_plot = style_plot(self.canvas.addPlot(row=1, col=0, axisItems=decade_axis()), left="||g||")
        self.spectra_plot = style_plot(self.canvas.addPlot(row=2, col=0), left="σ_max, ρ", bottom="update")
        # Compare mode: which run is solid and which dashed, once for all three plots.
        self.runs_text = text_label(size="8pt")
        self.canvas.addItem(self.runs_text, row=3, col=0)
        for plot in (self.loss_plot, self.grad_plot, self.spectra_plot):
            plot.setDownsampling(auto=True, mode="peak")
            plot.setClipToView(True)
            if plot is not self.loss_plot:
                plot.setXLink(self.loss_plot)
        plots = (self.loss_plot, self.grad_plot, self.spectra_plot)
        for plot in plots:
            self.follow_data(plot, group=plots)
        self.loss_plot.setLogMode(y=True)
        self.grad_plot.setLogMode(y=True)
        for plot in (self.loss_plot, self.grad_plot):
            plot.getAxis("left").enableAutoSIPrefix(False)

        # Per run (A, B, ...): (loss, validation, gradient norm) items; A's and B's made now, more
        # when a comparison of more runs arrives. No symbols: a scatter update costs ~1 ms per few
        # hundred points, every update.
        self.run_items: list[tuple[pg.PlotDataItem, pg.PlotDataItem, pg.PlotDataItem]] = []
        self.chance_line = pg.InfiniteLine(angle=0, movable=False, pen=_dashed("#777777", 1.0),
                                           label="chance", labelOpts=dict(position=0.5, color="#555555",
                                                                          fill=LABEL_FILL))
        self.loss_plot.addItem(self.chance_line, ignoreBounds=True)

        self.clip_line = pg.InfiniteLine(angle=0, movable=False, pen=pg.mkPen(cm.ACCENT, width=1.2),
                                         label="clip", labelOpts=dict(position=0.98, color=cm.ACCENT,
                                                                      fill=LABEL_FILL,
                                                                      anchors=[(1, 0), (1, 1)]))
        self.grad_plot.addItem(self.clip_line, ignoreBounds=True)

        self._ensure_runs(2)
        self.sigma_items = [pg.PlotDataItem(pen=cm.layer_pen(l, width=WIDTH)) for l in range(MAX_LAYERS)]
        self.rho_items = [pg.PlotDataItem(pen=cm.layer_pen(l, run_b=True, width=WIDTH))
                          for l in range(MAX_LAYERS)]
        for item in (*self.sigma_items, *self.rho_items):
            self.spectra_plot.addItem(item)
        # 1 separates shrinking (below) from possibly growing (above) backward signals
        self.spectra_plot.addItem(pg.InfiniteLine(pos=1.0, angle=0, movable=False,
                                                  pen=pg.mkPen("#999999", width=1)), ignoreBounds=True)

        set_title(self.loss_plot, "Loss", tip=LOSS_TIP)
        set_title(self.grad_plot, "Gradient norm", tip=GRAD_TIP)
        set_title(self.spectra_plot, "W_hh spectrum", tip=SPECTRA_TIP)

        self._last = None
        self._legend_key = None
        self._drawn_at = 0.0
        self._throttle = QTimer(self)
        self._throttle.setSingleShot(True)
        self._throttle.timeout.connect(self._draw_now)
        self._state: ViewState | None = None

    def _ensure_runs(self, n: int) -> None:
        while len(self.run_items) < n:
            r = len(self.run_items)
            loss = pg.PlotDataItem(pen=_run_pen(TRAIN, r))
            val = pg.PlotDataItem(pen=_run_pen(VAL, r))
            grad = pg.PlotDataItem(pen=_run_pen(cm.LAYER_COLORS[2], r))
            self.loss_plot.addItem(loss)
            self.loss_plot.addItem(val)
            self.grad_plot.addItem(grad)
            self.run_items.append((loss, val, grad))

    # Run A's and run B's items by name (tests and exports read them).
    loss_a = property(lambda self: self.run_items[0][0])
    val_a = property(lambda self: self.run_items[0][1])
    grad_a = property(lambda self: self.run_items[0][2])
    loss_b = property(lambda self: self.run_items[1][0])
    val_b = property(lambda self: self.run_items[1][1])
    grad_b = property(lambda self: self.run_items[1][2])

    # -- drawing ---------------------------------------------------------------------------------
    def _render(self, state: ViewState) -> None:
        histories = (state.history, *(r.history for r in state.runs[1:]))
        key = (histories, state.config, state.chance_loss, tuple(r.label for r in state.runs))
        last = self._last
        # Histories and config by identity (the controller hands out new objects when they change).
        if (last is not None and len(key[0]) == len(last[0]) and all(a is b for a, b in zip(key[0], last[0]))
                and key[1] is last[1] and key[2:] == last[2:]):
            return
        only_grew = (last is not None and key[1] is last[1] and key[2:] == last[2:] and len(key[0]) == len(last[0])
                     and all(_same_run(a, b) for a, b in zip(key[0], last[0])))
        self._last = key
        self._state = state
        waited = (time.perf_counter() - self._drawn_at) * 1000
        if only_grew and waited < HISTORY_REDRAW_MS:
            if not self._throttle.isActive():
                self._throttle.start(int(HISTORY_REDRAW_MS - waited) + 1)
            return
        self._draw_now()

    def _draw_now(self) -> None:
        self._throttle.stop()
        if self._state is not None:
            self._drawn_at = time.perf_counter()
            with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
                self._draw(self._state)

    def export_item(self):
        item = super().export_item()
        if self._throttle.isActive():
            self._draw_now()
        return item

    def _draw(self, state: ViewState) -> None:
        hist = state.history or {}
        step = np.asarray(hist.get("step", np.zeros(0)), dtype=np.float64)
        compare = state.compare
        self._ensure_runs(len(state.runs))
        for i, items in enumerate(self.run_items):
            shown = i < len(state.runs)
            h = (state.runs[i].history or {}) if shown else {}
            if i == 0:
                h = hist
            s = np.asarray(h.get("step", np.zeros(0)), dtype=np.float64)
            for item, column in zip(items, ("loss", "val_loss", "grad_norm")):
                if shown:
                    item.setData(*_positive(s, h.get(column, np.zeros(0))))
                item.setVisible(shown)

        layers = sorted(int(k.split("/")[1]) for k in hist if k.startswith("sigma_max/"))
        for l in range(MAX_LAYERS):
            shown = l in layers
            self.sigma_items[l].setVisible(shown)
            self.rho_items[l].setVisible(shown and f"rho/{l}" in hist)
            if shown:
                self.sigma_items[l].setData(*_finite(step, hist[f"sigma_max/{l}"]))
                if f"rho/{l}" in hist:
                    self.rho_items[l].setData(*_finite(step, hist[f"rho/{l}"]))

        chance = state.chance_loss
        self.chance_line.setVisible(chance is not None and chance > 0)
        if chance is not None and chance > 0:
            self.chance_line.setValue(math.log10(chance))  # the axis is log10: lines live in its units
            self.chance_line.label.setFormat(f"chance {chance:.3g}")
        training = state.config.get("training", {}) if state.config else {}
        clip = float(training.get("clip_norm") or 0.0)
        self.clip_line.setVisible(clip > 0)
        if clip > 0:
            self.clip_line.setValue(math.log10(clip))
            self.clip_line.label.setFormat(f"clip_norm = {clip:g}")
        note = f"red line: clip_norm = {clip:g}" if clip > 0 else "no clipping (Clip norm = 0)"
        set_title(self.grad_plot, "Gradient norm", legend=note, tip=GRAD_TIP)
        self._update_spans(state, step, layers, clip)
        self._update_legends(state, layers, compare)

    def _update_spans(self, state: ViewState, step: np.ndarray, layers: list[int], clip: float) -> None:
        """Rounded ranges: the update axis grows in tenths of a 1-2-5 step, the log axes in decades."""
        hist = state.history or {}
        others = [r.history or {} for r in state.runs[1:]]
        last = max([float(np.nanmax(step, initial=1.0))]
                   + [float(np.nanmax(np.asarray(h.get("step", [1.0]), dtype=float), initial=1.0)) for h in others])
        unit = ro.nice_ceiling(last / 10)
        self.set_span(self.loss_plot, x=(0.0, math.ceil(last / unit) * unit))
        chance = [state.chance_loss] if state.chance_loss else []
        losses = [h.get(k, []) for h in (hist, *others) for k in ("loss", "val_loss")]
        self.set_span(self.loss_plot, y=ro.decade_span(*losses, chance, max_decades=MAX_DECADES))
        grads = [h.get("grad_norm", []) for h in (hist, *others)]
        self.set_span(self.grad_plot, y=ro.decade_span(*grads, [clip] if clip > 0 else [], max_decades=MAX_DECADES))
        spectra = [hist[f"{k}/{l}"] for l in layers for k in ("sigma_max", "rho") if f"{k}/{l}" in hist]
        self.set_span(self.spectra_plot, y=ro.nice_span(*spectra, [1.0]))

    def _update_legends(self, state: ViewState, layers: list[int], compare: bool) -> None:
        key = (tuple(layers), compare, tuple((r.name, r.label) for r in state.runs))
        if key == self._legend_key:
            return
        self._legend_key = key
        set_title(self.loss_plot, "Loss", tip=LOSS_TIP,
                  legend=legend_html([(item_key(self.loss_a), "train"), (item_key(self.val_a), "validation")]))
        black, dashed = line_key(cm.FOREGROUND), line_key(_dashed(cm.FOREGROUND))
        spectra = [(black, "σ_max"), (dashed, "ρ")] + [(item_key(self.sigma_items[l]), f"layer {l}") for l in layers]
        set_title(self.spectra_plot, "W_hh spectrum" + (" (run A)" if compare else ""),
                  legend=legend_html(spectra), tip=SPECTRA_TIP)
        self.runs_text.setVisible(compare)
        self.runs_text.setText(
            "Loss and gradient norm: " + legend_html([(line_key(_run_pen(cm.FOREGROUND, i)), f"{r.name}: {r.label}")
                                                      for i, r in enumerate(state.runs)])
            if compare else "")

    def _make_table(self, state: ViewState) -> tuple[list[str], np.ndarray]:
        hist = state.history or {}
        names = sorted(hist, key=lambda k: (k != "step", k))
        cols = list(names)
        arrays = [np.asarray(hist[k], dtype=np.float64) for k in names]
        for run in state.runs[1:]:
            h = run.history or {}
            more = sorted(h, key=lambda k: (k != "step", k))
            cols += [f"{k} [{run.label}]" for k in more]
            arrays += [np.asarray(h[k], dtype=np.float64) for k in more]
        n = max((a.size for a in arrays), default=0)
        table = np.full((n, len(arrays)), np.nan)
        for j, a in enumerate(arrays):
            table[:a.size, j] = a
        return cols, table

    def _csv_table(self) -> tuple[list[str], np.ndarray]:
        if self._throttle.isActive():
            self._draw_now()
        if self._state is None:
            return ["step"], np.zeros((0, 1))
        return self._make_table(self._state)
