"""Hidden activations of the vanilla cell, with derivatives expressed through the output value."""
from __future__ import annotations

import numpy as np


def apply(name: str, a: np.ndarray) -> np.ndarray:
    """h = act(a), any shape."""
    if name == "tanh":
        return np.tanh(a)
    if name == "relu":
        return np.maximum(a, 0.0)
    return a.copy()


def derivative_from_output(name: str, h: np.ndarray) -> np.ndarray | float:
    """act'(a) computed from h = act(a): tanh' = 1 - h^2, relu' = [h > 0], linear' = 1."""
    if name == "tanh":
        return 1.0 - h * h
    if name == "relu":
        return (h > 0).astype(h.dtype)
    return 1.0


def sigmoid(a: np.ndarray) -> np.ndarray:
    """Logistic function, stable for large |a| (no overflow warnings)."""
    out = np.empty_like(a)
    pos = a >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-a[pos]))
    e = np.exp(a[~pos])
    out[~pos] = e / (1.0 + e)
    return out
