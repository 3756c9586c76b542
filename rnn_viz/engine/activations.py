"""Hidden activations of the vanilla cell, with derivatives expressed through the output value."""
from __future__ import annotations

import math

import numpy as np

# h_t of a gated cell: lstm's o * tanh(c_t) and gru's mix (1 - z) * n + z * h_{t-1} of tanh
# candidates, from h_0 = 0, both stay within tanh's range whatever the gates do.
GATED_HIDDEN = "gated hidden state"

# The values each nonlinearity can take, (lo, hi), infinite where unbounded: the one place views read
# a quantity's natural range from (the colour scales' ``fixed`` mode). ``sigmoid`` is the gated
# cells' gate function, the others the vanilla cell's activations (network.ACTIVATIONS), and
# GATED_HIDDEN the range of a gated cell's h_t (cell_kinds.hidden_nonlinearity).
OUTPUT_RANGES = {
    "tanh": (-1.0, 1.0),
    "sigmoid": (0.0, 1.0),
    "relu": (0.0, math.inf),
    "linear": (-math.inf, math.inf),
    GATED_HIDDEN: (-1.0, 1.0),
}


def apply(name: str, a: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """h = act(a), any shape; written into ``out`` when given."""
    if name == "tanh":
        return np.tanh(a, out=out)
    if name == "relu":
        return np.maximum(a, 0.0, out=out)
    if out is None:
        return a.copy()
    out[...] = a
    return out


def into(name: str):
    """apply(name, a, out) as a function f(a, out) chosen once, for a time loop."""
    if name == "tanh":
        return np.tanh
    if name == "relu":
        return lambda a, out: np.maximum(a, 0.0, out=out)
    return lambda a, out: apply(name, a, out)


def derivative_from_output(name: str, h: np.ndarray) -> np.ndarray | float:
    """act'(a) computed from h = act(a): tanh' = 1 - h^2, relu' = [h > 0], linear' = 1."""
    if name == "tanh":
        return 1.0 - h * h
    if name == "relu":
        return (h > 0).astype(h.dtype)
    return 1.0


def sigmoid(a: np.ndarray, out: np.ndarray | None = None, work: np.ndarray | None = None,
            negative: np.ndarray | None = None) -> np.ndarray:
    """Logistic function 1 / (1 + e^-a), written into ``out`` when given.

    With e = exp(-|a|) <= 1 it is 1 / (1 + e) for a >= 0 and e / (1 + e) for a < 0: no overflow and
    full relative precision in both tails. ``work`` (float) and ``negative`` (bool), shaped like
    ``a`` and with ``out`` given, make it allocate nothing (the same operations, so the same numbers).
    """
    if work is None or negative is None or out is None:
        e = np.exp(-np.abs(a))
        out = np.divide(1.0, 1.0 + e, out=out)
        np.multiply(out, e, out=out, where=a < 0)
        return out
    e = np.exp(np.negative(np.abs(a, out=work), out=work), out=work)
    np.divide(1.0, np.add(1.0, e, out=out), out=out)
    np.multiply(out, e, out=out, where=np.less(a, 0, out=negative))
    return out
