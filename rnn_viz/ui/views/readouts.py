"""Small derived quantities the views draw that rnn_viz.engine.analysis does not provide.

Pure NumPy on trace arrays, no Qt, so each has one definition and a test. Shapes: T time steps,
B samples, H units, L layers.
"""
from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from rnn_viz.engine import cell_kinds
from rnn_viz.engine.analysis import jacobian_chain
from rnn_viz.engine.network import DEFAULT_ACTIVATION

__all__ = [
    "layer_count", "cell_kind", "loss_steps", "truncation_windows", "is_truncated",
    "recurrent_edge_carries", "mean_abs", "decade_bins", "running_chain_bound", "flow_ratio",
    "nice_ceiling", "log_levels", "target_probability", "last_loss_step", "decade_span", "nice_span",
    "log10_or_nan", "run_activation", "hidden_nonlinearity",
]


def layer_count(trace: Mapping[str, np.ndarray]) -> int:
    """Number of layers L: the run of keys ``hidden/0``, ``hidden/1``, ... present in the trace."""
    n = 0
    while f"hidden/{n}" in trace:
        n += 1
    return n


def cell_kind(trace: Mapping[str, np.ndarray]) -> str:
    """The cell ("rnn", "lstm" or "gru") of an engine trace, by the engine's facts (engine.cell_kinds):
    the cell with a cell state when it has ``cell/0``, the other gated cell when it has ``gates/0``,
    else the ungated cell."""
    kinds = cell_kinds.CELL_KINDS.values()
    if "cell/0" in trace:
        return next(k.name for k in kinds if k.cell_state)
    if "gates/0" in trace:
        return next(k.name for k in kinds if k.gated and not k.cell_state)
    return next(k.name for k in kinds if not k.gated)


def run_activation(state, run: str) -> str:
    """The hidden activation ("tanh", "relu" or "linear") of run ``run`` ("A", "B", ...) of a
    ViewState, from that run's own resolved experiment; the engine's default when not given.
    Gated cells ignore it."""
    config = state.run(run).config
    model = (config or {}).get("model", {}) or {}
    return model.get("activation") or DEFAULT_ACTIVATION


def hidden_nonlinearity(state, run: str) -> str:
    """The engine's OUTPUT_RANGES key of run ``run``'s h_t: its activation for an rnn cell, the
    gated hidden state for lstm and gru."""
    return cell_kinds.hidden_nonlinearity(cell_kind(state.run(run).trace), run_activation(state, run))


def loss_steps(loss_mask: np.ndarray, sample: int | None = None) -> np.ndarray:
    """(T,) bool: steps that carry a loss, for one sample or (sample None) for any sample.

    loss_mask: (B, T) bool.
    """
    mask = np.asarray(loss_mask, dtype=bool)
    if sample is None:
        return mask.any(axis=0)
    return mask[sample].copy()


def truncation_windows(window_start: np.ndarray, steps: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct backward windows: (starts (W,), ends (W,)) int, each window [start, end] inclusive.

    window_start: (T,) int, the first step a loss at step t reaches; steps: (T,) bool, which steps
    carry a loss. A window is the losses sharing one start; its end is the last of them. Under full
    BPTT this is the single window [0, last loss step]; with k1 < k2 windows overlap.
    """
    ws = np.asarray(window_start, dtype=np.int64)
    loss_at = np.nonzero(np.asarray(steps, dtype=bool))[0]
    if loss_at.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    starts, inverse = np.unique(ws[loss_at], return_inverse=True)
    ends = np.full(starts.shape, -1, dtype=np.int64)
    np.maximum.at(ends, inverse, loss_at)
    return starts, ends


def is_truncated(window_start: np.ndarray, steps: np.ndarray) -> bool:
    """Whether some loss's gradient stops before step 0 (window_start > 0 on a loss step)."""
    steps = np.asarray(steps, dtype=bool)
    return bool(np.any(np.asarray(window_start)[steps] > 0))


def recurrent_edge_carries(window_start: np.ndarray, steps: np.ndarray) -> np.ndarray:
    """(T,) bool: entry t says whether the recurrent edge h_{t-1} -> h_t lies on some loss's backward path.

    A loss at step s reaches back to window_start[s], so it crosses the edge into t when
    window_start[s] <= t - 1 and s >= t. Entry 0 (no edge) is False.
    """
    ws = np.asarray(window_start, dtype=np.float64).copy()
    steps = np.asarray(steps, dtype=bool)
    ws[~steps] = np.inf
    # reach[t] = the earliest start among losses at steps >= t
    reach = np.minimum.accumulate(ws[::-1])[::-1]
    t = np.arange(len(ws))
    carries = reach <= t - 1
    if carries.size:
        carries[0] = False
    return carries


def mean_abs(values: np.ndarray) -> np.ndarray:
    """(T,) mean over units of |values|; values: (T, H)."""
    return np.abs(np.asarray(values, dtype=np.float64)).mean(axis=-1)


def decade_bins(values: np.ndarray, n_bins: int, top: float | None = None) -> np.ndarray:
    """(N,) int bin of each value by decades below ``top`` (default: the largest value).

    Bin n_bins-1 holds values within one decade of top, n_bins-2 the next decade, and bin 0 everything
    smaller still. Values that are 0, negative or not finite get -1 (no signal).
    """
    v = np.asarray(values, dtype=np.float64)
    good = np.isfinite(v) & (v > 0)
    out = np.full(v.shape, -1, dtype=np.int64)
    if not good.any():
        return out
    top = float(v[good].max()) if top is None else float(top)
    decades = np.floor(np.log10(top / v[good]))
    out[good] = np.clip(n_bins - 1 - decades, 0, n_bins - 1).astype(np.int64)
    return out


def running_chain_bound(jacobian_norm: np.ndarray, k: int, t: int) -> tuple[np.ndarray, np.ndarray]:
    """The Jacobian-chain bound on ||dh_t/dh_j|| for every j on the path k..t.

    jacobian_norm: (T,). Returns (steps (t-k+1,) = k..t, bound (t-k+1,)) with bound[j] the product of
    ||dh_s/dh_{s-1}|| for s = steps[j]+1 .. t (1 at j = t). bound[0] equals ``jacobian_chain``'s product.
    """
    factors, _ = jacobian_chain(jacobian_norm, k, t)
    with np.errstate(over="ignore", under="ignore"):
        tail = np.cumprod(factors[::-1])[::-1]
    bound = np.append(tail, 1.0)
    return np.arange(k, t + 1), bound


def flow_ratio(flow: np.ndarray, k: int, t: int) -> float:
    """F[t, k] / F[t, t]: how much of loss t's signal at h_t is left at h_k (nan if F[t, t] is 0).

    flow: (T, T).
    """
    diag = float(flow[t, t])
    return float(flow[t, k]) / diag if diag > 0 else float("nan")


def nice_ceiling(x: float) -> float:
    """The smallest of 1, 2, 5 x 10^n that is >= x (x > 0); 1 for x <= 0 or not finite."""
    if not math.isfinite(x) or x <= 0:
        return 1.0
    exp = math.floor(math.log10(x))
    for m in (1.0, 2.0, 5.0, 10.0):
        if m * 10.0**exp >= x * (1 - 1e-12):
            return m * 10.0**exp
    return 10.0 ** (exp + 1)


def log_levels(values: np.ndarray, decades: int, good: np.ndarray | None = None) -> tuple[float, float]:
    """Colour levels (lo, hi) in log10 units: hi = the decade at or above the largest positive value,
    lo = hi - decades. Rounding to whole decades keeps the scale still while the values drift.
    ``good``: the mask of the positive finite values when the caller has it already (the largest is
    then found in place, without gathering them: 1.3 of the 2 ms a 1000 x 1000 matrix took)."""
    v = np.asarray(values, dtype=np.float64)
    if good is not None:
        top = float(np.max(v, where=good, initial=0.0))
        hi = float(np.ceil(np.log10(top))) if top > 0 else 0.0
        return hi - decades, hi
    good = v[np.isfinite(v) & (v > 0)]
    hi = float(np.ceil(np.log10(good.max()))) if good.size else 0.0
    return hi - decades, hi


def target_probability(predictions: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """(T,) probability the model gives the target class; predictions (T, O) softmax, targets (T,) int."""
    targets = np.asarray(targets, dtype=np.int64)
    return np.take_along_axis(np.asarray(predictions), targets[:, None], axis=1)[:, 0]


def last_loss_step(steps: np.ndarray) -> int | None:
    """Index of the last True in steps (T,) bool, or None."""
    idx = np.nonzero(np.asarray(steps, dtype=bool))[0]
    return int(idx[-1]) if idx.size else None


def decade_span(*arrays: np.ndarray, max_decades: int = 20) -> tuple[float, float] | None:
    """(lo, hi) in log10 units: whole decades around every positive finite value of ``arrays``, at
    most ``max_decades`` deep; None when there is none. Whole decades keep a log axis still while the
    values drift from update to update."""
    good = [np.asarray(a, dtype=np.float64).ravel() for a in arrays]
    good = [a[np.isfinite(a) & (a > 0)] for a in good]
    good = [a for a in good if a.size]
    if not good:
        return None
    lo = float(np.floor(np.log10(min(a.min() for a in good))))
    hi = float(np.ceil(np.log10(max(a.max() for a in good))))
    if hi <= lo:
        hi = lo + 1
    return max(lo, hi - max_decades), hi


def nice_span(*arrays: np.ndarray, ticks: int = 4) -> tuple[float, float] | None:
    """(lo, hi) covering every finite value of ``arrays``, rounded out to multiples of a 1-2-5 step of
    about a ``ticks``-th of the data's extent; None when there is no finite value."""
    good = [np.asarray(a, dtype=np.float64).ravel() for a in arrays]
    good = [a[np.isfinite(a)] for a in good]
    good = [a for a in good if a.size]
    if not good:
        return None
    lo = min(float(a.min()) for a in good)
    hi = max(float(a.max()) for a in good)
    if hi == lo:
        return lo - 0.5, hi + 0.5
    step = nice_ceiling((hi - lo) / ticks)
    return math.floor(lo / step) * step, math.ceil(hi / step) * step


def log10_or_nan(values: np.ndarray) -> np.ndarray:
    """log10 of each value, NaN where it is 0, negative or not finite (a gap on a log axis).

    The views hand log10 data to plain curves on a log-labelled axis: pyqtgraph's own log mode
    needs PlotDataItem, which costs ten times more per update.
    """
    v = np.asarray(values, dtype=np.float64)
    out = np.full(v.shape, np.nan)
    good = np.isfinite(v) & (v > 0)
    out[good] = np.log10(v[good])
    return out
