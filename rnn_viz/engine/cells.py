"""The three recurrent cells: forward over a sequence, backward through one time step.

Equations (PyTorch's, gate order included, so weights are interchangeable with torch.nn.RNN/LSTM/GRU):

    rnn   a_t = W_xh x_t + b_h + W_hh h_{t-1};            h_t = act(a_t)
    lstm  [i f g o] = W_xh x_t + b_h + W_hh h_{t-1};        i, f, o = sigmoid(.), g = tanh(.)
          c_t = f * c_{t-1} + i * g;                        h_t = o * tanh(c_t)
    gru   [r z] = sigmoid(W_x[rz] x_t + b_[rz] + W_h[rz] h_{t-1})
          n = tanh(W_xn x_t + b_n + r * (W_hn h_{t-1} + b_hn));   h_t = (1 - z) * n + z * h_{t-1}

The input projection W_xh x_t + b_h of every step is computed before the time loop (``xproj``);
only the recurrent product stays inside it. Initial states are zero. Inside the engine, sequences are
time-major (T, B, ...) so that every step reads and writes contiguous memory.
"""
from __future__ import annotations

import numpy as np

from . import activations
from .cancel import polled


def forward(cell: str, act: str, xproj: np.ndarray, Whh: np.ndarray, bhn: np.ndarray | None,
            alloc=None) -> dict:
    """Run one layer over the sequence. Arrays are time-major so that each step is contiguous.

    xproj: (T, B, G*H) = x_t @ W_xh.T + b_h for every step. Whh: (G*H, H). bhn: (H,) for gru.
    Returns the layer cache: ``h`` (T, B, H) and ``h_prev`` (T, B, H) (h one step later, zeros at
    t = 0); lstm adds ``c``, ``c_prev``, ``tanh_c`` (T, B, H) and ``gates`` (T, B, 4H) after their
    nonlinearity; gru adds ``gates`` (T, B, 3H) and ``hn`` (T, B, H) = W_hn h_{t-1} + b_hn.
    ``alloc(name, shape, dtype)``: where the cache's arrays come from (default fresh np.empty;
    network.forward passes scratch arrays when the cache will not outlive the update).
    """
    new = alloc if alloc is not None else (lambda name, shape, dtype: np.empty(shape, dtype))
    T, B, GH = xproj.shape
    H = Whh.shape[1]
    WhhT = Whh.T
    # h_prev is h shifted by one step: both are views of one (T + 1)-step buffer, so the loop
    # never copies a state
    hbuf = new("h", (T + 1, B, H), xproj.dtype)
    hbuf[0] = 0.0
    h, h_prev = hbuf[1:], hbuf[:-1]
    cache: dict = {"h": h, "h_prev": h_prev}
    z = np.empty((B, GH), dtype=xproj.dtype)
    # np.dot, not np.matmul, for the step's product: the same BLAS call and the same numbers, and
    # 0.4 us less dispatch per call, which at B = 1 was a fifth of the step
    dot = np.dot
    hs = list(hbuf)  # every step's view made once: hs[t] is h_prev[t], hs[t + 1] is h[t]
    steps = polled(range(T))
    if cell == "rnn":
        act_into = activations.into(act)
        for t, x in zip(steps, xproj):
            dot(hs[t], WhhT, out=z)
            np.add(z, x, out=z)
            act_into(z, hs[t + 1])
        return cache
    # the gated cells' per-step temporaries, made once
    work, negative, w2 = np.empty_like(z), np.empty(z.shape, bool), np.empty((B, H), xproj.dtype)
    if cell == "lstm":
        cbuf = new("c", hbuf.shape, hbuf.dtype)
        cbuf[0] = 0.0
        c, c_prev = cbuf[1:], cbuf[:-1]
        tanh_c, gates = new("tanh_c", h.shape, h.dtype), new("gates", xproj.shape, xproj.dtype)
        for t, x in zip(steps, xproj):
            dot(hs[t], WhhT, out=z)
            z += x
            g = gates[t]
            # one contiguous sigmoid over all four gates is cheaper than three strided ones
            activations.sigmoid(z, out=g, work=work, negative=negative)
            np.tanh(z[:, 2 * H : 3 * H], out=g[:, 2 * H : 3 * H])
            np.multiply(g[:, H : 2 * H], c_prev[t], out=c[t])
            c[t] += np.multiply(g[:, :H], g[:, 2 * H : 3 * H], out=w2)
            np.tanh(c[t], out=tanh_c[t])
            np.multiply(g[:, 3 * H :], tanh_c[t], out=h[t])
        cache.update(c=c, c_prev=c_prev, tanh_c=tanh_c, gates=gates)
    elif cell == "gru":
        gates, hn = new("gates", xproj.shape, xproj.dtype), new("hn", h.shape, h.dtype)
        for t, x in zip(steps, xproj):
            dot(hs[t], WhhT, out=z)
            g = gates[t]
            rz = np.add(x[:, : 2 * H], z[:, : 2 * H], out=work[:, : 2 * H])
            # z's r, z columns are free once rz is formed: the sigmoid's scratch
            activations.sigmoid(rz, out=g[:, : 2 * H], work=z[:, : 2 * H], negative=negative[:, : 2 * H])
            np.add(z[:, 2 * H :], bhn, out=hn[t])
            n_in = np.multiply(g[:, :H], hn[t], out=w2)
            np.tanh(np.add(x[:, 2 * H :], n_in, out=w2), out=g[:, 2 * H :])
            zg = g[:, H : 2 * H]
            diff = np.subtract(h_prev[t], g[:, 2 * H :], out=w2)
            np.add(g[:, 2 * H :], np.multiply(zg, diff, out=w2), out=h[t])
        cache.update(gates=gates, hn=hn)
    return cache


def at_step(cache: dict, t: int) -> dict:
    """The cache arrays at time step t: each (T, B, X) array becomes (B, X) (engine/jacobians.py)."""
    return {k: v[t] for k, v in cache.items()}


def step_backward(cell: str, act: str, dh: np.ndarray, dc: np.ndarray | None, at: dict, Whh: np.ndarray):
    """Backpropagate through one time step.

    dh: (..., B, H) total adjoint dL/dh_t (any leading axes, e.g. truncation chains); dc: the same for
    the lstm cell state (None otherwise). ``at``: the layer cache at step t (arrays (B, X), broadcast
    against the leading axes). Returns (dax, dah, dh_prev, dc_prev, dc_t): dax (..., B, G*H) adjoint
    of the input-side pre-activations (W_xh x_t + b_h), dah (..., B, G*H) of the recurrent-side ones
    (W_hh h_{t-1} [+ b_hn]); they differ only in gru's n gate. dh_prev, dc_prev: (..., B, H); dc_t the
    total adjoint of the lstm cell state c_t (dc_prev, dc_t are None for rnn and gru).
    """
    if cell == "rnn":
        da = dh * activations.derivative_from_output(act, at["h"])
        return da, da, da @ Whh, None, None
    H = Whh.shape[1]
    g = at["gates"]
    if cell == "lstm":
        i, f, gg, o = g[..., :H], g[..., H : 2 * H], g[..., 2 * H : 3 * H], g[..., 3 * H :]
        tc = at["tanh_c"]
        dc = dh * o * (1.0 - tc * tc) + (0.0 if dc is None else dc)
        da = np.concatenate(
            [dc * gg * i * (1.0 - i), dc * at["c_prev"] * f * (1.0 - f), dc * i * (1.0 - gg * gg), dh * tc * o * (1.0 - o)],
            axis=-1,
        )
        return da, da, da @ Whh, dc * f, dc
    # gru
    r, z, n = g[..., :H], g[..., H : 2 * H], g[..., 2 * H :]
    hp = at["h_prev"]
    dan = dh * (1.0 - z) * (1.0 - n * n)
    dar = dan * at["hn"] * r * (1.0 - r)
    daz = dh * (hp - n) * z * (1.0 - z)
    dax = np.concatenate([dar, daz, dan], axis=-1)
    dah = np.concatenate([dar, daz, dan * r], axis=-1)
    return dax, dah, dh * z + dah @ Whh, None, None
