"""The flow window: only the kept loss steps' rows of the flow matrix, equal to the full matrix's rows."""
import numpy as np
import pytest

from rnn_viz.engine import NetSpec, bptt, init_params, network, trace
from rnn_viz.engine.step import evaluate


def _problem(cell, rng, T=11, B=3, L=2):
    spec = NetSpec(cell, 3, 5, 2, num_layers=L, activation="tanh")
    p = init_params(spec, rng, "gaussian", 1.2)
    caches, _ = network.forward(spec, p, rng.standard_normal((B, T, 3)))
    dh_out = rng.standard_normal((T, B, 2)) @ p["Why"]
    return spec, p, caches, dh_out


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("truncation", [None, bptt.Truncation(2, 4), bptt.Truncation(3, 3)])
@pytest.mark.parametrize("rows", [[10], [0, 4, 5, 10], [1, 2, 7], list(range(11))])
def test_window_rows_are_the_full_flow_matrix_rows(cell, truncation, rows):
    spec, p, caches, dh_out = _problem(cell, np.random.default_rng(3))
    chains = bptt.block_chains(11, truncation)
    full = trace.flow_matrices(spec, p, caches, dh_out, chains, 1)
    window = trace.flow_matrices(spec, p, caches, dh_out, chains, 1, rows=np.array(rows))
    for l in range(2):
        assert window[l].shape == (len(rows), 11)
        np.testing.assert_allclose(window[l], full[l][rows], rtol=1e-12, atol=1e-300)


def test_kept_rows_are_loss_steps_evenly_spread_with_the_last():
    mask = np.zeros(10_000, dtype=bool)
    mask[3::2] = True
    rows = trace.kept_flow_rows(mask, 100)
    assert rows.dtype == np.int64 and len(rows) == 100
    assert rows[-1] == 9999 and np.all(mask[rows]) and np.all(np.diff(rows) > 0)
    assert np.ptp(np.diff(rows)) <= 2  # evenly spread: gaps differ by at most one loss step
    few = np.zeros(50, dtype=bool)
    few[[4, 9, 49]] = True
    np.testing.assert_array_equal(trace.kept_flow_rows(few, 100), [4, 9, 49])


def test_evaluate_writes_the_window_instead_of_the_matrix():
    rng = np.random.default_rng(5)
    spec = NetSpec("gru", 3, 4, 2, num_layers=2)
    p = init_params(spec, rng, "gaussian", 1.0)
    B, T = 2, 30
    x, y = rng.standard_normal((B, T, 3)), rng.standard_normal((B, T, 2))
    mask = np.ones((B, T), dtype=bool)
    _, full = evaluate(spec, p, x, y, mask, "mse", flow_sample=1)
    _, win = evaluate(spec, p, x, y, mask, "mse", flow_sample=1, flow_rows=7)
    assert "flow/0" not in win and win["flow_rows"].dtype == np.int64 and len(win["flow_rows"]) == 7
    assert win["flow_rows"][-1] == T - 1
    for l in range(2):
        np.testing.assert_allclose(win[f"flow_window/{l}"], full[f"flow/{l}"][win["flow_rows"]], rtol=1e-12, atol=1e-300)
    assert "flow_rows" not in full
