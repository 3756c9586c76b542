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

import html
import math
import time
from dataclasses import dataclass

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, QTimer

from rnn_viz.ui import colormaps as cm
from rnn_viz.ui.state import ViewState

from . import readouts as ro
from .frames import frozen, same
from .axes import decade_axis
from .base import BaseView, style_plot
from .labels import item_key, legend_html, line_key, set_title, text_label

__all__ = ["TrainingCurvesView", "CurvesFrame", "RunCurves", "resolve"]

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
        self.grid = GRIDS[0]  # (rows, columns) of the three plots; follows the view's size
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

        # Per run: its own clip threshold (runs of a comparison may clip differently).
        self.clip_lines: list[pg.InfiniteLine] = []
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

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        grid = choose_grid(self.width(), self.height())
        if grid != self.grid:
            self._arrange(grid)
        self.set_canvas_minimum(*grid_minimum(grid))

    def _arrange(self, grid: tuple[int, int]) -> None:
        """The three plots stacked, side by side or two by two, each with its update axis labelled
        unless a plot below it shares the axis."""
        self.grid = grid
        rows, cols = grid
        layout = self.canvas.ci
        plots = (self.loss_plot, self.grad_plot, self.spectra_plot)
        for item in (*plots, self.runs_text):
            layout.removeItem(item)
        for i, plot in enumerate(plots):
            row, col = divmod(i, cols)
            layout.addItem(plot, row=row, col=col)
            below = i + cols < len(plots)
            if below:
                plot.getAxis("bottom").showLabel(False)
            else:
                plot.setLabel("bottom", "update", color=cm.FOREGROUND)
        if rows * cols > len(plots):  # the free cell of the grid holds the run names
            layout.addItem(self.runs_text, row=rows - 1, col=cols - 1)
        else:
            layout.addItem(self.runs_text, row=rows, col=0, colspan=cols)

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
            pen = pg.mkPen(cm.ACCENT, width=1.2, style=cm.RUN_STYLES[r % len(cm.RUN_STYLES)])
            # Run A's label at the right end, B's at the left, further runs' in the middle: two
            # thresholds close together must not print their labels over each other.
            position, anchor = ((0.98, 1), (0.02, 0), (0.5, 0.5))[min(r, 2)]
            clip = pg.InfiniteLine(angle=0, movable=False, pen=pen, label="clip",
                                   labelOpts=dict(position=position, color=cm.ACCENT, fill=LABEL_FILL,
                                                  anchors=[(anchor, 0), (anchor, 1)]))
            clip.setVisible(False)
            self.grad_plot.addItem(clip, ignoreBounds=True)
            self.clip_lines.append(clip)

    # Run A's and run B's items by name (tests and exports read them).
    loss_a = property(lambda self: self.run_items[0][0])
    val_a = property(lambda self: self.run_items[0][1])
    grad_a = property(lambda self: self.run_items[0][2])
    loss_b = property(lambda self: self.run_items[1][0])
    val_b = property(lambda self: self.run_items[1][1])
    grad_b = property(lambda self: self.run_items[1][2])
    clip_line = property(lambda self: self.clip_lines[0])

    # -- drawing ---------------------------------------------------------------------------------
    def _render(self, state: ViewState) -> None:
        histories = (state.history, *(r.history for r in state.runs[1:]))
        configs = tuple(r.config for r in state.runs)  # each run's own clip threshold
        key = (histories, configs, state.chance_loss, tuple(r.label for r in state.runs), state.history_note)
        last = self._last
        # Histories and configs by identity (the controller hands out new objects when they change).
        same_configs = last is not None and len(configs) == len(last[1]) and all(a is b for a, b in zip(configs, last[1]))
        if (same_configs and len(key[0]) == len(last[0]) and all(a is b for a, b in zip(key[0], last[0]))
                and key[2:] == last[2:]):
            return
        only_grew = (same_configs and key[2:] == last[2:] and len(key[0]) == len(last[0])
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
                frame = resolve(self._state)
            if self.frame is None or not same(frame, self.frame):
                self.frame = frame
                self.frames_applied += 1
                self.apply(frame)

    def export_item(self):
        item = super().export_item()
        if self._throttle.isActive():
            self._draw_now()
        return item

    def apply(self, frame: "CurvesFrame") -> None:
        self._ensure_runs(len(frame.runs))
        for i, items in enumerate(self.run_items):
            shown = i < len(frame.runs)
            run = frame.runs[i] if shown else None
            for item, xy in zip(items, (run.loss, run.val, run.grad) if shown else (None,) * 3):
                if shown:
                    _set_curve(item, xy)
                item.setVisible(shown)
            clip_line = self.clip_lines[i]
            clipped = shown and run.clip > 0
            clip_line.setVisible(clipped)
            if clipped:
                clip_line.setValue(math.log10(run.clip))  # the axis is log10: lines live in its units
                clip_line.label.setFormat(run.clip_label)
        for l in range(MAX_LAYERS):
            shown = l in frame.layers
            rho = frame.rho[frame.layers.index(l)] if shown else None
            self.sigma_items[l].setVisible(shown)
            self.rho_items[l].setVisible(rho is not None)
            if shown:
                _set_curve(self.sigma_items[l], frame.sigma[frame.layers.index(l)])
            if rho is not None:
                _set_curve(self.rho_items[l], rho)
        chance = frame.chance
        self.chance_line.setVisible(chance is not None)
        if chance is not None:
            self.chance_line.setValue(math.log10(chance))
            self.chance_line.label.setFormat(f"chance {chance:.3g}")
        set_title(self.grad_plot, "Gradient norm", legend=frame.grad_note, tip=GRAD_TIP)
        self.set_span(self.loss_plot, x=frame.x_span, y=frame.loss_span)
        self.set_span(self.grad_plot, y=frame.grad_span)
        self.set_span(self.spectra_plot, y=frame.spectra_span)
        self._update_legends(frame)

    def _update_legends(self, frame: "CurvesFrame") -> None:
        compare = len(frame.runs) > 1
        key = (frame.layers, tuple((r.name, r.label) for r in frame.runs), frame.note)
        if key == self._legend_key:
            return
        self._legend_key = key
        layers = frame.layers
        legend = legend_html([(item_key(self.loss_a), "train"), (item_key(self.val_a), "validation")])
        if frame.note:  # a loaded checkpoint without history: say so where the curves would be
            legend += f"<br><i>{html.escape(frame.note)}</i>"
        set_title(self.loss_plot, "Loss", tip=LOSS_TIP, legend=legend)
        black, dashed = line_key(cm.FOREGROUND), line_key(_dashed(cm.FOREGROUND))
        spectra = [(black, "σ_max"), (dashed, "ρ")] + [(item_key(self.sigma_items[l]), f"layer {l}") for l in layers]
        set_title(self.spectra_plot, "W_hh spectrum" + (" (run A)" if compare else ""),
                  legend=legend_html(spectra), tip=SPECTRA_TIP)
        self.runs_text.setVisible(compare)
        self.runs_text.setText(
            "Loss and gradient norm: " + legend_html([(line_key(_run_pen(cm.FOREGROUND, i)), f"{r.name}: {r.label}")
                                                      for i, r in enumerate(frame.runs)])
            if compare else "")

    def _make_table(self, state: ViewState) -> tuple[list[str], np.ndarray]:
        # The histories keep metrics.csv's column order (they hold its rows): the CSV keeps it too.
        hist = state.history or {}
        names = list(hist)
        cols = list(names)
        arrays = [np.asarray(hist[k], dtype=np.float64) for k in names]
        for run in state.runs[1:]:
            h = run.history or {}
            more = list(h)
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


LONE_POINT_SIZE = 5  # px: the dot of a curve that has one point so far
Curve = tuple[np.ndarray, np.ndarray]  # (x, y): read-only, only the points drawn


def _set_curve(item: pg.PlotDataItem, xy: Curve) -> None:
    """``item.setData(*xy)``, with a dot while the curve has one point: a line needs two, and the
    spectra (every ``training.spectra_every`` updates) and validation rows have one for a while
    after the first update, when the plot looked empty although its range showed the value."""
    item.setData(*xy)
    lone = "o" if len(xy[0]) == 1 else None
    if item.opts.get("symbol") != lone:
        if lone:
            colour = pg.mkPen(item.opts["pen"]).color()
            item.setSymbolPen(colour)
            item.setSymbolBrush(colour)
            item.setSymbolSize(LONE_POINT_SIZE)
        item.setSymbol(lone)

# The arrangements of the three plots, stacked first (one update axis to read down); a plot needs
# its title and legend above it, a left axis beside it and an update axis below it.
GRIDS = ((3, 1), (2, 2), (1, 3))
# Logical px around each plot area: (left axis and margins, two-line title + bottom axis), and the
# compare-mode line of run names under the plots (measured at 9 pt).
PLOT_FRAME = (70, 125)
RUNS_TEXT = 55
MIN_PLOT = 150


def grid_minimum(grid: tuple[int, int]) -> tuple[int, int]:
    """The canvas size (logical px) below which ``grid``'s plots would be under MIN_PLOT."""
    rows, cols = grid
    return cols * (MIN_PLOT + PLOT_FRAME[0]), rows * (MIN_PLOT + PLOT_FRAME[1]) + _runs_row(grid)


def _runs_row(grid: tuple[int, int]) -> int:
    """The height of the run names' own row; none when the grid has a free cell for them."""
    return 0 if grid[0] * grid[1] > 3 else RUNS_TEXT


def choose_grid(width: float, height: float) -> tuple[int, int]:
    """The first of GRIDS whose plot areas are at least MIN_PLOT both ways in a width x height view,
    else the one whose smaller plot side is largest."""
    def smaller_side(grid):
        rows, cols = grid
        return min(width / cols - PLOT_FRAME[0], (height - _runs_row(grid)) / rows - PLOT_FRAME[1])

    for grid in GRIDS:
        if smaller_side(grid) >= MIN_PLOT:
            return grid
    return max(GRIDS, key=smaller_side)


@dataclass(frozen=True, slots=True)
class RunCurves:
    """One run's curves: (updates, values) of its loss, validation loss and gradient norm (only
    the finite, positive points: the axes are log), and its own clip threshold (0: no clipping)."""

    name: str
    label: str
    loss: Curve
    val: Curve
    grad: Curve
    clip: float
    clip_label: str


@dataclass(frozen=True, slots=True)
class CurvesFrame:
    """What the view draws. ``sigma``/``rho``: per layer of ``layers``, run A's (update, value)
    pairs (``rho`` None without that column); ``chance``: the chance loss or None; spans in view
    units (log10 on the log axes); ``grad_note``: the legend under the gradient plot's title."""

    runs: tuple[RunCurves, ...]
    layers: tuple[int, ...]
    sigma: tuple[Curve, ...]
    rho: tuple[Curve | None, ...]
    chance: float | None
    x_span: tuple[float, float]
    loss_span: tuple[float, float]
    grad_span: tuple[float, float]
    spectra_span: tuple[float, float]
    grad_note: str
    note: str = ""  # run A's history is incomplete (ViewState.history_note)


def _curve(xy: tuple[np.ndarray, np.ndarray]) -> Curve:
    return frozen(xy[0]), frozen(xy[1])


def _clip_norm(config) -> float:
    training = config.get("training", {}) if config else {}
    return float(training.get("clip_norm") or 0.0)


def resolve(state: ViewState) -> CurvesFrame:
    """Pure: the frame of ``state``. Each run draws its own history and its own clip threshold
    (from its own experiment: run B may clip to norm 1 while run A does not clip)."""
    compare = state.compare
    runs = []
    for r in state.runs:
        h = r.history or {}
        s = np.asarray(h.get("step", np.zeros(0)), dtype=np.float64)
        clip = _clip_norm(r.config)
        runs.append(RunCurves(
            r.name, r.label, *(_curve(_positive(s, h.get(c, np.zeros(0)))) for c in ("loss", "val_loss", "grad_norm")),
            clip=clip, clip_label=f"clip {r.name} = {clip:g}" if compare else f"clip_norm = {clip:g}"))
    hist = state.history or {}
    step = np.asarray(hist.get("step", np.zeros(0)), dtype=np.float64)
    layers = tuple(l for l in sorted(int(k.split("/")[1]) for k in hist if k.startswith("sigma_max/")) if l < MAX_LAYERS)
    sigma = tuple(_curve(_finite(step, hist[f"sigma_max/{l}"])) for l in layers)
    rho = tuple(_curve(_finite(step, hist[f"rho/{l}"])) if f"rho/{l}" in hist else None for l in layers)
    chance = state.chance_loss if state.chance_loss is not None and state.chance_loss > 0 else None

    if compare:
        grad_note = "red lines: " + "; ".join(
            f"{r.name}: clip_norm = {r.clip:g}" if r.clip > 0 else f"{r.name}: no clipping" for r in runs)
    else:
        clip = runs[0].clip
        grad_note = f"red line: clip_norm = {clip:g}" if clip > 0 else "no clipping (Clip norm = 0)"
    # Rounded ranges: the update axis grows in tenths of a 1-2-5 step, the log axes in decades.
    histories = [r.history or {} for r in state.runs]
    last = max(float(np.nanmax(np.asarray(h.get("step", [1.0]), dtype=float), initial=1.0)) for h in histories)
    unit = ro.nice_ceiling(last / 10)
    losses = [h.get(k, []) for h in histories for k in ("loss", "val_loss")]
    grads = [h.get("grad_norm", []) for h in histories]
    clips = [r.clip for r in runs if r.clip > 0]
    spectra = [hist[f"{k}/{l}"] for l in layers for k in ("sigma_max", "rho") if f"{k}/{l}" in hist]
    return CurvesFrame(
        runs=tuple(runs), layers=layers, sigma=sigma, rho=rho, chance=chance,
        x_span=(0.0, math.ceil(last / unit) * unit),
        loss_span=ro.decade_span(*losses, [chance] if chance else [], max_decades=MAX_DECADES),
        grad_span=ro.decade_span(*grads, clips, max_decades=MAX_DECADES),
        spectra_span=ro.nice_span(*spectra, [1.0]), grad_note=grad_note, note=state.history_note)
