"""Each cell's backward step on preallocated buffers, for bptt.sweep.

cells.step_backward is the plain statement of one step (it allocates every temporary). Here what a
step needs that does not depend on the adjoint (the local derivatives of the gates) is computed for
the whole sequence at once (``factors``), so the time loop is a handful of NumPy calls writing into
buffers made once per sweep. The vanilla cell's step does the same operations as step_backward (bit
for bit the same); the gated cells' products are grouped differently (same to about 1e-16 relative).
All arrays are time-major; "per step" slices drop the time axis.
"""
from __future__ import annotations

import numpy as np

from .workspace import scratch


def rnn_derivative_into(act: str, h: np.ndarray, out: np.ndarray) -> np.ndarray | float:
    """act'(a) from h = act(a), any shape, into ``out``: the same numbers as
    activations.derivative_from_output (1.0 itself for linear)."""
    if act == "tanh":
        np.multiply(h, h, out=out)
        return np.subtract(1.0, out, out=out)
    if act == "relu":
        return np.greater(h, 0, out=out, casting="unsafe")
    return 1.0


def rnn_step_backward_into(dh: np.ndarray, deriv: np.ndarray | float, Whh: np.ndarray, da: np.ndarray,
                           dh_prev: np.ndarray) -> None:
    """The vanilla cell's step: da = dh * act'(a_t), dh_prev = da W_hh.

    dh, da, dh_prev: (C, B, H) (dh_prev may be dh itself); deriv: (B, H) act'(a_t) from
    rnn_derivative_into.
    """
    np.multiply(dh, deriv, out=da)
    np.matmul(da, Whh, out=dh_prev)


def factors(cell: str, act: str, cache: dict, tag: str) -> dict:
    """The adjoint-independent factors of one layer's backward steps, (T, B, ...) each.

    rnn ``deriv``: act'(a_t) (or the float 1.0). lstm: ``o_dtanh`` = o (1 - tanh(c)^2) (B, H);
    ``ifg`` (T, B, 3, H): d(i, f, g pre-activations)/dc, i.e. g i (1 - i), c_prev f (1 - f),
    i (1 - g^2); ``o_local`` = tanh(c) o (1 - o); ``f``. gru: ``n_local`` = (1 - z)(1 - n^2),
    ``r_local`` = hn r (1 - r), ``z_local`` = (h_prev - n) z (1 - z), ``r``, ``z``.
    ``tag`` names the scratch arrays (one set per layer).
    """
    h = cache["h"]
    T, B, H = h.shape
    dt = h.dtype
    if cell == "rnn":
        return {"deriv": rnn_derivative_into(act, h, scratch(f"{tag}.deriv", h.shape, dt))}
    g = cache["gates"]
    one_minus = lambda x, out: np.subtract(1.0, x, out=out)  # noqa: E731
    if cell == "lstm":
        i, f, gg, o = g[..., :H], g[..., H : 2 * H], g[..., 2 * H : 3 * H], g[..., 3 * H :]
        tc = cache["tanh_c"]
        tmp = scratch(f"{tag}.tmp", h.shape, dt)
        o_dtanh = scratch(f"{tag}.o_dtanh", h.shape, dt)
        np.multiply(tc, tc, out=tmp)
        np.multiply(o, one_minus(tmp, tmp), out=o_dtanh)
        ifg = scratch(f"{tag}.ifg", (T, B, 3, H), dt)
        np.multiply(gg, i, out=ifg[:, :, 0])
        ifg[:, :, 0] *= one_minus(i, tmp)
        np.multiply(cache["c_prev"], f, out=ifg[:, :, 1])
        ifg[:, :, 1] *= one_minus(f, tmp)
        np.multiply(gg, gg, out=tmp)
        np.multiply(i, one_minus(tmp, tmp), out=ifg[:, :, 2])
        o_local = scratch(f"{tag}.o_local", h.shape, dt)
        np.multiply(tc, o, out=o_local)
        o_local *= one_minus(o, tmp)
        return {"o_dtanh": o_dtanh, "ifg": ifg, "o_local": o_local, "f": f}
    r, z, n = g[..., :H], g[..., H : 2 * H], g[..., 2 * H :]
    tmp = scratch(f"{tag}.tmp", h.shape, dt)
    n_local, r_local, z_local = (scratch(f"{tag}.{k}", h.shape, dt) for k in ("n_local", "r_local", "z_local"))
    np.multiply(n, n, out=tmp)
    np.multiply(one_minus(z, n_local), one_minus(tmp, tmp), out=n_local)
    np.multiply(cache["hn"], r, out=r_local)
    r_local *= one_minus(r, tmp)
    np.subtract(cache["h_prev"], n, out=z_local)
    z_local *= z
    z_local *= one_minus(z, tmp)
    return {"n_local": n_local, "r_local": r_local, "z_local": z_local, "r": r, "z": z}


def lstm_step_backward_into(dh, dc, F: dict, t: int, Whh, da, dc_t) -> None:
    """lstm step t: dc_t = dh o (1 - tanh(c_t)^2) + dc; da (C, B, 4H) the gate pre-activation
    adjoints; then dh <- da W_hh (dL/dh_{t-1}) and dc <- dc_t f (dL/dc_{t-1}), in place.

    dh, dc, dc_t: (C, B, H); da: (C, B, 4H), contiguous in its last axis.
    """
    C, B, GH = da.shape
    H = GH // 4
    np.multiply(dh, F["o_dtanh"][t], out=dc_t)
    dc_t += dc
    da4 = da.reshape(C, B, 4, H)
    np.multiply(dc_t[:, :, None, :], F["ifg"][t], out=da4[:, :, :3])
    np.multiply(dh, F["o_local"][t], out=da4[:, :, 3])
    np.matmul(da, Whh, out=dh)
    np.multiply(dc_t, F["f"][t], out=dc)


def gru_step_backward_into(dh, F: dict, t: int, Whh, dax, dah, work) -> None:
    """gru step t: dax, dah (C, B, 3H) the input- and recurrent-side pre-activation adjoints (they
    differ in the n gate: dah's is dax's times r); then dh <- dh z + dah W_hh, in place.

    dh, work: (C, B, H).
    """
    H = dh.shape[-1]
    dan = dax[..., 2 * H :]
    np.multiply(dh, F["n_local"][t], out=dan)
    np.multiply(dan, F["r_local"][t], out=dah[..., :H])
    np.multiply(dh, F["z_local"][t], out=dah[..., H : 2 * H])
    np.multiply(dan, F["r"][t], out=dah[..., 2 * H :])
    dax[..., : 2 * H] = dah[..., : 2 * H]
    np.matmul(dah, Whh, out=work)
    dh *= F["z"][t]
    dh += work
