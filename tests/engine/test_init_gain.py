"""init_params(gain=g): W_hh ~ N(0, g^2/H) as drawn, the same directions for every g."""
import math

import numpy as np
import pytest

from rnn_viz.engine import EngineError, NetSpec, init_params


def test_gain_draws_unscaled_gaussian_blocks_on_the_same_stream():
    spec = NetSpec("gru", 2, 300, 1)
    a = init_params(spec, np.random.default_rng(3), "gaussian", gain=1.5)
    b = init_params(spec, np.random.default_rng(3), "gaussian", gain=0.5)
    for g in range(3):
        block = a["Whh.0"][g * 300:(g + 1) * 300]
        assert abs(block.std() * math.sqrt(300) / 1.5 - 1) < 0.01 and abs(block.mean()) < 0.01
    np.testing.assert_allclose(a["Whh.0"] / 1.5, b["Whh.0"] / 0.5, rtol=1e-14)  # only the scale differs
    base = init_params(spec, np.random.default_rng(3), "gaussian", 1.0)
    for name in ("Wxh.0", "Why"):  # the other weights are those of any init with this seed
        np.testing.assert_array_equal(a[name], base[name])


def test_gain_needs_the_gaussian_init():
    with pytest.raises(EngineError, match="gain needs init 'gaussian'"):
        init_params(NetSpec("rnn", 1, 4, 1), np.random.default_rng(0), "orthogonal", gain=1.0)
