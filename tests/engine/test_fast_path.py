"""The engine's sweep (all chains in one reversed loop, the vanilla step in place) against the plain
one-chain-at-a-time BPTT of plain_bptt.py: gradients, dL/dh and flow matrices, every cell, 1-2
layers, full and truncated BPTT, both losses."""
import itertools

import numpy as np
import pytest

from rnn_viz.engine import Truncation, evaluate
from rnn_viz.engine.backward_steps import rnn_derivative_into, rnn_step_backward_into
from rnn_viz.engine.cells import step_backward

from . import plain_bptt
from .test_gradients import make_problem

REL = 1e-12
CASES = [("rnn", "tanh"), ("rnn", "relu"), ("rnn", "linear"), ("lstm", "tanh"), ("gru", "tanh")]
TRUNCS = [None, (1, 1), (2, 3), (3, 3), (1, 5), (4, 20)]


def rel_err(a, b):
    return np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300)


@pytest.mark.parametrize("cell,act,layers,trunc,loss",
                         [(c, a, L, t, lo) for (c, a), L, t, lo in
                          itertools.product(CASES, [1, 2], TRUNCS, ["mse", "cross_entropy"])])
def test_sweep_matches_the_plain_reference(cell, act, layers, trunc, loss):
    spec, p, x, y, m = make_problem(cell, act, loss, "random", layers, seed=len(str(trunc)) * 7 + layers, B=3, T=9)
    truncation = Truncation(*trunc) if trunc else None
    grads, tr = evaluate(spec, p, x, y, m, loss, truncation, flow_sample=0)
    g_ref, dh_ref, flow_ref = plain_bptt.run(spec, p, x, y, m, loss, truncation)
    what = f"{cell}/{act} {layers} layer(s) {trunc} {loss}"
    for name in g_ref:
        assert rel_err(grads[name], g_ref[name]) < REL, f"{what}: gradient of {name}"
    for l in range(layers):
        assert rel_err(tr[f"dL_dh/{l}"], dh_ref[l]) < REL, f"{what}: dL_dh/{l}"
        assert rel_err(tr[f"flow/{l}"], flow_ref[l]) < REL, f"{what}: flow/{l}"


@pytest.mark.parametrize("act", ["tanh", "relu", "linear"])
def test_in_place_vanilla_step_is_bit_identical_to_step_backward(act):
    rng = np.random.default_rng(5)
    C, B, H = 3, 4, 6
    dh, h, W = rng.normal(size=(C, B, H)), np.tanh(rng.normal(size=(B, H))), rng.normal(size=(H, H))
    if act == "relu":
        h = np.maximum(h, 0.0)
    da_ref, _, prev_ref, _, _ = step_backward("rnn", act, dh, None, {"h": h}, W)
    da, carry = np.empty_like(dh), dh.copy()
    rnn_step_backward_into(carry, rnn_derivative_into(act, h, np.empty((B, H))), W, da, carry)
    np.testing.assert_array_equal(da, da_ref)
    np.testing.assert_array_equal(carry, prev_ref)


@pytest.mark.parametrize("steps_per_chunk", [1, 2, 4])
@pytest.mark.parametrize("cell,act", CASES)
@pytest.mark.parametrize("trunc", [None, (2, 3)])
def test_sweep_in_chunks_of_steps_matches_the_plain_reference(monkeypatch, steps_per_chunk, cell, act, trunc):
    from rnn_viz.engine import bptt

    spec, p, x, y, m = make_problem(cell, act, "mse", "random", 2, seed=steps_per_chunk, B=3, T=9)
    monkeypatch.setattr(bptt, "_CHUNK_ELEMENTS", steps_per_chunk * 3 * spec.gates * spec.hidden_size)
    truncation = Truncation(*trunc) if trunc else None
    grads, tr = evaluate(spec, p, x, y, m, "mse", truncation, flow_sample=2)
    g_ref, dh_ref, _ = plain_bptt.run(spec, p, x, y, m, "mse", truncation)
    for name in g_ref:
        assert rel_err(grads[name], g_ref[name]) < REL, f"{cell}/{act} chunks of {steps_per_chunk}: {name}"
    for l in range(2):
        assert rel_err(tr[f"dL_dh/{l}"], dh_ref[l]) < REL


def test_readout_adjoint_steps_are_the_gemms_rows_bit_for_bit_signed_zeros_included():
    from rnn_viz.engine import network

    rng = np.random.default_rng(4)
    dy, Why = rng.normal(size=(7, 5, 1)), rng.normal(size=(1, 6))
    dy[2] = 0.0  # a masked step: its products are -0.0 where W_hy is negative, the GEMM's sums +0.0
    dy[4, 1] = -0.0
    whole = network.readout_adjoint(dy, Why)
    source = network.ReadoutAdjoint(dy, Why)
    for lo, hi in ((0, 7), (2, 3), (3, 7), (0, 1)):
        rows = source.steps(lo, hi)
        np.testing.assert_array_equal(rows, whole[lo:hi])
        np.testing.assert_array_equal(np.signbit(rows), np.signbit(whole[lo:hi]))


@pytest.mark.parametrize("steps_per_chunk", [1, 3, 9])
@pytest.mark.parametrize("cell,act", CASES)
@pytest.mark.parametrize("trunc", [None, (2, 3)])
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_readout_adjoint_made_a_chunk_at_a_time_gives_the_same_gradients_bit_for_bit(monkeypatch, steps_per_chunk,
                                                                                     cell, act, trunc, loss):
    # without a flow sample the sweep takes dL/dy W_hy a chunk of steps at a time (network.ReadoutAdjoint);
    # with one, the whole array is made first, as the flow matrices need it
    from rnn_viz.engine import bptt

    spec, p, x, y, m = make_problem(cell, act, loss, "random", 2, seed=steps_per_chunk, B=3, T=9)
    monkeypatch.setattr(bptt, "_CHUNK_ELEMENTS", steps_per_chunk * 3 * spec.gates * spec.hidden_size)
    truncation = Truncation(*trunc) if trunc else None
    chunked, _ = evaluate(spec, p, x, y, m, loss, truncation, level="metrics")
    whole, _ = evaluate(spec, p, x, y, m, loss, truncation, flow_sample=1)
    for name in whole:
        np.testing.assert_array_equal(chunked[name], whole[name], err_msg=f"{cell}/{act} {trunc} {loss}: {name}")
