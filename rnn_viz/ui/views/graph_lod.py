"""Level of detail for the unrolled graph: the overview's bins and the detail window's steps.

Pure NumPy (no Qt): the graph view draws a readable detail window of at most a few dozen steps and,
when the sequence is longer than that window, an overview of every step reduced into bins. What a
bin holds is documented here once (``OVERVIEW_REDUCTIONS``) and shown in the view's tooltip.
"""
from __future__ import annotations

import math

import numpy as np

__all__ = ["MAX_OVERVIEW_BINS", "DETAIL_PX_PER_STEP", "MIN_PX_PER_STEP", "MIN_DETAIL_STEPS",
           "OVERVIEW_REDUCTIONS", "bin_size", "bin_edges", "bin_mean", "bin_max", "fit_steps",
           "max_readable_steps", "window_around", "clamp_window"]

# The overview never has more columns than this: at 500-900 px a column is 2-5 px wide, and a
# T = 1000 sequence is binned 5 steps a column.
MAX_OVERVIEW_BINS = 200
# The detail window's default spacing, and the tightest it may be zoomed out to (nodes and edges
# still tell apart; below it the overview is the place to look).
DETAIL_PX_PER_STEP = 18.0
MIN_PX_PER_STEP = 9.0
MIN_DETAIL_STEPS = 4

OVERVIEW_REDUCTIONS = ("node strip: mean over the bin's steps of mean |h_t|; "
                       "edge strip: largest ||dL/dh_t|| over the bin's steps, in decades below "
                       "the largest value drawn")


def bin_size(T: int, max_bins: int = MAX_OVERVIEW_BINS) -> int:
    """Steps per overview column: the smallest size giving at most ``max_bins`` columns (>= 1)."""
    return max(1, math.ceil(T / max_bins))


def bin_edges(T: int, size: int) -> np.ndarray:
    """(nbins + 1,) int: first step of each bin, then T (the last bin may be shorter)."""
    return np.append(np.arange(0, T, size), T).astype(np.int64)


def bin_mean(values: np.ndarray, size: int) -> np.ndarray:
    """(..., nbins) mean over each bin of ``values`` (..., T); NaN stays NaN."""
    v = np.asarray(values, dtype=np.float64)
    edges = bin_edges(v.shape[-1], size)
    counts = np.diff(edges)
    return np.add.reduceat(v, edges[:-1], axis=-1) / counts


def bin_max(values: np.ndarray, size: int) -> np.ndarray:
    """(..., nbins) largest value in each bin of ``values`` (..., T), ignoring NaN (all NaN: NaN)."""
    v = np.asarray(values, dtype=np.float64)
    edges = bin_edges(v.shape[-1], size)
    filled = np.where(np.isnan(v), -np.inf, v)
    out = np.maximum.reduceat(filled, edges[:-1], axis=-1)
    return np.where(np.isneginf(out), np.nan, out)


def fit_steps(width_px: float, T: int, px_per_step: float = DETAIL_PX_PER_STEP) -> int:
    """How many steps a detail plot ``width_px`` wide shows by default (at most T)."""
    return int(min(T, max(MIN_DETAIL_STEPS, width_px // px_per_step)))


def max_readable_steps(width_px: float, T: int) -> int:
    """The most steps a detail plot ``width_px`` wide may be zoomed out to and stay readable."""
    return fit_steps(width_px, T, MIN_PX_PER_STEP)


def clamp_window(start: int, steps: int, T: int) -> tuple[int, int]:
    """(first, last) inclusive of a window of ``steps`` steps from ``start``, kept inside 0..T-1."""
    steps = int(min(max(steps, 1), T))
    first = int(min(max(start, 0), T - steps))
    return first, first + steps - 1


def window_around(t: int, steps: int, T: int) -> tuple[int, int]:
    """(first, last) inclusive: ``steps`` steps with ``t`` in the middle, kept inside 0..T-1."""
    return clamp_window(int(t) - int(steps) // 2, steps, T)
