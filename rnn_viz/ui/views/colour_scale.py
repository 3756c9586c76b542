"""Colour scales of the heatmaps and of the unrolled graph's nodes: three modes, levels from a frame.

Pure (no Qt, no widgets): the views and the settings read the list of modes and compute their
levels here, so every colour bar follows the same rules. ``MODES`` is the one list of choices.

- ``fixed``: the range the user typed; without one, the quantity's own range from the engine's
  activation definitions (``engine.activations.OUTPUT_RANGES``: tanh -1..1, sigmoid gates 0..1).
  A range unbounded on a side (relu, linear, the LSTM cell state) has no colour scale of its own,
  so until a range is typed an infinite end is replaced by the unit span (relu 0..1, linear -1..1).
- ``auto``: grow-only from a new model's first frame: s = max(s so far, the 1-2-5 ceiling of the
  largest finite |value| of this frame), never beyond the quantity's range; levels [-s, s] for a
  signed quantity, [lo, s] for one bounded below (relu, gates, magnitudes). The state (s) is kept
  per run id (``ViewState`` run ids change with every new model: Reset, Open, preset, Load
  checkpoint, import, compare toggle), so a new model starts afresh and the history slider does not.
- ``percentile``: (1st, 99th) percentile of the finite values of the current frame (what the colour
  bar covers: every layer's panel of the column), exactly ``np.percentile``'s default (linear)
  method; above ``EXACT_LIMIT`` values, of every k-th value of each panel (k = values //
  EXACT_LIMIT), which keeps a redraw cheap at T = 1000 (benchmarks/colour_scales.py: the LSTM
  gates at T = 1000, H = 128, 2 layers, 768,000 values, in a few ms instead of ~30 ms, levels
  within 1e-3 of the exact ones).

A log quantity (LSTM |dL/dc|) is coloured in log10 units: ``fixed`` defaults to the ``decades``
below 10^0, ``auto`` grows its top decade (hi = max(hi so far, ceil(log10 max)), lo = hi - decades),
``percentile`` takes the percentiles of log10 |value| over the non-zero values.
"""
from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from rnn_viz.engine.activations import OUTPUT_RANGES

from .readouts import nice_ceiling

__all__ = ["MODES", "MODE_TIPS", "PERCENTILES", "EXACT_LIMIT", "Quantity", "Scale", "levels",
           "percentile_levels", "label", "parse_range", "format_range"]

MODES = ("fixed", "auto", "percentile")
MODE_TIPS = {
    "fixed": "fixed: the quantity's own range (tanh -1..1, gates 0..1) or a range you type",
    "auto": "auto: grows to the largest |value| seen since the model was made, never shrinks",
    "percentile": "percentile: the 1st to 99th percentile of the frame shown",
}
PERCENTILES = (1.0, 99.0)
EXACT_LIMIT = 1 << 16  # values per frame above which percentiles come from a strided sample


@dataclass(frozen=True, slots=True)
class Quantity:
    """What a colour bar shows: ``value_range`` (lo, hi), infinite where unbounded; ``decades``:
    set for a quantity coloured as log10 |value| over that many decades (value_range then unused)."""

    value_range: tuple[float, float]
    decades: int | None = None

    @classmethod
    def of(cls, activation: str, magnitude: bool = False) -> "Quantity":
        """The quantity act(a) of an engine activation ("tanh", "sigmoid", "relu", "linear"); with
        ``magnitude``, |act(a)| (or a mean of it), which runs from 0 to the larger |end|."""
        lo, hi = OUTPUT_RANGES[activation]
        if magnitude:
            lo, hi = 0.0, max(abs(lo), abs(hi))
        return cls((float(lo), float(hi)))

    @classmethod
    def log(cls, decades: int) -> "Quantity":
        return cls((-math.inf, math.inf), decades)

    @property
    def bounded(self) -> bool:
        return self.decades is None and all(math.isfinite(v) for v in self.value_range)

    @property
    def default_mode(self) -> str:
        """``fixed`` where the quantity has a range of its own, else ``auto``."""
        return "fixed" if self.bounded else "auto"


@dataclass(frozen=True, slots=True)
class Scale:
    """A colour bar's choice: ``mode`` (one of MODES) and the range typed for ``fixed`` (or None)."""

    mode: str
    typed: tuple[float, float] | None = None

    def __post_init__(self):
        if self.mode not in MODES:
            raise ValueError(f"colour scale {self.mode!r}; allowed: {', '.join(MODES)}")


def _finite(data, limit: int | None = None) -> np.ndarray:
    """One flat float64 array of the finite values of ``data`` (an array or a list of arrays);
    with ``limit``, of every k-th value of each array when there are more than ``limit`` in all."""
    arrays = [data] if isinstance(data, np.ndarray) else list(data)
    total = sum(np.size(d) for d in arrays)
    stride = total // limit if limit and total > limit else 1
    flat = [np.asarray(d, dtype=np.float64).ravel()[::stride] for d in arrays]
    flat = np.concatenate(flat) if len(flat) != 1 else flat[0]
    ok = np.isfinite(flat)
    return flat if ok.all() else flat[ok]


def _largest_magnitude(data) -> float:
    """max |value| over the finite values of ``data`` (0 for none), without copying when all are finite."""
    arrays = [data] if isinstance(data, np.ndarray) else list(data)
    big = 0.0
    for d in arrays:
        d = np.asarray(d)
        if d.size == 0:
            continue
        hi, lo = float(d.max()), float(d.min())
        if not (np.isfinite(hi) and np.isfinite(lo)):
            good = d[np.isfinite(d)]
            if good.size == 0:
                continue
            hi, lo = float(good.max()), float(good.min())
        big = max(big, hi, -lo)
    return big


def _fixed(q: Quantity, typed) -> tuple[float, float]:
    if typed is not None:
        return float(typed[0]), float(typed[1])
    if q.decades is not None:
        return -float(q.decades), 0.0
    lo, hi = q.value_range
    if not math.isfinite(hi):
        hi = 1.0
    if not math.isfinite(lo):
        lo = -hi
    return float(lo), float(hi)


def percentile_levels(values: np.ndarray) -> tuple[float, float]:
    """(1st, 99th) percentile of the flat finite ``values`` (linear interpolation, as np.percentile);
    a strided sample above EXACT_LIMIT values; (v - 1, v + 1) for a constant frame; (0, 1) for none."""
    if values.size == 0:
        return 0.0, 1.0
    if values.size > EXACT_LIMIT:
        values = values[::values.size // EXACT_LIMIT]
    lo, hi = np.percentile(values, PERCENTILES)
    lo, hi = float(lo), float(hi)
    if not hi > lo:
        return lo - 1.0, lo + 1.0
    return lo, hi


def levels(q: Quantity, scale: Scale, data, previous: float | None = None
           ) -> tuple[tuple[float, float], float | None]:
    """(levels (lo, hi), the auto state after this frame) of quantity ``q`` under ``scale`` for
    ``data`` (the values the bar covers: an array or a list of arrays, as drawn; a log quantity
    takes the raw values and colours log10 |value|). ``previous``: the auto state so far (s, or the
    top decade of a log quantity; None: a new model). The state returned is None except in auto."""
    if scale.mode == "fixed":
        return _fixed(q, scale.typed), None
    if q.decades is not None:
        values = np.abs(_finite(data, EXACT_LIMIT if scale.mode == "percentile" else None))
        values = np.log10(values[values > 0])
        if scale.mode == "percentile":
            return percentile_levels(values), None
        top = float(np.ceil(values.max())) if values.size else 0.0
        if previous is not None:
            top = max(top, previous)
        return (top - q.decades, top), top
    if scale.mode == "percentile":
        return percentile_levels(_finite(data, EXACT_LIMIT)), None
    lo, hi = q.value_range
    biggest = _largest_magnitude(data)
    s = max(nice_ceiling(biggest), previous or 0.0)
    s = min(s, max(abs(lo), abs(hi)))
    return ((lo, min(s, hi)) if lo >= 0 else (-s, s)), s


def _num(v: float) -> str:
    return f"{v:.3g}".replace("-", "−")


def format_range(lo: float, hi: float) -> str:
    return f"{_num(lo)}…{_num(hi)}"


def label(scale: Scale, what: str = "") -> str:
    """The colour bar's title: the mode, short enough for an 80 px bar (its ticks give the range),
    e.g. ``auto``, ``1–99 %``, ``fixed (typed)``, ``auto · log10`` with ``what`` = "log10"."""
    mode = "1–99 %" if scale.mode == "percentile" else scale.mode
    if scale.mode == "fixed" and scale.typed is not None:
        mode += " (typed)"
    return f"{mode} · {what}" if what else mode


def parse_range(text: str) -> tuple[float, float] | None:
    """A typed range "lo, hi" (or "lo hi", "lo..hi") as floats with lo < hi, or None if it is not one."""
    parts = text.replace("…", " ").replace("..", " ").replace(",", " ").replace("−", "-").split()
    if len(parts) != 2:
        return None
    try:
        lo, hi = float(parts[0]), float(parts[1])
    except ValueError:
        return None
    if not (math.isfinite(lo) and math.isfinite(hi) and lo < hi):
        return None
    return lo, hi
