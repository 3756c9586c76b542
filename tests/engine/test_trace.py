"""The trace's numbers against independent computations."""
import numpy as np
import pytest

from rnn_viz.engine import DivergenceError, NetSpec, Optimizer, Truncation, evaluate, init_params, train_step
from rnn_viz.engine import optim

from . import reference as ref
from .test_gradients import make_problem


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("truncation", [None, Truncation(2, 3)])
def test_flow_matrix_is_the_norm_of_each_single_loss_adjoint(cell, truncation):
    B, T = 3, 7
    spec, p, x, y, m = make_problem(cell, "tanh", "mse", "random", 2, seed=11, B=B, T=T)
    b = 1
    _, tr = evaluate(spec, p, x, y, m, "mse", truncation, flow_sample=b)
    n_total = m.sum()
    for layer in range(2):
        F = tr[f"flow/{layer}"]
        assert F.shape == (T, T)
        for t in range(T):
            if not m[b, t]:
                assert np.all(F[t] == 0), f"row {t} has no loss for sample {b} but is non-zero"
                continue
            only = np.zeros_like(m)
            only[b, t] = True
            _, single = evaluate(spec, p, x, y, only, "mse", truncation)
            # a single-term mask normalises by 1, the full loss by n_total
            expected = np.linalg.norm(single[f"dL_dh/{layer}"][b], axis=-1) / n_total
            np.testing.assert_allclose(F[t], expected, rtol=1e-10, atol=1e-300, err_msg=f"layer {layer} row {t}")
            assert np.all(F[t, t + 1 :] == 0)


def test_flow_is_banded_under_truncation():
    spec, p, x, y, m = make_problem("rnn", "tanh", "mse", "every", 1, seed=2, T=12)
    _, tr = evaluate(spec, p, x, y, m, "mse", Truncation(1, 4), flow_sample=0)
    F = tr["flow/0"]
    t, k = np.indices(F.shape)
    assert np.all(F[(t - k >= 4) | (k > t)] == 0)
    assert np.all(F[(t - k < 4) & (k <= t)] > 0)


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_jacobian_norm_matches_finite_difference_jacobian(cell):
    spec, p, x, y, m = make_problem(cell, "tanh", "mse", "every", 2, seed=4, T=5)
    b = 2
    _, tr = evaluate(spec, p, x, y, m, "mse", flow_sample=b)
    _, hist = ref.run(cell, "tanh", p, 2, x[b : b + 1])
    H = spec.hidden_size
    for layer in range(2):
        for t in range(5):
            prev = hist[t - 1] if t else ref.zero_states(cell, 2, 1, H)
            inp = x[b : b + 1, t] if layer == 0 else hist[t][layer - 1][0]
            state = np.concatenate([prev[layer][0][0]] + ([prev[layer][1][0]] if cell == "lstm" else []))
            n = state.size

            def f(v):
                s = (v[None, :H], v[None, H:]) if cell == "lstm" else (v[None, :H],)
                return np.concatenate([a[0] for a in ref.cell_step(cell, "tanh", p, layer, inp, s)])

            J = np.empty((n, n))
            for i in range(n):
                e = np.zeros(n)
                e[i] = 1e-6
                J[:, i] = (f(state + e) - f(state - e)) / 2e-6
            expected = np.linalg.norm(J, 2)
            assert tr[f"jacobian_norm/{layer}"][t] == pytest.approx(expected, rel=1e-7), (layer, t)


def test_loss_shares_norms_and_step_contributions():
    spec, p, x, y, m = make_problem("lstm", "tanh", "cross_entropy", "random", 2, seed=8)
    grads, tr = evaluate(spec, p, x, y, m, "cross_entropy")
    assert tr["loss_share"].sum() == pytest.approx(float(tr["loss"]), rel=1e-13)
    assert float(tr["loss"]) == pytest.approx(ref.loss("cross_entropy", "lstm", "tanh", p, 2, x, y, m), rel=1e-13)
    assert float(tr["grad_norm"]) == pytest.approx(np.sqrt(sum((g**2).sum() for g in grads.values())), rel=1e-13)
    dh = tr["dL_dh/1"]
    np.testing.assert_allclose(tr["dL_dh_norm/1"], np.sqrt((dh**2).sum((0, 2))), rtol=1e-13)
    acc = tr["accuracy"]
    probs = tr["predictions"]
    assert float(acc) == pytest.approx(((probs.argmax(-1) == y) & m).sum() / m.sum())


def test_step_contribution_norms_equal_outer_product_norms():
    from rnn_viz.engine.trace import step_contribution_norms

    rng = np.random.default_rng(0)
    dah, hp = rng.normal(size=(5, 3, 8)), rng.normal(size=(5, 3, 2))  # time-major (T, B, X)
    expected = [np.linalg.norm(dah[t].T @ hp[t]) for t in range(5)]
    np.testing.assert_allclose(step_contribution_norms(dah, hp), expected, rtol=1e-12)


def test_mse_is_torch_mean_over_masked_elements():
    spec, p, x, y, m = make_problem("rnn", "tanh", "mse", "random", 1, seed=9)
    _, tr = evaluate(spec, p, x, y, m, "mse")
    diff = (tr["outputs"] - y)[m]
    assert float(tr["loss"]) == pytest.approx((diff**2).mean(), rel=1e-13)


def test_divergence_leaves_parameters_and_optimizer_state_bit_for_bit():
    spec = NetSpec("rnn", 2, 8, 1, 1, "linear")
    rng = np.random.default_rng(0)
    params = init_params(spec, rng, "orthogonal", 1.0)
    opt = Optimizer("momentum", learning_rate=1e308)
    state = optim.init_state(opt, params)
    # targets far from the outputs make every gradient entry large enough for lr * g to overflow
    x, y, m = rng.normal(size=(4, 10, 2)), 100 + rng.normal(size=(4, 10, 1)), np.ones((4, 10), bool)
    params, state, _ = train_step(spec, params, state, Optimizer("momentum", 1e-3), x, y, m, "mse")
    raised = None
    for step in range(10):
        before_p = {k: v.copy() for k, v in params.items()}
        before_s = {k: v.copy() for k, v in state.items()}
        try:
            params, state, _ = train_step(spec, params, state, opt, x, y, m, "mse")
        except DivergenceError as err:
            raised = err
            break
    assert raised is not None and step == 0, "a learning rate of 1e308 must diverge at once"
    assert "non-finite" in str(raised) and "learning rate" in str(raised)
    for k in before_p:
        assert params[k].tobytes() == before_p[k].tobytes(), k
    for k in before_s:
        assert state[k].tobytes() == before_s[k].tobytes(), k
    # training can go on once the learning rate is lowered
    params2, _, _ = train_step(spec, params, state, Optimizer("momentum", 1e-3), x, y, m, "mse")
    assert all(np.all(np.isfinite(v)) for v in params2.values())


@pytest.mark.parametrize("cell,act", [("rnn", "tanh"), ("rnn", "relu"), ("rnn", "linear"), ("lstm", "tanh"), ("gru", "tanh")])
def test_saturation_is_the_mean_of_the_flags_bit_for_bit(cell, act):
    from rnn_viz.engine.trace import SATURATION_LEVEL, saturation

    rng = np.random.default_rng(3)
    T, B, H = 7, 5, 6
    h = np.tanh(rng.normal(scale=3.0, size=(T, B, H)))
    h[2, 1, 3] = np.nan
    G = {"rnn": 1, "lstm": 4, "gru": 3}[cell]
    gates = np.tanh(rng.normal(scale=3.0, size=(T, B, G * H)))
    if act == "relu":
        h = np.maximum(h, 0.0)
    got = saturation(cell, act, {"h": h, "gates": gates})
    flat = h if cell == "rnn" else gates[..., 2 * H : 3 * H]
    expected = {"tanh": (np.abs(flat) > SATURATION_LEVEL).mean((1, 2)), "relu": (flat <= 0).mean((1, 2)),
                "linear": np.zeros(T)}[act]
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.float64 and got.shape == (T,)


@pytest.mark.parametrize("act", ["tanh", "relu", "linear"])
def test_the_vanilla_step_jacobians_are_step_backwards_rows_bit_for_bit(act):
    from rnn_viz.engine import cells
    from rnn_viz.engine.trace import _rnn_jacobians

    rng = np.random.default_rng(8)
    T, H = 6, 5
    h = np.tanh(rng.normal(size=(T, H))) if act != "relu" else np.maximum(rng.normal(size=(T, H)), 0.0)
    W = rng.normal(size=(H, H))
    W[1, 2], W[3, 0] = 0.0, -0.0
    eye = np.eye(H)[:, None, None, :]
    _, _, rows, _, _ = cells.step_backward("rnn", act, eye, None, {"h": h[:, None, :]}, W)
    expected = np.broadcast_to(rows, (H, T, 1, H))[:, :, 0, :].transpose(1, 0, 2)
    got = _rnn_jacobians(act, h, W)
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(np.signbit(got), np.signbit(expected))


@pytest.mark.parametrize("scale", [1e-300, 1e-160, 1e-20, 1.0, 1e20, 1e160, 1e300])
@pytest.mark.parametrize("shape", [(9, 6, 6), (9, 3, 7), (9, 7, 3), (2, 1, 1)])
def test_spectral_norms_are_the_largest_singular_values_at_any_scale(scale, shape):
    from rnn_viz.engine.trace import spectral_norms

    rng = np.random.default_rng(3)
    mats = rng.normal(size=shape) * scale
    mats[0] = 0.0  # a step with no path (a saturated or dead unit everywhere)
    if shape[1] > 1:
        mats[1] = np.outer(rng.normal(size=shape[1]), rng.normal(size=shape[2])) * scale  # rank one
    got = spectral_norms(mats)
    expected = np.linalg.norm(mats, ord=2, axis=(1, 2))
    assert got[0] == 0.0
    np.testing.assert_allclose(got, expected, rtol=1e-14, atol=0.0)


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_spectral_norms_of_a_stack_with_a_non_finite_entry_are_the_svds(bad):
    from rnn_viz.engine.trace import spectral_norms

    mats = np.random.default_rng(4).normal(size=(3, 4, 4))
    mats[2, 1, 1] = bad

    def outcome(fn):
        try:
            return fn(mats)
        except np.linalg.LinAlgError as exc:
            return str(exc)

    expected = outcome(lambda m: np.linalg.norm(m, ord=2, axis=(1, 2)))
    got = outcome(spectral_norms)
    if isinstance(expected, str):
        assert got == expected
    else:
        np.testing.assert_array_equal(got, expected)
