"""Instrumentation: the measurements of one step that the views draw and trace.npz stores.

Cheap parts (recorded every update) reuse what the forward pass and the sweep already hold; the heavy
parts (flow matrix, step-Jacobian norms) run extra sweeps for one sample and are computed on request.
"""
from __future__ import annotations

import numpy as np

from . import activations, bptt, cells
from .cancel import poll
from .cell_kinds import CELL_KINDS

SATURATION_LEVEL = 0.99


# Elements of the (T_chunk, G*H, H) stack of per-step products the direct route holds at once.
_DIRECT_CHUNK_ELEMENTS = 1 << 20


def step_contribution_norms(dah: np.ndarray, h_prev: np.ndarray, route: str | None = None) -> np.ndarray:
    """||dah_t^T h_{t-1}||_F for every step: the norm of step t's term of dL/dW_hh.

    dah: (T, B, G*H); h_prev: (T, B, H), time-major. Returns (T,). Two routes give the same numbers
    (to rounding): ``"direct"`` forms each (G*H, H) product dah_t^T h_{t-1} (B G H^2 multiply-adds per
    step); ``"gram"`` uses ||A^T P||_F^2 = sum((A A^T) * (P P^T)) with two (B, B) Gram matrices per
    step (B^2 (G + 1) H). ``route`` None takes the one with fewer operations: direct when
    B (G + 1) >= G H, i.e. for large batches (measured at B = 256, T = 100, H = 64: 9 ms against the
    Gram stacks' 68 ms), Gram when the batch is small (B = 32, T = 200, H = 256: 7 ms against 46 ms).
    """
    T, B, GH = dah.shape
    H = h_prev.shape[-1]
    if route is None:
        route = "direct" if B * (GH + H) >= GH * H else "gram"
    if route == "gram":
        sq = np.einsum("tbc,tbc->t", dah @ dah.transpose(0, 2, 1), h_prev @ h_prev.transpose(0, 2, 1))
        return np.sqrt(np.maximum(sq, 0.0))
    if route != "direct":
        raise ValueError(f"route must be 'direct', 'gram' or None, got {route!r}")
    out = np.empty(T, dtype=dah.dtype)
    step = max(1, _DIRECT_CHUNK_ELEMENTS // (GH * H))
    for t0 in range(0, T, step):
        poll()
        prod = dah[t0 : t0 + step].transpose(0, 2, 1) @ h_prev[t0 : t0 + step]  # (chunk, G*H, H)
        out[t0 : t0 + step] = np.sqrt(np.einsum("tij,tij->t", prod, prod))
    return out


def saturation(cell: str, act: str, cache: dict) -> np.ndarray:
    """(T,) fraction of (sample, unit) pairs in the flat part of the layer's squashing function.

    rnn tanh: |h| > 0.99; rnn relu: h = 0 (pre-activation <= 0); rnn linear: 0;
    lstm: |g| > 0.99 (the candidate); gru: |n| > 0.99 (the candidate).
    """
    h = cache["h"]
    if cell == "rnn":
        if act == "tanh":
            return _share(_outside(h, SATURATION_LEVEL))
        if act == "relu":
            return _share(h <= 0)
        return np.zeros(h.shape[0])
    H = h.shape[-1]
    gate = cache["gates"][..., 2 * H : 3 * H] if cell == "lstm" else cache["gates"][..., 2 * H :]
    return _share(_outside(gate, SATURATION_LEVEL))


def _outside(a: np.ndarray, level: float) -> np.ndarray:
    """|a| > level, as two comparisons: no float temporary the size of ``a`` (NaN: False either way)."""
    return np.logical_or(a > level, a < -level)


def _share(flags: np.ndarray) -> np.ndarray:
    """(T,) the share of True over the other axes of (T, ...) ``flags``: a count over the size, the
    number mean() gives (a sum of ones is exact)."""
    return np.count_nonzero(flags, axis=tuple(range(1, flags.ndim))) / (flags[0].size if len(flags) else 1)


def sample_caches(caches: list[dict], b: int) -> list[dict]:
    """Each (time-major) layer cache restricted to sample b (batch axis kept, length 1)."""
    return [{k: v[:, b : b + 1] for k, v in cache.items()} for cache in caches]


# The most flow rows a trace keeps when the (T, T) matrix does not fit (flow_rows, flow_window/<l>).
MAX_FLOW_ROWS = 2048


def kept_flow_rows(loss_mask: np.ndarray, most: int = MAX_FLOW_ROWS) -> np.ndarray:
    """(R,) int64 loss steps of one sample's loss_mask (T,) bool, R <= most, evenly spread, the last kept."""
    steps = np.flatnonzero(np.asarray(loss_mask, dtype=bool)).astype(np.int64)
    if len(steps) <= most:
        return steps
    # indices counted back from the last step so that it is always among them
    pick = (len(steps) - 1) - np.round(np.linspace(0, len(steps) - 1, most)).astype(np.int64)[::-1]
    return steps[np.unique(pick)]


def flow_matrices(spec, params: dict, caches: list[dict], dh_out: np.ndarray, blocks: bptt.Chains, b: int,
                  rows: np.ndarray | None = None) -> list[np.ndarray]:
    """F[t, k] = ||dL_t/dh_k|| per layer for sample b, as (T, T) arrays.

    L_t is sample b's loss term at step t with the loss's normalisation (dh_out: (B, T, H) already
    carries it; time-major (T, B, H)). Row t is carried back to its block's window start and no further, so truncation
    shows as a band; rows of steps without a loss are zero. One sweep with a chain per loss step.
    rows: (R,) increasing steps; then only those rows, as (R, T) arrays (``flow_window/<l>``).
    """
    dh = dh_out[:, b : b + 1]
    if rows is not None:
        # a step between kept rows is owned by the next kept chain: its loss must not enter it
        keep = np.zeros(dh.shape[0], dtype=bool)
        keep[np.asarray(rows, dtype=np.intp)] = True
        dh = np.where(keep[:, None, None], dh, 0.0).astype(dh.dtype, copy=False)
    out = bptt.sweep(
        spec, params, sample_caches(caches, b), dh, bptt.per_step_chains(blocks, rows),
        want_weight_terms=False, record_chain_norms=True, want_dh=rows is None,
    )
    return out["chain_norms"]


def _rnn_jacobians(act: str, h: np.ndarray, Whh: np.ndarray) -> np.ndarray:
    """(T, H, H) the vanilla cell's step Jacobians, transposed: row i of step t is act'(a_t)_i W_hh[i].

    h: (T, H) one sample's states; Whh finite. The numbers of step_backward applied to the basis
    vectors (one nonzero term in each sum, so the product itself; + 0.0 gives the sum's +0.0 where
    the product is -0.0), made by one broadcast product instead of T H vector-matrix products
    (0.12 s of 0.7 for a heavy trace at T = 200, H = 128, measured)."""
    deriv = activations.derivative_from_output(act, h)
    T, H = h.shape
    rows = np.multiply(np.asarray(deriv, dtype=Whh.dtype)[..., None] if np.ndim(deriv) else deriv,
                       np.broadcast_to(Whh, (T, H, H)))
    rows += 0.0
    return rows


# Matrices spectral_norms squares at once: its two temporaries (scaled copy, Gram) hold 16 matrices
# each, less than the SVD's own copy of a whole chunk of steps.
_GRAM_BLOCK = 16


def spectral_norms(mats: np.ndarray) -> np.ndarray:
    """(N,) the largest singular value of each of mats (N, m, n), as ``np.linalg.norm(ord=2)``.

    Finite matrices go by the largest eigenvalue of the smaller Gram matrix (eigvalsh), after scaling
    each by a power of two (exact) to a largest entry in [0.5, 1), so that the squares neither
    overflow nor underflow: 124 ms against the SVD's 166 ms for 200 steps at H = 128, and 0.70
    against 0.99 s at H = 256 (one BLAS thread, measured), the same values to a few units in the
    last place (relative error 2.7e-15 at H = 256). A stack holding a non-finite entry goes to the
    SVD, as before.
    """
    if not np.all(np.isfinite(mats)):
        return np.linalg.norm(mats, ord=2, axis=(1, 2))
    out = np.empty(mats.shape[0], dtype=mats.dtype)
    for i in range(0, mats.shape[0], _GRAM_BLOCK):
        block = mats[i : i + _GRAM_BLOCK]
        _, exponent = np.frexp(np.maximum(block.max(axis=(1, 2)), -block.min(axis=(1, 2))))
        scaled = np.ldexp(block, -exponent[:, None, None])
        wide = block.shape[1] <= block.shape[2]
        gram = scaled @ scaled.transpose(0, 2, 1) if wide else scaled.transpose(0, 2, 1) @ scaled
        del scaled
        top = np.maximum(np.linalg.eigvalsh(gram)[:, -1], 0.0)
        out[i : i + _GRAM_BLOCK] = np.ldexp(np.sqrt(top), exponent)
    return out


def jacobian_norms(spec, params: dict, caches: list[dict], b: int) -> list[np.ndarray]:
    """Spectral norm of each step Jacobian of each layer, for sample b: list of (T,) arrays.

    rnn, gru: d h_t / d h_{t-1}; lstm: the Jacobian of the state (h_t, c_t) w.r.t. (h_{t-1}, c_{t-1}).
    Rows of J_t are vector-Jacobian products of the basis vectors, all steps at once.
    """
    norms = []
    for l, cache in enumerate(caches):
        at = {k: v[:, b : b + 1] for k, v in cache.items()}  # (T, 1, X): steps as a leading axis
        T, H = cache["h"].shape[0], spec.hidden_size
        eye = np.eye(H, dtype=cache["h"].dtype)[:, None, None, :]
        zero = np.zeros_like(eye)
        Whh = params[f"Whh.{l}"]
        kind = CELL_KINDS[spec.cell]
        if not kind.gated and np.all(np.isfinite(Whh)):
            rows = _rnn_jacobians(spec.activation, at["h"][:, 0], Whh)
        elif kind.cell_state:
            _, _, hh, ch, _ = cells.step_backward(spec.cell, spec.activation, eye, zero, at, Whh)
            _, _, hc, cc, _ = cells.step_backward(spec.cell, spec.activation, zero, eye, at, Whh)
            rows = np.concatenate([np.concatenate([hh, ch], -1), np.concatenate([hc, cc], -1)], 0)
        else:
            _, _, rows, _, _ = cells.step_backward(spec.cell, spec.activation, eye, None, at, Whh)
        if rows.ndim == 4:
            rows = np.broadcast_to(rows, (rows.shape[0], T, 1, rows.shape[-1]))[:, :, 0, :].transpose(1, 0, 2)
        # one eigen-solve per step: at H = 1024 a step costs 0.1 s or more, so the steps go in chunks that poll
        chunk = max(1, _DIRECT_CHUNK_ELEMENTS // (rows.shape[1] * rows.shape[2]))
        out = np.empty(T, dtype=rows.dtype)
        for t0 in range(0, T, chunk):
            poll()
            out[t0 : t0 + chunk] = spectral_norms(rows[t0 : t0 + chunk])
        norms.append(out)
    return norms
