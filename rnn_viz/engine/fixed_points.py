"""Fixed points of the network under a constant input (Sussillo and Barak 2013).

The state of the whole stack is s = (s^0, ..., s^{L-1}) with s^l = h (rnn, gru) or (h, c) (lstm), so
D = L * S. One step with the input held at x* is the map s -> F(s, x*); a fixed point has
q(s) = 0.5 ||F(s, x*) - s||^2 = 0. Starting from states the network visited, q is minimised by
Levenberg-Marquardt on the residual F(s) - s (batched over the starts), which turns into Newton's
method as the damping falls, so both stable points and saddles are polished to q_tolerance. The
points at or below the tolerance are the fixed points; those above it but at or below ``slow_q`` are
slow points (Sussillo and Barak 2013: local minima of q where the flow nearly stops, e.g. the ghost
of a fixed point that a saddle-node bifurcation removed), kept apart; the rest are dropped. Both are
deduplicated (a slow point within the dedupe distance of a fixed point is the same point, not yet
polished) and classified by the eigenvalues of dF/ds (stable when max |lambda| < 1).
"""
from __future__ import annotations

import numpy as np

from .errors import EngineError
from .jacobians import state_size, step_forward, step_jacobians

MAX_ITERATIONS = 300


def visited_states(spec, caches: list[dict]) -> np.ndarray:
    """Every (step, sample) state of the stack from network.forward's caches: (T * B, L * S)."""
    parts = []
    for cache in caches:
        parts.append(cache["h"])
        if spec.cell == "lstm":
            parts.append(cache["c"])
    T, B, _ = caches[0]["h"].shape
    return np.concatenate(parts, axis=-1).reshape(T * B, -1).astype(np.float64)


def stack_step(spec, params: dict, s: np.ndarray, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """F(s, x) and dF/ds for P states at once: s (P, L*S), x (I,) -> ((P, L*S), (P, L*S, L*S)).

    Layer l > 0 reads the new h of layer l - 1 (the same step), so dF^l/ds has the block
    dF^l/dx^l dh^{l-1}_new/ds besides its own dF^l/ds^l on the diagonal.
    """
    H, L = spec.hidden_size, spec.num_layers
    S = state_size(spec.cell, H)
    P = s.shape[0]
    new = np.empty_like(s)
    J = np.zeros((P, L * S, L * S))
    inp = np.broadcast_to(np.asarray(x, dtype=np.float64), (P, spec.input_size))
    below = None  # d(input of this layer)/ds, (P, I_l, L*S)
    for l in range(L):
        block = slice(l * S, (l + 1) * S)
        xproj = inp @ params[f"Wxh.{l}"].T + params[f"bh.{l}"]
        at = step_forward(spec.cell, spec.activation, xproj, s[:, block], params[f"Whh.{l}"], params.get(f"bhn.{l}"))
        Jr, Jx = step_jacobians(spec.cell, spec.activation, at, params[f"Whh.{l}"], params[f"Wxh.{l}"])
        new[:, block] = at["s"]
        if below is not None:
            J[:, block, :] = Jx @ below
        J[:, block, block] += Jr
        inp, below = at["h"], J[:, l * S : l * S + H, :]
    return new, J


def pca_axes(states: np.ndarray, n: int = 3) -> np.ndarray:
    """The n leading principal axes of states (N, D) about their mean: (n, D) unit rows (zero rows
    when D < n or the states span fewer directions)."""
    centred = states - states.mean(0)
    _, _, Vt = np.linalg.svd(centred, full_matrices=False)
    out = np.zeros((n, states.shape[1]))
    m = min(n, Vt.shape[0])
    out[:m] = Vt[:m]
    return out


def find_fixed_points(spec, params: dict, visited: np.ndarray, x_star: np.ndarray, starts: int,
                      q_tolerance: float, dedupe_distance: float, rng: np.random.Generator,
                      max_iterations: int = MAX_ITERATIONS, slow_q: float | None = None) -> dict[str, np.ndarray]:
    """Fixed points of the stack under constant input ``x_star`` (I,), from ``starts`` visited states.

    visited: (N, D) states to start from (:func:`visited_states`), drawn by ``rng`` without
    replacement when N >= starts. Returns the ``dyn/fp/`` arrays: ``state`` (P, D), ``q`` (P,),
    ``max_abs_eig`` (P,), ``unstable`` (P,) int64 (eigenvalues with |lambda| > 1), ``input`` (I,),
    ``pca`` (3, D) the visited states' principal axes. Points are ordered by q. With ``slow_q``
    (> q_tolerance) also the slow points, q in (q_tolerance, slow_q]: ``dyn/slow/state`` (Q, D),
    ``dyn/slow/q``, ``dyn/slow/max_abs_eig`` (Q,), ``dyn/slow/unstable`` (Q,) int64.
    """
    x_star = np.asarray(x_star, dtype=np.float64)
    if x_star.shape != (spec.input_size,):
        raise EngineError(f"the fixed-point input needs {spec.input_size} value(s), got {x_star.size}")
    if starts < 1 or visited.shape[0] < 1:
        raise EngineError("the fixed-point finder needs at least one start")
    params = {k: np.asarray(v, dtype=np.float64) for k, v in params.items()}
    idx = rng.choice(visited.shape[0], size=starts, replace=visited.shape[0] < starts)
    s = visited[idx].copy()
    D = s.shape[1]
    eye = np.eye(D)
    mu = np.full(len(s), 1e-2)
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        F, J = stack_step(spec, params, s, x_star)
        r = F - s
        q = 0.5 * np.einsum("pd,pd->p", r, r)
        for _ in range(max_iterations):
            active = q > q_tolerance * 1e-6
            if not active.any():
                break
            A = J[active] - eye
            At = A.transpose(0, 2, 1)
            lhs = At @ A + mu[active, None, None] * eye
            try:
                step = -np.linalg.solve(lhs, (At @ r[active][..., None]))[..., 0]
            except np.linalg.LinAlgError:
                break
            trial = s[active] + step
            Ft, Jt = stack_step(spec, params, trial, x_star)
            rt = Ft - trial
            qt = 0.5 * np.einsum("pd,pd->p", rt, rt)
            better = np.isfinite(qt) & (qt < q[active])
            where = np.nonzero(active)[0]
            take = where[better]
            s[take], r[take], q[take], J[take] = trial[better], rt[better], qt[better], Jt[better]
            mu[take] = np.maximum(mu[take] * 0.3, 1e-12)
            mu[where[~better]] *= 4.0
            if np.all(mu[active] > 1e12):
                break
    limit = q_tolerance if slow_q is None else max(q_tolerance, slow_q)
    keep = np.nonzero(np.isfinite(q) & (q <= limit))[0]
    keep = keep[np.argsort(q[keep], kind="stable")]  # fixed points first: a slow copy of one is dropped
    chosen: list[int] = []
    for i in keep:
        if all(np.linalg.norm(s[i] - s[j]) > dedupe_distance for j in chosen):
            chosen.append(int(i))
    fixed = [i for i in chosen if q[i] <= q_tolerance]
    slow = [i for i in chosen if q[i] > q_tolerance]
    out = {"dyn/fp/state": s[fixed].reshape(-1, D), "dyn/fp/q": q[fixed]}
    out["dyn/fp/max_abs_eig"], out["dyn/fp/unstable"] = _classify(spec, params, s[fixed], x_star)
    out.update({"dyn/fp/input": x_star, "dyn/fp/pca": pca_axes(visited)})
    if slow_q is not None:
        out.update({"dyn/slow/state": s[slow].reshape(-1, D), "dyn/slow/q": q[slow]})
        out["dyn/slow/max_abs_eig"], out["dyn/slow/unstable"] = _classify(spec, params, s[slow], x_star)
    return out


def _classify(spec, params: dict, points: np.ndarray, x_star: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """max |lambda| (P,) and the count of |lambda| > 1 (P,) int64 of dF/ds at each of points (P, D)."""
    if not points.shape[0]:
        return np.zeros(0), np.zeros(0, dtype=np.int64)
    _, Jp = stack_step(spec, params, points, x_star)
    moduli = np.abs(np.linalg.eigvals(Jp))
    return moduli.max(1), (moduli > 1.0).sum(1).astype(np.int64)
