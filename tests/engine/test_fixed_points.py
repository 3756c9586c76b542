"""The fixed-point finder against finite differences and closed forms."""
import numpy as np
import pytest

from rnn_viz.engine import EngineError, NetSpec, init_params, network
from rnn_viz.engine import fixed_points as fp


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("layers", [1, 2])
def test_stack_jacobian_matches_central_differences(cell, layers):
    rng = np.random.default_rng(layers * 10 + len(cell))
    spec = NetSpec(cell, 2, 4, 1, num_layers=layers)
    p = init_params(spec, rng, "gaussian", 1.5)
    for k in p:
        if k.startswith("b"):
            p[k] = rng.standard_normal(p[k].shape) * 0.3
    D = layers * (8 if cell == "lstm" else 4)
    s, x = rng.standard_normal((3, D)) * 0.5, rng.standard_normal(2)
    _, J = fp.stack_step(spec, p, s, x)
    eps = 1e-6
    fd = np.stack([(fp.stack_step(spec, p, s + eps * e, x)[0] - fp.stack_step(spec, p, s - eps * e, x)[0]) / (2 * eps)
                   for e in np.eye(D)], 2)
    assert np.abs(J - fd).max() < 1e-8


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_stack_step_is_the_network_step(cell):
    rng = np.random.default_rng(3)
    spec = NetSpec(cell, 2, 4, 1, num_layers=2)
    p = init_params(spec, rng, "gaussian", 1.1)
    x = rng.standard_normal(2)
    xs = np.broadcast_to(x, (1, 5, 2))
    states = fp.visited_states(spec, network.forward(spec, p, xs)[0])  # (5, D): steps of one sample
    nxt, _ = fp.stack_step(spec, p, states[:-1], x)
    np.testing.assert_allclose(nxt, states[1:], atol=1e-14)


def test_linear_rnn_has_its_one_fixed_point_with_the_eigenvalues_of_W():
    rng = np.random.default_rng(4)
    spec = NetSpec("rnn", 2, 6, 1, activation="linear")
    p = init_params(spec, rng, "gaussian", 1.4)
    p["bh.0"] = rng.standard_normal(6)
    x = np.array([0.5, -1.0])
    visited = rng.standard_normal((50, 6))
    out = fp.find_fixed_points(spec, p, visited, x, 20, 1e-10, 1e-3, rng)
    W = p["Whh.0"]
    want = np.linalg.solve(np.eye(6) - W, p["Wxh.0"] @ x + p["bh.0"])
    assert out["dyn/fp/state"].shape == (1, 6)
    np.testing.assert_allclose(out["dyn/fp/state"][0], want, atol=1e-8)
    moduli = np.abs(np.linalg.eigvals(W))
    assert out["dyn/fp/max_abs_eig"][0] == pytest.approx(moduli.max(), rel=1e-10)
    assert out["dyn/fp/unstable"][0] == int((moduli > 1).sum())
    assert out["dyn/fp/q"][0] <= 1e-10
    np.testing.assert_array_equal(out["dyn/fp/input"], x)


def test_one_tanh_unit_has_three_fixed_points_classified_by_slope():
    # h = tanh(w h) with w = 2: h = 0 (slope 2, unstable) and +-h* (slope w (1 - h*^2) < 1, stable)
    spec = NetSpec("rnn", 1, 1, 1)
    p = init_params(spec, np.random.default_rng(0), "orthogonal", 1.0)
    p["Whh.0"] = np.array([[2.0]])
    visited = np.linspace(-1, 1, 41)[:, None]
    out = fp.find_fixed_points(spec, p, visited, np.zeros(1), 41, 1e-10, 1e-3, np.random.default_rng(1))
    states = np.sort(out["dyn/fp/state"][:, 0])
    h = 0.9575040240772687  # root of h = tanh(2 h)
    np.testing.assert_allclose(states, [-h, 0.0, h], atol=1e-9)
    by_state = dict(zip(np.round(out["dyn/fp/state"][:, 0], 6), zip(out["dyn/fp/max_abs_eig"], out["dyn/fp/unstable"])))
    assert by_state[0.0] == (pytest.approx(2.0), 1)
    assert by_state[round(h, 6)] == (pytest.approx(2 * (1 - h * h)), 0)


def test_duplicates_are_merged_within_the_dedupe_distance():
    spec = NetSpec("rnn", 1, 1, 1)
    p = init_params(spec, np.random.default_rng(0), "orthogonal", 1.0)
    p["Whh.0"] = np.array([[0.5]])
    out = fp.find_fixed_points(spec, p, np.linspace(-1, 1, 30)[:, None], np.zeros(1), 30, 1e-10, 1e-3,
                               np.random.default_rng(2))
    assert out["dyn/fp/state"].shape == (1, 1) and abs(out["dyn/fp/state"][0, 0]) < 1e-6


def test_pca_axes_are_orthonormal_and_padded():
    rng = np.random.default_rng(5)
    X = rng.standard_normal((5000, 5)) * np.array([5, 3, 1, 0.1, 0.01])
    A = fp.pca_axes(X)
    np.testing.assert_allclose(A @ A.T, np.eye(3), atol=1e-12)
    assert np.abs(np.abs(A[0]) - np.eye(5)[0]).max() < 0.05
    assert fp.pca_axes(rng.standard_normal((10, 2))).shape == (3, 2)


def test_wrong_input_size_is_refused():
    spec = NetSpec("rnn", 2, 3, 1)
    p = init_params(spec, np.random.default_rng(0))
    with pytest.raises(EngineError, match="needs 2 value"):
        fp.find_fixed_points(spec, p, np.zeros((4, 3)), np.zeros(1), 4, 1e-10, 1e-3, np.random.default_rng(0))


def test_the_ghost_of_a_vanished_fixed_point_is_kept_as_a_slow_point():
    # h -> tanh(2 h + b): at b = 0.5328 the negative stable point and the saddle merge and vanish; at
    # b = 0.55 their ghost remains where F' = 1: 2 h + b = -acosh(sqrt 2), q = 0.5 (F(h) - h)^2 ~ 3.7e-5.
    spec = NetSpec("rnn", 1, 1, 1)
    p = init_params(spec, np.random.default_rng(0), "orthogonal", 1.0)
    p["Whh.0"], p["bh.0"] = np.array([[2.0]]), np.array([0.55])
    visited = np.linspace(-1, 1, 41)[:, None]
    args = (spec, p, visited, np.zeros(1), 41, 1e-10, 1e-3, np.random.default_rng(1))
    out = fp.find_fixed_points(*args, slow_q=1e-4)
    # the one fixed point left: h = tanh(2 h + 0.55) near 0.98, stable
    assert out["dyn/fp/state"].shape == (1, 1) and out["dyn/fp/unstable"][0] == 0
    h = out["dyn/fp/state"][0, 0]
    assert abs(np.tanh(2 * h + 0.55) - h) < 1e-9 and h > 0.9
    ghost = (-np.arccosh(np.sqrt(2.0)) - 0.55) / 2
    q_ghost = 0.5 * (np.tanh(2 * ghost + 0.55) - ghost) ** 2
    assert out["dyn/slow/state"].shape == (1, 1)
    np.testing.assert_allclose(out["dyn/slow/state"][0, 0], ghost, atol=1e-4)
    np.testing.assert_allclose(out["dyn/slow/q"][0], q_ghost, rtol=1e-4)
    assert 1e-10 < out["dyn/slow/q"][0] <= 1e-4
    # dF/dh = 2 (1 - tanh^2) = 1 at the ghost: marginal, so max |lambda| ~ 1 and no more
    assert out["dyn/slow/max_abs_eig"][0] == pytest.approx(1.0, abs=1e-3)
    assert out["dyn/slow/unstable"].dtype == np.int64
    # below the ghost's q the slow point is not kept; without slow_q there are no dyn/slow keys
    assert fp.find_fixed_points(*args, slow_q=1e-5)["dyn/slow/state"].shape == (0, 1)
    plain = fp.find_fixed_points(*args)
    assert not any(k.startswith("dyn/slow/") for k in plain)
    np.testing.assert_array_equal(plain["dyn/fp/state"], out["dyn/fp/state"])


def test_a_slow_copy_of_a_fixed_point_is_merged_into_it():
    spec = NetSpec("rnn", 1, 1, 1)
    p = init_params(spec, np.random.default_rng(0), "orthogonal", 1.0)
    p["Whh.0"] = np.array([[0.5]])
    # one iteration: starts near 0 get q far below slow_q but not yet below q_tolerance
    out = fp.find_fixed_points(spec, p, np.linspace(-0.01, 0.01, 9)[:, None], np.zeros(1), 9, 1e-30, 1e-3,
                               np.random.default_rng(2), max_iterations=1, slow_q=1.0)
    total = out["dyn/fp/state"].shape[0] + out["dyn/slow/state"].shape[0]
    assert total == 1
