"""The network as a dynamical system: Lyapunov spectrum, end-to-end Jacobian spectrum, eigenvalues.

Everything runs on the exact step Jacobians of ``jacobians.py`` along the trajectories of one batch.
Products of many Jacobians over- and underflow, so they are never formed: the QR (Benettin) method
carries an orthonormal frame and the log of the stretching factors instead, and the end-to-end
Jacobian is kept as a product of triangular factors whose singular values are taken by one-sided
Jacobi, which keeps the small ones to full relative precision (plain SVD loses every singular value
below eps * sigma_max).
"""
from __future__ import annotations

import math

import numpy as np

from . import analysis, bptt, losses, network
from .errors import EngineError
from .jacobians import layer_step_jacobians, state_size

_TINY = np.finfo(np.float64).tiny


def default_exponents(hidden: int) -> int:
    """k when not chosen: min(H, 10)."""
    return min(hidden, 10)


def default_transient(T: int) -> int:
    """Steps discarded before exponents are accumulated when not chosen: min(100, T // 4)."""
    return min(100, T // 4)


def lyapunov_spectrum(spec, params: dict, caches: list[dict], layer: int, k: int, transient: int) -> np.ndarray:
    """The k largest Lyapunov exponents of ``layer`` along the batch's trajectories, by QR.

    caches: network.forward's caches (time-major (T, B, X)). The frame Q (B, S, k) starts as the
    first k columns of the identity and is advanced by J_t = ds_t/ds_{t-1} for t = 1 .. T-1;
    log |diag R_t| is accumulated after the first ``transient`` of those steps. Returns (k,) natural
    log per step, mean over the batch, descending. Layers above 0 are driven by the states of the
    layer below (their Jacobian holds that input fixed).
    """
    T = caches[layer]["h"].shape[0]
    S = state_size(spec.cell, spec.hidden_size)
    if not 1 <= k <= S:
        raise EngineError(f"exponents must be 1 to {S} (the state size), got {k}")
    if not 0 <= transient <= T - 2:
        raise EngineError(f"transient must be 0 to {T - 2} (T - 2) for T = {T}, got {transient}")
    B = caches[layer]["h"].shape[1]
    Q = np.broadcast_to(np.eye(S, k), (B, S, k)).astype(np.float64)
    sums = np.zeros((B, k))
    with np.errstate(over="ignore", under="ignore", invalid="ignore"):
        for t in range(1, T):
            Q, R = np.linalg.qr(layer_step_jacobians(spec, params, caches[layer], layer, t) @ Q)
            if t > transient:
                sums += np.log(np.maximum(np.abs(np.diagonal(R, axis1=1, axis2=2)), _TINY))
    return np.sort((sums / (T - 1 - transient)).mean(0))[::-1].copy()


def kaplan_yorke(exponents: np.ndarray) -> float:
    """Kaplan-Yorke dimension j + (lambda_1 + ... + lambda_j) / |lambda_{j+1}| of a spectrum.

    exponents: (k,) in any order. j is the largest count whose partial sum is >= 0; 0 when the top
    exponent is negative; k when every partial sum is >= 0 (the spectrum is too short to say more).
    """
    lam = np.sort(np.asarray(exponents, dtype=np.float64))[::-1]
    partial = np.cumsum(lam)
    if lam.size == 0 or partial[0] < 0:
        return 0.0
    j = int(np.nonzero(partial >= 0)[0][-1]) + 1
    if j == lam.size:
        return float(j)
    return float(j + partial[j - 1] / abs(lam[j]))


def product_singular_values(jacobians) -> np.ndarray:
    """Singular values of J_n ... J_2 J_1 for an iterable of (S, S) matrices, applied in order.

    QR carries the product as Q P e^c (P upper triangular, max |P| = 1), so it neither over- nor
    underflows; the singular values of P come from one-sided Jacobi (relatively accurate for such
    graded factors). Returns (S,) descending; values beyond float64's range are inf or 0.
    """
    Q = P = None
    log_scale = 0.0
    with np.errstate(over="ignore", under="ignore"):
        for J in jacobians:
            if Q is None:
                Q = P = np.eye(J.shape[0])
            Q, R = np.linalg.qr(J @ Q)
            P = R @ P
            m = float(np.max(np.abs(P)))
            if m == 0.0 or not math.isfinite(m):
                return np.zeros(P.shape[0]) if m == 0.0 else np.full(P.shape[0], np.nan)
            P /= m
            log_scale += math.log(m)
        if P is None:
            raise EngineError("the product needs at least one Jacobian")
        sv = jacobi_singular_values(P)
        with np.errstate(divide="ignore"):
            return np.exp(np.log(sv) + log_scale)


def jacobi_singular_values(A: np.ndarray, max_sweeps: int = 80) -> np.ndarray:
    """Singular values of a square or tall (M, N) matrix by one-sided (Hestenes) Jacobi on A^T.

    Rotating pairs of rows until all are orthogonal keeps each singular value to a relative error
    of about eps * cond(the row-normalised matrix), however small it is against the largest one
    (Demmel and Veselic 1992). Round-robin pairs are rotated N/2 at a time. Returns (N,) descending.
    """
    X = np.array(np.asarray(A, dtype=np.float64).T, copy=True)  # columns of X = rows of A
    n = X.shape[1]
    if n % 2:
        X = np.concatenate([X, np.zeros((X.shape[0], 1))], axis=1)
    m = X.shape[1]
    order = list(range(m))
    rounds = []
    for _ in range(m - 1):
        rounds.append((np.array(order[: m // 2]), np.array(order[m // 2 :][::-1])))
        order = [order[0], order[-1], *order[1:-1]]
    tol = m * np.finfo(np.float64).eps
    with np.errstate(over="ignore", under="ignore", invalid="ignore", divide="ignore"):
        for _ in range(max_sweeps):
            rotated = False
            for p, q in rounds:
                xp, xq = X[:, p], X[:, q]
                mp, mq = np.max(np.abs(xp), 0), np.max(np.abs(xq), 0)
                live = (mp > 0) & (mq > 0)
                if not live.any():
                    continue
                up, uq = xp / np.where(live, mp, 1.0), xq / np.where(live, mq, 1.0)
                a, b, g = (up * up).sum(0), (uq * uq).sum(0), (up * uq).sum(0)
                live &= np.abs(g) > tol * np.sqrt(a * b)
                if not live.any():
                    continue
                rotated = True
                ratio = mq / np.where(live, mp, 1.0)
                zeta = (ratio * b - a / np.where(live, ratio, 1.0)) / (2.0 * np.where(live, g, 1.0))
                t = np.sign(zeta) / (np.abs(zeta) + np.hypot(1.0, zeta))
                t = np.where(zeta == 0, 1.0, t)
                c = 1.0 / np.hypot(1.0, t)
                s = c * t
                c, s = np.where(live, c, 1.0), np.where(live, s, 0.0)
                X[:, p], X[:, q] = c * xp - s * xq, s * xp + c * xq
            if not rotated:
                break
        scale = np.max(np.abs(X), 0)
        norms = scale * np.sqrt(((X / np.where(scale > 0, scale, 1.0)) ** 2).sum(0))
    return np.sort(norms[:n])[::-1].copy()


def jacobian_singular_values(spec, params: dict, caches: list[dict], layer: int, b: int, lag: int) -> np.ndarray:
    """Singular values of ds_{T-1}/ds_{T-1-lag} of ``layer`` for sample b: (S,) descending."""
    T = caches[layer]["h"].shape[0]
    if not 1 <= lag <= T - 1:
        raise EngineError(f"lag must be 1 to {T - 1} (T - 1) for T = {T}, got {lag}")
    one = [{k: v[:, b : b + 1] for k, v in cache.items()} for cache in caches]
    steps = range(T - lag, T)
    return product_singular_values(layer_step_jacobians(spec, params, one[layer], layer, t)[0] for t in steps)


def step_jacobian_eigenvalues(spec, params: dict, caches: list[dict], layer: int, b: int, t: int) -> np.ndarray:
    """Eigenvalues of ds_t/ds_{t-1} of ``layer`` for sample b: (S,) complex128, by |lambda| descending."""
    one = {k: v[:, b : b + 1] for k, v in caches[layer].items()}
    return _by_modulus(np.linalg.eigvals(layer_step_jacobians(spec, params, one, layer, t)[0]))


def whh_eigenvalues(W: np.ndarray) -> np.ndarray:
    """Eigenvalues of each gate block of W_hh (G*H, H): (G, H) complex128, by |lambda| descending."""
    H = W.shape[1]
    blocks = np.asarray(W, dtype=np.float64).reshape(W.shape[0] // H, H, H)
    return np.stack([_by_modulus(np.linalg.eigvals(block)) for block in blocks])


def _by_modulus(eig: np.ndarray) -> np.ndarray:
    eig = np.asarray(eig, dtype=np.complex128)
    return eig[np.argsort(-np.abs(eig), kind="stable")]


def flow_row(spec, params: dict, caches: list[dict], dh_out: np.ndarray, chains: bptt.Chains, b: int, t: int) -> list[np.ndarray]:
    """Row t of each layer's flow matrix for sample b, F[t, k] = ||dL_t/dh_k||: list of (T,).

    The same sweep as ``trace.flow_matrices`` with the one chain of loss step t (O(T) instead of
    O(T^2) chains), so it stays affordable for thousands of steps. dh_out: (T, B, H) time-major.
    Entries that overflow are inf or nan.
    """
    T = dh_out.shape[0]
    # Truncation holds the state before the window start constant: sweep only the window's steps.
    start = int(chains.window_start()[t])
    n = T - start
    one = bptt.Chains(np.array([t - start]), np.array([t - start + 1]), np.zeros(1, dtype=np.intp),
                      np.zeros(n, dtype=np.intp))
    only_t = np.zeros_like(dh_out[start:, b : b + 1])
    only_t[t - start] = dh_out[t, b : b + 1]
    sample = [{k: v[start:, b : b + 1] for k, v in cache.items()} for cache in caches]
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        out = bptt.sweep(spec, params, sample, only_t, one, want_weight_terms=False, record_chain_norms=True)
    rows = []
    for norms in out["chain_norms"]:
        row = np.zeros(T, dtype=norms.dtype)
        row[start:] = norms[0]
        rows.append(row)
    return rows


def row_decay(row: np.ndarray, t: int) -> float:
    """``analysis.per_step_decay`` of one flow row (T,) at loss step t, over its finite entries."""
    row = np.where(np.isfinite(row), row, 0.0)
    return analysis.per_step_decay(np.broadcast_to(row, (t + 1, row.size)), t)


def last_loss_step(mask: np.ndarray, b: int) -> int | None:
    """The last step of sample b that carries a loss (the flow row with the longest path back)."""
    steps = np.nonzero(np.asarray(mask)[b])[0]
    return int(steps[-1]) if steps.size else None


def dynamics_trace(spec, params: dict, inputs, targets, mask, loss: str, truncation, sample: int,
                   exponents: int, transient: int, lag: int, step: int | None = None) -> dict[str, np.ndarray]:
    """The ``dyn/`` keys of docs/trace-keys.md except the fixed points, for one batch.

    inputs (B, T, I), targets, mask (B, T) and ``loss`` as for ``step.evaluate``; ``sample`` is the
    flow sample (end-to-end Jacobian, step-Jacobian eigenvalues, flow slope); ``step`` defaults to
    T - 1. Keys per layer l: ``dyn/lyapunov/<l>`` (k,), ``dyn/kaplan_yorke/<l>``,
    ``dyn/flow_slope/<l>`` (0-d), ``dyn/jacobian_sv/<l>`` (S,), ``dyn/whh_eig/<l>`` (G, H),
    ``dyn/step_jacobian_eig/<l>`` (S,); and ``dyn/lag``, ``dyn/step`` (0-d int).
    """
    dtype = params["Why"].dtype
    inputs = np.asarray(inputs, dtype=dtype)
    B, T, _ = inputs.shape
    if not 0 <= sample < B:
        raise EngineError(f"flow sample must be in 0..{B - 1}, got {sample}")
    step = T - 1 if step is None else int(step)
    if not 0 <= step < T:
        raise EngineError(f"step must be in 0..{T - 1}, got {step}")
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        caches, y = network.forward(spec, params, inputs)
        res = losses.compute(loss, y.transpose(1, 0, 2), targets.astype(dtype) if loss == "mse" else targets, mask)
        dh_out = res.dy.transpose(1, 0, 2) @ params["Why"]
    t_loss = last_loss_step(mask, sample)
    rows = flow_row(spec, params, caches, dh_out, bptt.block_chains(T, truncation), sample, t_loss) if t_loss is not None else None
    out: dict[str, np.ndarray] = {"dyn/lag": np.array(lag, dtype=np.int64), "dyn/step": np.array(step, dtype=np.int64)}
    for l in range(spec.num_layers):
        lam = lyapunov_spectrum(spec, params, caches, l, exponents, transient)
        out[f"dyn/lyapunov/{l}"] = lam
        out[f"dyn/kaplan_yorke/{l}"] = np.array(kaplan_yorke(lam))
        out[f"dyn/flow_slope/{l}"] = np.array(row_decay(rows[l], t_loss) if rows is not None else math.nan)
        out[f"dyn/jacobian_sv/{l}"] = jacobian_singular_values(spec, params, caches, l, sample, lag)
        out[f"dyn/whh_eig/{l}"] = whh_eigenvalues(params[f"Whh.{l}"])
        out[f"dyn/step_jacobian_eig/{l}"] = step_jacobian_eigenvalues(spec, params, caches, l, sample, step)
    return out


__all__ = [
    "default_exponents", "default_transient", "dynamics_trace", "flow_row", "jacobi_singular_values",
    "jacobian_singular_values", "kaplan_yorke", "last_loss_step", "lyapunov_spectrum",
    "product_singular_values", "row_decay", "step_jacobian_eigenvalues", "whh_eigenvalues",
]
