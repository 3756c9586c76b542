"""The dynamics engine against finite differences and closed forms (float64, seeded)."""
import numpy as np
import pytest

from rnn_viz.engine import NetSpec, init_params, network
from rnn_viz.engine import bptt, trace
from rnn_viz.engine import dynamics as dyn
from rnn_viz.engine.jacobians import state_size, step_forward, step_jacobians

CASES = [("rnn", "tanh"), ("rnn", "relu"), ("rnn", "linear"), ("lstm", "tanh"), ("gru", "tanh")]


def _params(cell, act, rng, I=3, H=5, L=1, rho=1.2):
    spec = NetSpec(cell, I, H, 2, num_layers=L, activation=act)
    p = init_params(spec, rng, "gaussian", rho)
    for k in p:
        if k.startswith("b"):
            p[k] = rng.standard_normal(p[k].shape) * 0.3
    return spec, p


def _F(cell, act, p, s, x):
    return step_forward(cell, act, x @ p["Wxh.0"].T + p["bh.0"], s, p["Whh.0"], p.get("bhn.0"))


@pytest.mark.parametrize("cell, act", CASES)
def test_step_jacobians_match_central_differences(cell, act):
    rng = np.random.default_rng(hash((cell, act)) % 2**32)
    spec, p = _params(cell, act, rng)
    S = state_size(cell, 5)
    s0, x = rng.standard_normal((1, S)) * 0.6, rng.standard_normal((1, 3))
    J, Jx = step_jacobians(cell, act, _F(cell, act, p, s0, x), p["Whh.0"], p["Wxh.0"])
    eps = 1e-6
    fd = np.stack([(_F(cell, act, p, s0 + eps * e, x)["s"] - _F(cell, act, p, s0 - eps * e, x)["s"])[0] / (2 * eps)
                   for e in np.eye(S)], 1)
    fdx = np.stack([(_F(cell, act, p, s0, x + eps * e)["s"] - _F(cell, act, p, s0, x - eps * e)["s"])[0] / (2 * eps)
                    for e in np.eye(3)], 1)
    assert np.abs(J[0] - fd).max() < 1e-8, np.abs(J[0] - fd).max()
    assert np.abs(Jx[0] - fdx).max() < 1e-8, np.abs(Jx[0] - fdx).max()


@pytest.mark.parametrize("cell, act", CASES)
def test_step_forward_from_a_visited_state_continues_the_trajectory(cell, act):
    rng = np.random.default_rng(7)
    spec, p = _params(cell, act, rng)
    xs = rng.standard_normal((2, 6, 3))
    c = network.forward(spec, p, xs)[0][0]
    s = c["h"][2] if cell != "lstm" else np.concatenate([c["h"][2], c["c"][2]], 1)
    nxt = _F(cell, act, p, s, xs[:, 3])
    np.testing.assert_allclose(nxt["h"], c["h"][3], rtol=0, atol=1e-14)


def _rotated_diagonal(rng, d):
    U, _ = np.linalg.qr(rng.standard_normal((len(d), len(d))))
    return U @ np.diag(d) @ U.T


def _linear(W, T=400, B=2):
    H = W.shape[0]
    spec = NetSpec("rnn", 1, H, 1, activation="linear")
    p = init_params(spec, np.random.default_rng(0), "orthogonal", 1.0)
    p["Whh.0"] = W
    x = np.zeros((B, T, 1))
    x[:, 0, 0] = 1.0
    return spec, p, network.forward(spec, p, x)[0]


def test_linear_rnn_exponents_are_log_abs_eigenvalues():
    d = np.array([1.3, 0.9, -0.7, 0.5, 0.2, -0.05])
    spec, p, caches = _linear(_rotated_diagonal(np.random.default_rng(1), d))
    lam = dyn.lyapunov_spectrum(spec, p, caches, 0, 6, transient=100)
    np.testing.assert_allclose(lam, np.sort(np.log(np.abs(d)))[::-1], rtol=0, atol=1e-9)
    assert np.all(np.diff(lam) <= 0)


def test_orthogonal_linear_rnn_has_all_exponents_zero():
    Q, _ = np.linalg.qr(np.random.default_rng(2).standard_normal((8, 8)))
    spec, p, caches = _linear(Q, T=200)
    lam = dyn.lyapunov_spectrum(spec, p, caches, 0, 8, transient=10)
    assert np.abs(lam).max() < 1e-12
    assert dyn.kaplan_yorke(np.zeros(8)) == 8.0  # volume-preserving: every partial sum is 0


def test_kaplan_yorke_closed_forms():
    assert dyn.kaplan_yorke(np.array([-0.1, -0.5])) == 0.0
    assert dyn.kaplan_yorke(np.array([0.5, -1.0])) == pytest.approx(1.5)
    assert dyn.kaplan_yorke(np.array([-1.0, 0.3, 0.2])) == pytest.approx(2.5)  # any order
    assert dyn.kaplan_yorke(np.array([0.1, 0.0])) == 2.0


@pytest.mark.parametrize("cell, act", CASES)
def test_lyapunov_top_exponent_is_the_growth_of_the_explicit_jacobian_product(cell, act):
    # For few steps the top QR exponent sum is log ||J_T..J_1 e_1||: check against the explicit product.
    rng = np.random.default_rng(3)
    spec, p = _params(cell, act, rng, rho=1.5)
    xs = rng.standard_normal((1, 12, 3))
    caches = network.forward(spec, p, xs)[0]
    lam = dyn.lyapunov_spectrum(spec, p, caches, 0, 1, transient=0)
    at = [{k: v[t] for k, v in caches[0].items()} for t in range(12)]
    M = np.eye(state_size(cell, 5))
    for t in range(1, 12):
        M = step_jacobians(cell, act, at[t], p["Whh.0"])[0][0] @ M
    assert lam[0] == pytest.approx(np.log(np.linalg.norm(M[:, 0])) / 11, abs=1e-12)


def test_jacobi_singular_values_match_lapack_on_ordinary_matrices():
    rng = np.random.default_rng(4)
    for shape in ((6, 6), (7, 7), (9, 5)):
        A = rng.standard_normal(shape)
        np.testing.assert_allclose(dyn.jacobi_singular_values(A.T).__array__()[: min(shape)],
                                   np.linalg.svd(A, compute_uv=False), rtol=1e-12)


def test_product_singular_values_keep_tiny_ones_that_plain_svd_loses():
    rng = np.random.default_rng(5)
    d = np.array([3.0, 2.0, 1.0, 0.5, 0.1, 0.02])
    J = _rotated_diagonal(rng, d)
    sv = dyn.product_singular_values([J] * 60)
    np.testing.assert_allclose(sv, d**60, rtol=1e-8)  # a range of 1e130
    plain = np.linalg.svd(np.linalg.matrix_power(J, 60), compute_uv=False)
    assert plain[-1] / d[-1] ** 60 > 1e10  # the naive product's smallest value is rounding noise


def test_product_singular_values_of_random_products_match_the_explicit_svd():
    rng = np.random.default_rng(6)
    Js = [rng.standard_normal((5, 5)) / np.sqrt(5) for _ in range(8)]
    M = np.eye(5)
    for J in Js:
        M = J @ M
    np.testing.assert_allclose(dyn.product_singular_values(Js), np.linalg.svd(M, compute_uv=False), rtol=1e-9)


@pytest.mark.parametrize("cell, act", CASES)
def test_jacobian_singular_values_are_those_of_ds_T_over_ds_T_minus_lag(cell, act):
    rng = np.random.default_rng(8)
    spec, p = _params(cell, act, rng)
    xs = rng.standard_normal((3, 10, 3))
    caches = network.forward(spec, p, xs)[0]
    b, lag = 1, 6
    M = np.eye(state_size(cell, 5))
    for t in range(10 - lag, 10):
        M = step_jacobians(cell, act, {k: v[t, b : b + 1] for k, v in caches[0].items()}, p["Whh.0"])[0][0] @ M
    got = dyn.jacobian_singular_values(spec, p, caches, 0, b, lag)
    np.testing.assert_allclose(got, np.linalg.svd(M, compute_uv=False), rtol=1e-8, atol=1e-14)


def test_eigenvalues_per_gate_block_and_of_the_step_jacobian():
    rng = np.random.default_rng(9)
    spec, p = _params("lstm", "tanh", rng)
    eig = dyn.whh_eigenvalues(p["Whh.0"])
    assert eig.shape == (4, 5) and eig.dtype == np.complex128
    for g in range(4):
        want = np.linalg.eigvals(p["Whh.0"][g * 5 : (g + 1) * 5])
        np.testing.assert_allclose(np.sort_complex(eig[g]), np.sort_complex(want), atol=1e-12)
        assert np.all(np.diff(np.abs(eig[g])) <= 1e-15)
    caches = network.forward(spec, p, rng.standard_normal((2, 5, 3)))[0]
    lam = dyn.step_jacobian_eigenvalues(spec, p, caches, 0, 1, 3)
    J = step_jacobians("lstm", "tanh", {k: v[3, 1:2] for k, v in caches[0].items()}, p["Whh.0"])[0][0]
    assert lam.shape == (10,)
    np.testing.assert_allclose(np.sort_complex(lam), np.sort_complex(np.linalg.eigvals(J)), atol=1e-12)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_flow_row_is_the_flow_matrix_row_and_its_slope_is_the_measured_decay(cell):
    rng = np.random.default_rng(10)
    spec, p = _params(cell, "tanh", rng, L=2)
    B, T = 3, 9
    xs = rng.standard_normal((B, T, 3))
    caches, y = network.forward(spec, p, xs)
    dh_out = rng.standard_normal((T, B, 2)) @ p["Why"]
    for truncation in (None, bptt.Truncation(2, 4)):
        chains = bptt.block_chains(T, truncation)
        flows = trace.flow_matrices(spec, p, caches, dh_out, chains, 2)
        rows = dyn.flow_row(spec, p, caches, dh_out, chains, 2, T - 1)
        for l in range(2):
            np.testing.assert_allclose(rows[l], flows[l][T - 1], rtol=1e-12, atol=1e-300)
    from rnn_viz.engine.analysis import per_step_decay
    assert dyn.row_decay(rows[0], T - 1) == per_step_decay(flows[0], T - 1)


def test_row_decay_ignores_overflowed_entries():
    lags = np.arange(30)
    row = np.exp(0.5 * lags[::-1])
    row[:5] = np.inf
    row[5] = np.nan
    assert dyn.row_decay(row, 29) == pytest.approx(0.5, abs=1e-12)  # row[k] = e^(0.5 (t - k)): growth


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_dynamics_trace_has_the_documented_keys_and_shapes(cell):
    rng = np.random.default_rng(11)
    spec, p = _params(cell, "tanh", rng, L=2)
    B, T, S = 3, 20, state_size(cell, 5)
    xs = rng.standard_normal((B, T, 3))
    targets = rng.standard_normal((B, T, 2))
    out = dyn.dynamics_trace(spec, p, xs, targets, np.ones((B, T), bool), "mse", None, 1, 4, 5, 12)
    assert int(out["dyn/lag"]) == 12 and int(out["dyn/step"]) == T - 1
    G = spec.gates
    for l in range(2):
        assert out[f"dyn/lyapunov/{l}"].shape == (4,) and np.all(np.diff(out[f"dyn/lyapunov/{l}"]) <= 0)
        assert out[f"dyn/kaplan_yorke/{l}"].shape == () and out[f"dyn/flow_slope/{l}"].shape == ()
        assert np.isfinite(out[f"dyn/flow_slope/{l}"])
        assert out[f"dyn/jacobian_sv/{l}"].shape == (S,)
        assert out[f"dyn/whh_eig/{l}"].shape == (G, 5) and out[f"dyn/whh_eig/{l}"].dtype == np.complex128
        assert out[f"dyn/step_jacobian_eig/{l}"].shape == (S,)
        assert out[f"dyn/step_jacobian_eig/{l}"].dtype == np.complex128


def test_bad_settings_are_engine_errors_with_the_allowed_range():
    from rnn_viz.engine import EngineError
    spec, p, caches = _linear(np.eye(3) * 0.5, T=10)
    with pytest.raises(EngineError, match="exponents must be 1 to 3"):
        dyn.lyapunov_spectrum(spec, p, caches, 0, 4, 1)
    with pytest.raises(EngineError, match="transient must be 0 to 8"):
        dyn.lyapunov_spectrum(spec, p, caches, 0, 1, 9)
    with pytest.raises(EngineError, match="lag must be 1 to 9"):
        dyn.jacobian_singular_values(spec, p, caches, 0, 0, 10)
