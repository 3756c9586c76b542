"""The flow matrix of one run's trace as a value: the pure half of the flow view (no Qt).

``resolve_flow(trace, layer)`` -> ``FlowFrame``: log10 F[t, k] = ||dL_t/dh_k|| of the trace's flow
sample, its colour indices over the 8 decades below the decade above the largest entry (or a shared
top for runs side by side), the truncation outline, the Jacobian norms and the default inspected
row. Shapes: T time steps; R kept rows when the trace holds only ``flow_rows``.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from . import readouts as ro
from .flow_chain import EMPTY
from .frames import frozen, same

__all__ = ["FlowFrame", "resolve_flow", "same_flow", "shared_top", "DECADES", "NO_PATH"]

DECADES = 8
NO_PATH = 255  # image index of cells without a path, drawn grey


@dataclass(frozen=True, slots=True)
class FlowFrame:
    """The matrix of one layer of one run's heavy trace. ``flow``/``log_flow``: (T, T) F and log10 F
    (NaN where F = 0), None when the run sent no flow matrix yet; ``index``: (T, T) uint8 colour
    indices (NO_PATH: grey); ``band``: (x, y) pairs outlining truncation windows; ``jac``: (T,)
    step-Jacobian norms or None; ``default_row``: the last loss step, the row inspected first.
    ``rows``: (R,) the loss steps kept when the trace holds only those (flow_rows; then flow, log_flow
    and index are (R, T), drawn stretched over the T rows: the kept rows are evenly spread), else None."""

    title: str
    explanation: str
    L: int
    T: int
    sample: int
    flow: np.ndarray | None = None
    log_flow: np.ndarray | None = None
    index: np.ndarray | None = None
    levels: tuple[float, float] = (-DECADES, 0.0)
    band: tuple[np.ndarray, np.ndarray] = EMPTY
    jac: np.ndarray | None = None
    window_start: np.ndarray | None = None
    default_row: int | None = None
    layer: int = 0
    rows: np.ndarray | None = None

    def row_y(self, i: int) -> float:
        """Where kept row ``i`` is drawn (its centre, in steps): the R rows share the T steps."""
        R = len(self.rows)
        return -0.5 + (i + 0.5) * self.T / R


def same_flow(a: FlowFrame, b: FlowFrame) -> bool:
    """``frames.same`` for two flow frames, answered False at once when their matrices' diagonals
    (T values) differ: a new trace's matrix differs almost everywhere, and comparing two whole (T, T)
    matrices with their logs and colour indices first cost ~0.1 ms a frame at T = 200."""
    if a is b:
        return True
    if a.flow is not None and b.flow is not None and a.flow.shape == b.flow.shape:
        if not np.array_equal(np.diagonal(a.flow), np.diagonal(b.flow), equal_nan=True):
            return False
    return same(a, b)


def _flow_of(trace, layer: int) -> np.ndarray | None:
    if f"flow/{layer}" in trace:
        return trace[f"flow/{layer}"]
    if f"flow_window/{layer}" in trace and "flow_rows" in trace:
        return trace[f"flow_window/{layer}"]
    return None


def shared_top(traces, layer: int = 0) -> float | None:
    """The top of one colour scale for the flow matrices of ``traces`` (runs side by side read on
    the same colours): the decade at or above the largest entry of any; None without a matrix."""
    tops = [ro.log_levels(flow, DECADES)[1] for flow in (_flow_of(t, layer) for t in traces)
            if flow is not None and np.any(np.asarray(flow) > 0)]
    return max(tops) if tops else None


def _log10(flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(read-only log10 F, NaN where F is 0 or not finite; the mask of the rest): the values of
    readouts.log10_or_nan, computed in place (its masked gather and scatter took 9 of the 17 ms a
    1000 x 1000 matrix cost to resolve)."""
    good = (flow > 0) & np.isfinite(flow)
    out = np.full(flow.shape, np.nan)
    np.log10(flow, out=out, where=good)
    out.setflags(write=False)
    return out, good


def _colour_index(log_flow: np.ndarray, good: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Read-only uint8 colour indices: 0 .. NO_PATH-1 over [lo, hi] (clipped), NO_PATH where F = 0.
    The same arithmetic, in the same order, as rint((log F - lo) / (hi - lo) * (NO_PATH - 1))."""
    x = log_flow - lo
    x /= hi - lo
    x *= NO_PATH - 1
    np.rint(x, out=x)
    np.clip(x, 0, NO_PATH - 1, out=x)
    x[~good] = NO_PATH
    return frozen(x, dtype=np.uint8)


def resolve_flow(trace, layer: int = 0, prefix: str = "", top: float | None = None) -> FlowFrame:
    """Pure: the matrix frame of ``trace`` (a run's last trace with the heavy keys, or one without
    them: then "not computed yet"). ``prefix``: the title's "Run B (...) · " in compare mode, where
    the title keeps to the run and the sample (two titles share the width). ``top``: the colour
    scale's top decade (``shared_top``), by default this matrix's own."""
    L = ro.layer_count(trace)
    kept = None
    if f"flow/{layer}" not in trace and f"flow_window/{layer}" in trace and "flow_rows" in trace:
        kept = frozen(trace["flow_rows"], dtype=np.int64)  # a long T: only these rows were computed
    elif f"flow/{layer}" not in trace:
        return FlowFrame(prefix + "Gradient flow: not computed yet", "", L, 0, 0)
    flow = frozen(trace[f"flow/{layer}"] if kept is None else trace[f"flow_window/{layer}"])
    jac = frozen(trace[f"jacobian_norm/{layer}"]) if f"jacobian_norm/{layer}" in trace else None
    sample = int(trace["flow_sample"]) if "flow_sample" in trace else 0
    T = flow.shape[1]
    log_flow, good = _log10(flow)
    lo, hi = ro.log_levels(flow, DECADES, good) if top is None else (top - DECADES, top)
    index = _colour_index(log_flow, good, lo, hi)
    steps = ro.loss_steps(trace["loss_mask"], min(sample, trace["loss_mask"].shape[0] - 1))
    ws = frozen(trace["window_start"], dtype=np.int64)
    truncated = ro.is_truncated(ws, steps)
    band = EMPTY
    if truncated:
        rows = np.nonzero(steps)[0]
        band = (frozen(np.repeat(ws[rows] - 0.5, 2)), frozen(np.column_stack([rows - 0.5, rows + 0.5]).ravel()))
    explanation = ("F[t, k] = ||dL_t/dh_k||. Grey: no path (k > t, cut by truncation, or no loss at t); dark outline: where each row's "
                   "truncation window starts." if truncated else "F[t, k] = ||dL_t/dh_k||. Grey: no path (k > t, or no loss at t).")
    if kept is None:
        default = ro.last_loss_step(np.diag(flow) > 0)
    else:
        last = ro.last_loss_step(flow[np.arange(len(kept)), kept] > 0)
        default = None if last is None else int(kept[last])
        explanation += f" Only {len(kept)} of the loss steps' rows are kept at this length (flow_rows)."
    # compare: two titles share the width, so only the run (the chain text names the sample)
    title = prefix.removesuffix(" · ") if prefix else f"F[t, k] of sample {sample}"
    return FlowFrame(title, explanation, L, T, sample,
                     flow, log_flow, index, (float(lo), float(hi)), band, jac, ws, default, layer, kept)
