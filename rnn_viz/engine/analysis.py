"""Read-outs derived from a trace: the Pascanu envelope, the memory horizon, Jacobian chains.

Views call these instead of doing their own arithmetic, so every number drawn has one definition.
"""
from __future__ import annotations

import numpy as np

# Upper bound gamma on |act'(a)|: tanh' <= 1, relu' <= 1, linear' = 1. Pascanu et al. (2013), eq. 7.
ACTIVATION_DERIVATIVE_BOUND = {"tanh": 1.0, "relu": 1.0, "linear": 1.0}


def envelope(sigma_max: float, lags: np.ndarray, gamma: float = 1.0) -> np.ndarray:
    """Pascanu's bound (gamma * sigma_max(W_hh)) ** lag on ||dh_t'/dh_t|| for one rnn layer.

    lags: (N,) non-negative ints t' - t. Returns (N,) floats. It bounds the path from one loss step
    t' back to step t through one vanilla-rnn layer; it says nothing about gated cells.
    """
    lags = np.asarray(lags, dtype=np.float64)
    with np.errstate(over="ignore", under="ignore"):
        return np.power(gamma * float(sigma_max), lags)


def memory_horizon(profile: np.ndarray, fraction: float = 1e-3) -> int:
    """How many steps back from its peak the signal stays at or above ``fraction`` of the peak.

    profile: (T,) gradient norms over time steps (e.g. ``dL_dh_norm/<l>`` or a flow-matrix row).
    Scanning from the peak towards step 0, returns the lag of the first step below
    ``fraction * peak`` (so 0 < result <= peak index + 1); if none falls below, the signal reaches
    step 0 and the result is peak index + 1. All-zero profiles give 0.
    """
    profile = np.asarray(profile, dtype=np.float64)
    if profile.size == 0 or not np.any(profile > 0):
        return 0
    peak = int(np.argmax(profile))
    below = np.nonzero(profile[: peak + 1][::-1] < fraction * profile[peak])[0]
    return int(below[0]) if below.size else peak + 1


def jacobian_chain(jacobian_norm: np.ndarray, k: int, t: int) -> tuple[np.ndarray, float]:
    """The factors ||dh_s/dh_{s-1}|| for s = k+1 .. t along the path from h_k to h_t, and their product.

    jacobian_norm: (T,) spectral norms of the step Jacobians. The product bounds ||dh_t/dh_k||
    (submultiplicativity); the flow matrix gives the actual value. Returns ((t-k,), float).
    """
    if not 0 <= k <= t < len(jacobian_norm):
        raise ValueError(f"need 0 <= k <= t < T, got k={k}, t={t}, T={len(jacobian_norm)}")
    factors = np.asarray(jacobian_norm[k + 1 : t + 1], dtype=np.float64)
    return factors, float(np.prod(factors)) if factors.size else 1.0


def per_step_decay(flow: np.ndarray, t: int) -> float:
    """Mean log-decay per step of row t of a flow matrix: slope of log F[t, k] against lag t - k.

    flow: (T, T). Uses the non-zero entries k <= t of row t (least squares). Returns nan when fewer
    than two are non-zero.
    """
    row = np.asarray(flow[t, : t + 1], dtype=np.float64)
    k = np.nonzero(row > 0)[0]
    if k.size < 2:
        return float("nan")
    lags = t - k
    slope = np.polyfit(lags, np.log(row[k]), 1)[0]
    return float(slope)
