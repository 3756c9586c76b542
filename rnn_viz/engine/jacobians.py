"""Exact step Jacobians of a layer's state map, and that map itself from any state.

The state s of one layer is h (rnn, gru) or (h, c) concatenated (lstm): S = H or 2H. The step map is
s_t = f(s_{t-1}, x_t). Every derivative of the cell equations is elementwise in the unit, so each
Jacobian is a sum of gate blocks of a weight matrix with their rows scaled, plus a diagonal:

    ds_t/ds_{t-1} = sum_g diag(coef_g) W_hh[g] + diag(direct),    ds_t/dx_t = sum_g diag(coef_g') W_xh[g]

The coefficients are read from ``cells.step_backward`` (the tested vector-Jacobian product) with an
all-ones adjoint, so the cell derivatives have one definition; building J this way costs
O(B G H^2) per step instead of the O(B G H^3) of one VJP per basis vector.
"""
from __future__ import annotations

import numpy as np

from . import activations, cells


def state_size(cell: str, hidden: int) -> int:
    """S: H for rnn and gru, 2H for lstm (h then c)."""
    return 2 * hidden if cell == "lstm" else hidden


def _coefficients(cell: str, act: str, at: dict, Whh: np.ndarray, dh: np.ndarray, dc: np.ndarray | None):
    """Per-unit coefficients of one row family: (coef_x, coef_h, direct_h, direct_c), shapes (..., B, G*H)
    twice then (..., B, H) twice (direct_c None unless lstm). ``dh``, ``dc``: all-ones or all-zeros."""
    dax, dah, dh_prev, dc_prev, _ = cells.step_backward(cell, act, dh, dc, at, Whh)
    # What dh_prev holds beyond dah @ Whh is the direct (diagonal) path: gru's z * h_{t-1}.
    direct_h = dh_prev - dah @ Whh if cell == "gru" else np.zeros_like(dh_prev)
    return dax, dah, direct_h, dc_prev


def _blocks(coef: np.ndarray, W: np.ndarray, H: int) -> np.ndarray:
    """sum_g diag(coef_g) W[g]: coef (B, G*H), W (G*H, N) -> (B, H, N)."""
    B, GH = coef.shape
    G = GH // H
    return np.einsum("bgh,ghn->bhn", coef.reshape(B, G, H), W.reshape(G, H, W.shape[1]))


def step_jacobians(cell: str, act: str, at: dict, Whh: np.ndarray, Wxh: np.ndarray | None = None):
    """The Jacobians of one step of one layer at the states in ``at``.

    ``at``: the layer cache at one step, arrays (B, X) (``cells.at_step`` or :func:`step_forward`).
    Whh: (G*H, H); Wxh: (G*H, I) or None. Returns (J, Jx): J (B, S, S) = ds_t/ds_{t-1} and Jx
    (B, S, I) = ds_t/dx_t (None when ``Wxh`` is None).
    """
    h = at["h"]
    B, H = h.shape
    ones, zeros = np.ones_like(h), np.zeros_like(h)
    if cell != "lstm":
        cx, ch, direct, _ = _coefficients(cell, act, at, Whh, ones, None)
        J = _blocks(ch, Whh, H)
        J[:, np.arange(H), np.arange(H)] += direct
        return J, (_blocks(cx, Wxh, H) if Wxh is not None else None)
    # lstm: rows of h_t (adjoint dh = 1, dc = 0) and of c_t (dh = 0, dc = 1)
    hx, hh, _, h_c = _coefficients(cell, act, at, Whh, ones, zeros)
    cx, chh, _, c_c = _coefficients(cell, act, at, Whh, zeros, ones)
    J = np.zeros((B, 2 * H, 2 * H), dtype=h.dtype)
    J[:, :H, :H] = _blocks(hh, Whh, H)
    J[:, H:, :H] = _blocks(chh, Whh, H)
    idx = np.arange(H)
    J[:, idx, H + idx] = h_c
    J[:, H + idx, H + idx] = c_c
    Jx = None
    if Wxh is not None:
        Jx = np.concatenate([_blocks(hx, Wxh, H), _blocks(cx, Wxh, H)], axis=1)
    return J, Jx


def layer_step_jacobians(spec, params: dict, cache: dict, layer: int, t: int) -> np.ndarray:
    """ds_t/ds_{t-1} of ``layer`` at step t for every sample of a forward cache: (B, S, S)."""
    J, _ = step_jacobians(spec.cell, spec.activation, cells.at_step(cache, t), params[f"Whh.{layer}"])
    return J


def step_forward(cell: str, act: str, xproj: np.ndarray, s: np.ndarray, Whh: np.ndarray,
                 bhn: np.ndarray | None) -> dict:
    """One step of one layer from arbitrary states (``cells.forward`` always starts from zero).

    xproj: (P, G*H) = W_xh x + b_h; s: (P, S) the previous states. Returns the step's cache as
    ``cells.forward`` lays it out at one step (arrays (P, X): ``h``, ``h_prev``, and lstm ``c``,
    ``c_prev``, ``tanh_c``, ``gates``; gru ``gates``, ``hn``) plus ``s`` (P, S), the new state.
    """
    H = Whh.shape[1]
    h_prev = s[:, :H]
    z = xproj + h_prev @ Whh.T
    at: dict = {"h_prev": h_prev}
    if cell == "rnn":
        at["h"] = activations.apply(act, z)
        at["s"] = at["h"]
        return at
    if cell == "lstm":
        c_prev = s[:, H:]
        g = activations.sigmoid(z)
        g[:, 2 * H : 3 * H] = np.tanh(z[:, 2 * H : 3 * H])
        c = g[:, H : 2 * H] * c_prev + g[:, :H] * g[:, 2 * H : 3 * H]
        tanh_c = np.tanh(c)
        h = g[:, 3 * H :] * tanh_c
        at.update(h=h, c=c, c_prev=c_prev, tanh_c=tanh_c, gates=g, s=np.concatenate([h, c], axis=1))
        return at
    g = np.empty_like(z)
    g[:, : 2 * H] = activations.sigmoid(z[:, : 2 * H])
    hn = h_prev @ Whh[2 * H :].T + bhn
    g[:, 2 * H :] = np.tanh(xproj[:, 2 * H :] + g[:, :H] * hn)
    h = g[:, 2 * H :] + g[:, H : 2 * H] * (h_prev - g[:, 2 * H :])
    at.update(h=h, gates=g, hn=hn, s=h)
    return at
