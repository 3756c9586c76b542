"""Analytic gradients against central finite differences in float64, every parameter checked."""
import itertools
import zlib

import numpy as np
import pytest

from rnn_viz.engine import NetSpec, Truncation, evaluate, network

from . import reference as ref

CELL_ACTS = [("rnn", "tanh"), ("rnn", "relu"), ("rnn", "linear"), ("lstm", "tanh"), ("gru", "tanh")]
MASKS = ["every", "last", "random"]
TOL = 1e-6


def make_problem(cell, act, loss, mask_kind, L, seed, B=3, T=6, I=2, H=4, O=3):
    rng = np.random.default_rng(seed)
    spec = NetSpec(cell, I, H, O, L, act)
    params = {n: rng.normal(0, 0.6, s) for n, s in spec.param_shapes().items()}
    inputs = rng.normal(0, 1, (B, T, I))
    if loss == "mse":
        targets = rng.normal(0, 1, (B, T, O))
    else:
        targets = rng.integers(0, O, (B, T))
    mask = {
        "every": np.ones((B, T), bool),
        "last": np.eye(T, dtype=bool)[-1][None].repeat(B, 0),
        "random": rng.random((B, T)) < 0.5,
    }[mask_kind]
    mask[0, 0] = True
    return spec, params, inputs, targets, mask


def fd_gradient(f, params, eps=1e-6):
    grads = {}
    for name, p in params.items():
        g = np.zeros_like(p)
        for idx in np.ndindex(p.shape):
            q = {k: v.copy() for k, v in params.items()}
            q[name][idx] += eps
            up = f(q)
            q[name][idx] -= 2 * eps
            g[idx] = (up - f(q)) / (2 * eps)
        grads[name] = g
    return grads


def assert_close(analytic, numeric, what):
    for name in numeric:
        a, n = analytic[name], numeric[name]
        err = np.linalg.norm(n - a) / max(np.linalg.norm(n), np.linalg.norm(a), 1e-12)
        worst = np.unravel_index(np.argmax(np.abs(n - a)), n.shape)
        assert err < TOL, (
            f"{what}: {name} relative error {err:.2e}; worst entry {worst}: analytic {a[worst]:.10g},"
            f" finite differences {n[worst]:.10g}"
        )


def test_forward_matches_reference():
    for cell, act in CELL_ACTS:
        spec, p, x, *_ = make_problem(cell, act, "mse", "every", 2, seed=1)
        _, y_tm = network.forward(spec, p, x)
        y = y_tm.transpose(1, 0, 2)
        y_ref, _ = ref.run(cell, act, p, 2, x)
        np.testing.assert_allclose(y, y_ref, rtol=1e-12, atol=1e-12, err_msg=f"{cell}/{act}")


@pytest.mark.parametrize(
    "cell,act,loss,mask_kind,layers",
    [(c, a, lo, m, L) for (c, a), lo, m, L in itertools.product(CELL_ACTS, ["mse", "cross_entropy"], MASKS, [1, 2])],
)
def test_full_bptt_matches_finite_differences(cell, act, loss, mask_kind, layers):
    seed = zlib.crc32(f"{cell}{act}{loss}{mask_kind}{layers}".encode())
    spec, p, x, y, m = make_problem(cell, act, loss, mask_kind, layers, seed)
    grads, _ = evaluate(spec, p, x, y, m, loss)
    numeric = fd_gradient(lambda q: ref.loss(loss, cell, act, q, layers, x, y, m), p)
    assert_close(grads, numeric, f"full BPTT {cell}/{act}/{loss}/{mask_kind}/{layers} layer(s)")


TRUNCATIONS = [
    (7, 2, 3),   # k1 > 1, T not a multiple of k1
    (7, 3, 3),   # k1 = k2 (detach every k steps)
    (6, 2, 6),   # k2 reaches step 0 for every block
    (6, 1, 2),   # the source text's definition, short window
    (10, 3, 5),  # the worked example
]


@pytest.mark.parametrize("T,k1,k2", TRUNCATIONS)
@pytest.mark.parametrize("cell,act", [("rnn", "tanh"), ("lstm", "tanh"), ("gru", "tanh")])
@pytest.mark.parametrize("layers", [1, 2])
def test_truncated_bptt_is_the_gradient_of_its_surrogate(T, k1, k2, cell, act, layers):
    loss = "mse" if (T + k1 + layers) % 2 else "cross_entropy"
    spec, p, x, y, m = make_problem(cell, act, loss, "random", layers, seed=T * 100 + k1 * 10 + k2, T=T)
    grads, _ = evaluate(spec, p, x, y, m, loss, Truncation(k1, k2))
    p0 = {k: v.copy() for k, v in p.items()}
    numeric = fd_gradient(lambda q: ref.truncated_surrogate(loss, cell, act, q, p0, layers, x, y, m, k1, k2), p)
    assert_close(grads, numeric, f"TBPTT({k1},{k2}) T={T} {cell} {layers} layer(s)")


def test_worked_example_T10_k1_3_k2_5_step_by_step():
    spec, p, x, y, _ = make_problem("rnn", "tanh", "mse", "every", 1, seed=5, T=10)
    _, tr = evaluate(spec, p, x, y, np.ones((3, 10), bool), "mse", Truncation(3, 5))
    np.testing.assert_array_equal(tr["window_start"], [0, 0, 0, 1, 1, 1, 4, 4, 4, 7])
    for t, reach in [(9, 7), (7, 4), (4, 1), (2, 0)]:
        only = np.zeros((3, 10), bool)
        only[:, t] = True
        _, tr_t = evaluate(spec, p, x, y, only, "mse", Truncation(3, 5))
        _, full_t = evaluate(spec, p, x, y, only, "mse")
        norms = tr_t["dL_dh_norm/0"]
        assert np.all(norms[reach : t + 1] > 0), f"loss at {t} must reach steps {reach}..{t}"
        assert np.all(norms[:reach] == 0) and np.all(norms[t + 1 :] == 0), f"loss at {t} leaked outside {reach}..{t}"
        # inside its window the truncated adjoint is the exact one
        np.testing.assert_allclose(tr_t["dL_dh/0"][:, reach:], full_t["dL_dh/0"][:, reach:], rtol=1e-13, atol=0)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_long_enough_truncation_equals_full_bptt(cell):
    spec, p, x, y, m = make_problem(cell, "tanh", "mse", "random", 2, seed=3, T=10)
    full, _ = evaluate(spec, p, x, y, m, "mse")
    trunc, _ = evaluate(spec, p, x, y, m, "mse", Truncation(3, 12))  # k2 >= k1 * ceil(T / k1)
    for name in full:
        np.testing.assert_allclose(trunc[name], full[name], rtol=1e-12, atol=1e-15, err_msg=name)
