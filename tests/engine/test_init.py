"""init_params: names and shapes, exact spectral radius per gate block, determinism, bad values."""
import math

import numpy as np
import pytest

from rnn_viz.engine.errors import EngineError
from rnn_viz.engine.init import INITS, init_params, sigma_max, spectral_radius
from rnn_viz.engine.network import CELLS, NetSpec


def _blocks(W, H):
    return W.reshape(-1, H, H)


def _radii(W, H):
    return np.abs(np.linalg.eigvals(_blocks(W, H))).max(axis=1)


@pytest.mark.parametrize("cell", CELLS)
def test_names_shapes_order_dtype_and_zero_biases(cell):
    spec = NetSpec(cell, input_size=3, hidden_size=5, output_size=2, num_layers=3)
    params = init_params(spec, np.random.default_rng(0))
    assert list(params) == list(spec.param_shapes())
    for name, shape in spec.param_shapes().items():
        assert params[name].shape == shape, name
        assert params[name].dtype == np.float64, name
        if name.startswith("b"):
            assert not params[name].any(), f"{name} should start at zero"
    f32 = init_params(spec, np.random.default_rng(0), dtype=np.float32)
    assert all(v.dtype == np.float32 for v in f32.values())


@pytest.mark.parametrize("cell", CELLS)
@pytest.mark.parametrize("init", INITS)
@pytest.mark.parametrize("rho", [0.3, 1.0, 1.9])
def test_each_gate_block_has_the_exact_spectral_radius(cell, init, rho):
    H = 7
    spec = NetSpec(cell, input_size=2, hidden_size=H, output_size=1, num_layers=2)
    params = init_params(spec, np.random.default_rng(11), init=init, spectral_radius=rho)
    for l in range(2):
        radii = _radii(params[f"Whh.{l}"], H)
        assert radii.shape == (spec.gates,)
        np.testing.assert_allclose(radii, rho, rtol=1e-12, atol=0, err_msg=f"Whh.{l} blocks")
        assert spectral_radius(params[f"Whh.{l}"]) == pytest.approx(rho, rel=1e-12)


@pytest.mark.parametrize("H", [1, 2, 64])
def test_gaussian_radius_is_exact_for_small_and_larger_blocks(H):
    spec = NetSpec("lstm", 1, H, 1)
    for seed in range(3):
        W = init_params(spec, np.random.default_rng(seed), "gaussian", 1.3)["Whh.0"]
        np.testing.assert_allclose(_radii(W, H), 1.3, rtol=1e-12, atol=0)


def test_gate_blocks_are_drawn_independently():
    H = 6
    W = init_params(NetSpec("gru", 1, H, 1), np.random.default_rng(2), "orthogonal")["Whh.0"]
    r, z, n = _blocks(W, H)
    assert not np.allclose(r, z) and not np.allclose(z, n)


@pytest.mark.parametrize("cell", CELLS)
def test_orthogonal_blocks_are_rho_times_orthogonal(cell):
    H, rho = 8, 0.7
    spec = NetSpec(cell, 3, H, 2)
    W = init_params(spec, np.random.default_rng(5), "orthogonal", rho)["Whh.0"]
    for g, block in enumerate(_blocks(W, H)):
        np.testing.assert_allclose(block.T @ block, rho**2 * np.eye(H), atol=1e-13, err_msg=f"gate {g}")
        np.testing.assert_allclose(np.linalg.svd(block, compute_uv=False), rho, rtol=1e-13)
    assert sigma_max(W) == pytest.approx(rho, rel=1e-13)


@pytest.mark.parametrize("cell", CELLS)
def test_identity_is_rho_times_identity_per_gate(cell):
    H = 4
    spec = NetSpec(cell, 2, H, 1, num_layers=2)
    params = init_params(spec, np.random.default_rng(0), "identity", 0.9)
    for l in range(2):
        for block in _blocks(params[f"Whh.{l}"], H):
            np.testing.assert_array_equal(block, 0.9 * np.eye(H))


@pytest.mark.parametrize("init", INITS)
def test_zero_radius_gives_zero_recurrent_weights(init):
    spec = NetSpec("lstm", 2, 5, 1, num_layers=2)
    params = init_params(spec, np.random.default_rng(0), init, 0.0)
    for l in range(2):
        assert not params[f"Whh.{l}"].any()
        assert spectral_radius(params[f"Whh.{l}"]) == 0.0
    # The rest is still a usable network.
    assert params["Wxh.0"].any() and params["Why"].any()


@pytest.mark.parametrize("init", INITS)
def test_same_seed_gives_bit_identical_params(init):
    spec = NetSpec("gru", 3, 6, 2, num_layers=2)
    a = init_params(spec, np.random.default_rng(123), init, 1.1)
    b = init_params(spec, np.random.default_rng(123), init, 1.1)
    c = init_params(spec, np.random.default_rng(124), init, 1.1)
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert not np.array_equal(a["Wxh.0"], c["Wxh.0"])


@pytest.mark.parametrize("init", INITS)
def test_changing_only_rho_only_rescales_whh(init):
    spec = NetSpec("lstm", 3, 6, 2, num_layers=2)
    a = init_params(spec, np.random.default_rng(7), init, 0.5)
    b = init_params(spec, np.random.default_rng(7), init, 1.5)
    for name in a:
        if name.startswith("Whh"):
            np.testing.assert_allclose(b[name], 3.0 * a[name], rtol=1e-12, atol=1e-15, err_msg=name)
        else:
            np.testing.assert_array_equal(a[name], b[name], err_msg=name)


def test_input_and_readout_weights_do_not_depend_on_the_init_choice():
    spec = NetSpec("rnn", 3, 6, 2, num_layers=3)
    runs = [init_params(spec, np.random.default_rng(9), init) for init in INITS]
    for name in ("Wxh.0", "Wxh.1", "Wxh.2", "Why"):
        for other in runs[1:]:
            np.testing.assert_array_equal(runs[0][name], other[name], err_msg=name)


def test_glorot_limits_use_the_per_gate_fan():
    I, H, O = 300, 200, 100
    params = init_params(NetSpec("lstm", I, H, O), np.random.default_rng(0))
    for name, fan in (("Wxh.0", I + H), ("Why", H + O)):
        limit = math.sqrt(6.0 / fan)
        W = params[name]
        assert np.abs(W).max() <= limit
        # With tens of thousands of draws the extremes come within 1% of the limit.
        assert np.abs(W).max() > 0.99 * limit, name
        assert W.std() == pytest.approx(limit / math.sqrt(3.0), rel=0.02), name


def test_helpers_take_the_max_over_gate_blocks():
    H = 3
    small, big = 0.5 * np.eye(H), np.diag([2.0, 0.1, 0.1])
    W = np.concatenate([small, big, small], axis=0)
    assert spectral_radius(W) == pytest.approx(2.0)
    assert sigma_max(W) == pytest.approx(2.0)
    # A non-normal block: radius 0, largest singular value 5.
    nilpotent = np.array([[0.0, 5.0], [0.0, 0.0]])
    assert spectral_radius(nilpotent) == 0.0
    assert sigma_max(nilpotent) == pytest.approx(5.0)
    assert math.isnan(spectral_radius(np.full((2, 2), np.nan)))
    with pytest.raises(EngineError, match=r"\(G\*H, H\)"):
        sigma_max(np.zeros((5, 2)))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"init": "xavier"}, "orthogonal, gaussian, identity"),
        ({"spectral_radius": -0.1}, "spectral_radius"),
        ({"spectral_radius": float("nan")}, "spectral_radius"),
        ({"spectral_radius": float("inf")}, "spectral_radius"),
        ({"spectral_radius": "big"}, "spectral_radius"),
        ({"dtype": np.int64}, "float64, float32"),
    ],
)
def test_bad_values_raise_engine_error_naming_what_is_allowed(kwargs, message):
    with pytest.raises(EngineError, match=message):
        init_params(NetSpec("rnn", 1, 2, 1), np.random.default_rng(0), **kwargs)


def test_a_seed_instead_of_a_generator_is_refused():
    with pytest.raises(EngineError, match="default_rng"):
        init_params(NetSpec("rnn", 1, 2, 1), 0)
