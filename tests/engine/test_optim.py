"""Optimisers against hand-computed two-step references, purity, checkpointing, clipping."""
import copy
import math

import numpy as np
import pytest

from rnn_viz.engine.errors import EngineError
from rnn_viz.engine.optim import (
    OPTIMIZERS,
    Optimizer,
    clip_gradients,
    global_norm,
    init_state,
    update,
)

# A tiny problem: two parameters, two steps with fixed gradients.
P0 = {"w": np.array([1.0, -2.0]), "b": np.array(0.5)}
G1 = {"w": np.array([0.5, -1.0]), "b": np.array(2.0)}
G2 = {"w": np.array([0.25, 1.0]), "b": np.array(-1.0)}


def _two_steps(opt):
    state = init_state(opt, P0)
    p1, state = update(opt, P0, G1, state)
    p2, state = update(opt, p1, G2, state)
    return p1, p2, state


def _assert_params(actual, expected, what):
    for name in expected:
        np.testing.assert_allclose(actual[name], expected[name], rtol=1e-13, atol=1e-15, err_msg=f"{what}: {name}")


def test_sgd_two_steps():
    p1, p2, state = _two_steps(Optimizer("sgd", learning_rate=0.1))
    # p - 0.1 g, by hand.
    _assert_params(p1, {"w": [0.95, -1.9], "b": 0.3}, "step 1")
    _assert_params(p2, {"w": [0.925, -2.0], "b": 0.4}, "step 2")
    assert set(state) == {"t"} and state["t"] == 2


def test_momentum_two_steps():
    p1, p2, state = _two_steps(Optimizer("momentum", learning_rate=0.1, momentum=0.9))
    # buf1 = g1; buf2 = 0.9 g1 + g2 = w [0.7, 0.1], b 0.8; p -= 0.1 buf.
    _assert_params(p1, {"w": [0.95, -1.9], "b": 0.3}, "step 1")
    _assert_params(p2, {"w": [0.88, -1.91], "b": 0.22}, "step 2")
    _assert_params({"w": state["m/w"], "b": state["m/b"]}, {"w": [0.7, 0.1], "b": 0.8}, "buffer")


def test_nesterov_momentum_two_steps():
    p1, p2, _ = _two_steps(Optimizer("momentum", learning_rate=0.1, momentum=0.9, nesterov=True))
    # step 1: g1 + 0.9 buf1 = 1.9 g1 = w [0.95, -1.9], b 3.8
    # step 2: g2 + 0.9 buf2 = w [0.25 + 0.63, 1 + 0.09] = [0.88, 1.09], b -1 + 0.72 = -0.28
    _assert_params(p1, {"w": [0.905, -1.81], "b": 0.12}, "step 1")
    _assert_params(p2, {"w": [0.817, -1.919], "b": 0.148}, "step 2")


def _scalar_reference(update_rule, state0):
    """Run ``update_rule(p, g, state, t) -> p`` element by element with Python floats."""
    expected = [{}, {}]
    for name in P0:
        for i, p in enumerate(np.ravel(P0[name]).tolist()):
            state = dict(state0)
            for t, grads in enumerate((G1, G2), start=1):
                p = update_rule(p, np.ravel(grads[name])[i].item(), state, t)
                expected[t - 1].setdefault(name, []).append(p)
    return [{n: np.reshape(v, np.shape(P0[n])) for n, v in e.items()} for e in expected]


def test_adam_two_steps():
    lr, b1, b2, eps = 0.01, 0.8, 0.95, 1e-3  # eps this large so it visibly enters the result

    def adam(p, g, s, t):
        s["m"] = b1 * s["m"] + (1 - b1) * g
        s["v"] = b2 * s["v"] + (1 - b2) * g * g
        m_hat = s["m"] / (1 - b1**t)
        v_hat = s["v"] / (1 - b2**t)
        return p - lr * m_hat / (math.sqrt(v_hat) + eps)

    e1, e2 = _scalar_reference(adam, {"m": 0.0, "v": 0.0})
    p1, p2, state = _two_steps(Optimizer("adam", learning_rate=lr, beta1=b1, beta2=b2, eps=eps))
    _assert_params(p1, e1, "step 1")
    _assert_params(p2, e2, "step 2")
    # First step of Adam moves each entry by lr * g / (|g| + eps): a sanity check on the reference.
    np.testing.assert_allclose(e1["w"], P0["w"] - lr * G1["w"] / (np.abs(G1["w"]) + eps), rtol=1e-13)
    assert state["t"].dtype == np.int64 and state["t"].shape == () and state["t"] == 2


def test_rmsprop_two_steps():
    lr, alpha, eps = 0.01, 0.9, 1e-3

    def rmsprop(p, g, s, t):
        s["v"] = alpha * s["v"] + (1 - alpha) * g * g
        return p - lr * g / (math.sqrt(s["v"]) + eps)

    e1, e2 = _scalar_reference(rmsprop, {"v": 0.0})
    p1, p2, state = _two_steps(Optimizer("rmsprop", learning_rate=lr, decay=alpha, eps=eps))
    _assert_params(p1, e1, "step 1")
    _assert_params(p2, e2, "step 2")
    assert set(state) == {"t", "v/w", "v/b"}


def _options():
    return [
        Optimizer("sgd", 0.1),
        Optimizer("momentum", 0.1),
        Optimizer("momentum", 0.1, nesterov=True),
        Optimizer("adam", 0.01),
        Optimizer("rmsprop", 0.01),
    ]


@pytest.mark.parametrize("opt", _options(), ids=lambda o: o.name + ("-nesterov" if o.nesterov else ""))
def test_update_leaves_inputs_untouched_and_returns_fresh_arrays(opt):
    params = {"w": np.array([1.0, -2.0, 3.0]), "b": np.array([[0.5]])}
    state = init_state(opt, params)
    params, state = update(opt, params, {"w": np.ones(3), "b": np.ones((1, 1))}, state)
    grads = {"w": np.array([0.3, -0.1, 2.0]), "b": np.array([[-4.0]])}
    before = copy.deepcopy((params, grads, state))
    new_params, new_state = update(opt, params, grads, state)
    for original, kept in zip((params, grads, state), before):
        assert original.keys() == kept.keys()
        for key in original:
            assert original[key].tobytes() == kept[key].tobytes(), key
    for new, old in ((new_params, params), (new_state, state)):
        assert new.keys() == old.keys()
        for key in new:
            assert new[key].shape == old[key].shape and new[key].dtype == old[key].dtype, key
            for source in (*params.values(), *grads.values(), *state.values()):
                assert not np.shares_memory(new[key], source), f"{key} shares memory with an input"
    assert not np.array_equal(new_params["w"], params["w"])


@pytest.mark.parametrize("opt", _options(), ids=lambda o: o.name + ("-nesterov" if o.nesterov else ""))
def test_state_saved_to_npz_resumes_bit_for_bit(opt, tmp_path):
    rng = np.random.default_rng(0)
    grads = [{"w": rng.standard_normal(3), "b": rng.standard_normal((2, 2))} for _ in range(5)]
    params0 = {"w": np.zeros(3), "b": np.ones((2, 2))}

    straight, state = params0, init_state(opt, params0)
    for g in grads:
        straight, state = update(opt, straight, g, state)

    resumed, state = params0, init_state(opt, params0)
    for g in grads[:3]:
        resumed, state = update(opt, resumed, g, state)
    np.savez(tmp_path / "ckpt.npz", **{f"param/{k}": v for k, v in resumed.items()},
             **{f"opt/{k}": v for k, v in state.items()})
    with np.load(tmp_path / "ckpt.npz", allow_pickle=False) as f:
        resumed = {k[6:]: f[k] for k in f.files if k.startswith("param/")}
        state = {k[4:]: f[k] for k in f.files if k.startswith("opt/")}
    for g in grads[3:]:
        resumed, state = update(opt, resumed, g, state)
    for name in straight:
        assert resumed[name].tobytes() == straight[name].tobytes(), name


def test_float32_params_stay_float32():
    opt = Optimizer("adam", 0.01)
    params = {"w": np.ones(3, dtype=np.float32)}
    new, state = update(opt, params, {"w": np.ones(3, dtype=np.float32)}, init_state(opt, params))
    assert new["w"].dtype == np.float32 and state["m/w"].dtype == np.float32


@pytest.mark.parametrize(
    "opt, steps",
    [
        (Optimizer("adam", 0.05), 1500),
        (Optimizer("momentum", 0.05, momentum=0.9), 400),
        (Optimizer("momentum", 0.05, momentum=0.9, nesterov=True), 400),
    ],
    ids=["adam", "momentum", "nesterov"],
)
def test_minimises_an_ill_conditioned_quadratic(opt, steps):
    # f(p) = 1/2 sum_i a_i (p_i - c_i)^2, minimum 0 at c.
    a, c = np.array([1.0, 10.0, 0.3]), np.array([1.0, -2.0, 0.5])
    params = {"p": np.array([4.0, 3.0, -3.0])}
    f0 = 0.5 * np.sum(a * (params["p"] - c) ** 2)
    state = init_state(opt, params)
    for _ in range(steps):
        params, state = update(opt, params, {"p": a * (params["p"] - c)}, state)
    f = 0.5 * np.sum(a * (params["p"] - c) ** 2)
    assert f < 1e-6 * f0, f"{opt.name}: loss {f0:.3g} -> {f:.3g}"
    np.testing.assert_allclose(params["p"], c, atol=2e-3)


# ---- clipping ----------------------------------------------------------------------------------

GRADS = {"a": np.array([3.0, 0.0]), "b": np.array([[-4.0]])}  # global norm 5


def test_global_norm():
    assert global_norm(GRADS) == 5.0
    assert global_norm({}) == 0.0
    assert global_norm({"z": np.zeros((2, 3))}) == 0.0
    # Squares of 1e200 overflow; the norm must not.
    assert global_norm({"a": GRADS["a"] * 1e200, "b": GRADS["b"] * 1e200}) == pytest.approx(5e200)
    assert global_norm({"a": np.array([1.0, np.inf])}) == math.inf
    assert math.isnan(global_norm({"a": np.array([np.inf, np.nan])}))


@pytest.mark.parametrize("scale", [1e-300, 1e-160, 1e-126, 1e-124, 1e-10, 1.0, 1e150, 1e160, 1e300])
def test_global_norm_is_exact_to_rounding_whether_the_squares_underflow_overflow_or_neither(scale):
    # powers of two times integers: the exact norm of the unscaled set is known, 13 * 2**-3
    grads = {"a": np.array([3.0, -4.0, 12.0]) / 8, "b": np.zeros((2, 2))}
    exact = 13.0 / 8 * scale
    assert global_norm({k: v * scale for k, v in grads.items()}) == pytest.approx(exact, rel=4e-16, abs=0.0)


def test_clip_by_norm_scales_everything_and_reports_the_pre_clip_norm():
    clipped, norm = clip_gradients(GRADS, clip_norm=2.5)
    assert norm == 5.0
    np.testing.assert_allclose(clipped["a"], [1.5, 0.0], rtol=1e-15)
    np.testing.assert_allclose(clipped["b"], [[-2.0]], rtol=1e-15)
    assert global_norm(clipped) == pytest.approx(2.5, rel=1e-15)


def test_clip_by_value_alone_and_after_norm():
    clipped, norm = clip_gradients(GRADS, clip_value=1.0)
    assert norm == 5.0
    np.testing.assert_array_equal(clipped["a"], [1.0, 0.0])
    np.testing.assert_array_equal(clipped["b"], [[-1.0]])
    # Norm first (-> [1.5, 0], [[-2]]), then value 1.8.
    clipped, norm = clip_gradients(GRADS, clip_norm=2.5, clip_value=1.8)
    assert norm == 5.0
    np.testing.assert_allclose(clipped["a"], [1.5, 0.0], rtol=1e-15)
    np.testing.assert_array_equal(clipped["b"], [[-1.8]])


@pytest.mark.parametrize("clip_norm, clip_value", [(0.0, 0.0), (5.0, 0.0), (100.0, 4.0), (0.0, 10.0)])
def test_clipping_below_the_thresholds_changes_nothing(clip_norm, clip_value):
    before = copy.deepcopy(GRADS)
    clipped, norm = clip_gradients(GRADS, clip_norm=clip_norm, clip_value=clip_value)
    assert norm == 5.0
    for name in GRADS:
        assert clipped[name].tobytes() == GRADS[name].tobytes(), name
        assert GRADS[name].tobytes() == before[name].tobytes(), f"input {name} was modified"
        assert not np.shares_memory(clipped[name], GRADS[name])


def test_clipping_rescues_huge_but_finite_gradients_and_leaves_non_finite_ones_visible():
    huge = {k: v * 1e250 for k, v in GRADS.items()}
    clipped, norm = clip_gradients(huge, clip_norm=1.0)
    assert norm == pytest.approx(5e250)
    np.testing.assert_allclose(clipped["a"], [0.6, 0.0], rtol=1e-14)
    bad = {"a": np.array([np.inf, 1.0])}
    clipped, norm = clip_gradients(bad, clip_norm=1.0)
    assert norm == math.inf
    assert not np.all(np.isfinite(clipped["a"]))


@pytest.mark.parametrize("kwargs", [{"clip_norm": -1.0}, {"clip_value": float("nan")}, {"clip_norm": "x"}])
def test_bad_clip_values_raise(kwargs):
    with pytest.raises(EngineError, match="clip_"):
        clip_gradients(GRADS, **kwargs)


# ---- validation ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"name": "adagrad", "learning_rate": 0.1}, ", ".join(OPTIMIZERS)),
        ({"name": "sgd", "learning_rate": 0.0}, "learning_rate"),
        ({"name": "sgd", "learning_rate": float("inf")}, "learning_rate"),
        ({"name": "momentum", "learning_rate": 0.1, "momentum": 1.0}, "momentum"),
        ({"name": "adam", "learning_rate": 0.1, "beta2": -0.1}, "beta2"),
        ({"name": "adam", "learning_rate": 0.1, "eps": 0.0}, "eps"),
        ({"name": "rmsprop", "learning_rate": 0.1, "decay": 1.5}, "decay"),
        ({"name": "sgd", "learning_rate": 0.1, "nesterov": True}, "nesterov"),
    ],
)
def test_bad_optimizer_settings_raise_engine_error(kwargs, message):
    with pytest.raises(EngineError, match=message):
        Optimizer(**kwargs)


def test_mismatched_grads_or_state_raise_engine_error():
    opt = Optimizer("adam", 0.1)
    state = init_state(opt, P0)
    with pytest.raises(EngineError, match=r"missing \['b'\]"):
        update(opt, P0, {"w": G1["w"]}, state)
    with pytest.raises(EngineError, match="gradient of w has shape"):
        update(opt, P0, {"w": np.ones(3), "b": G1["b"]}, state)
    with pytest.raises(EngineError, match="'adam'"):
        update(opt, P0, G1, init_state(Optimizer("sgd", 0.1), P0))
