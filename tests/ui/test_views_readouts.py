"""The views' own derived numbers (rnn_viz/ui/views/readouts.py), checked against hand-worked cases."""
import numpy as np
import pytest

from rnn_viz.engine.analysis import jacobian_chain
from rnn_viz.ui.views import readouts as ro
from tests.ui.synthetic import make_trace, window_starts


def test_layer_count_and_cell_kind():
    assert ro.layer_count(make_trace("rnn", 3, T=4)) == 3
    assert ro.cell_kind(make_trace("lstm", 1, T=4)) == "lstm"
    assert ro.cell_kind(make_trace("gru", 1, T=4)) == "gru"
    assert ro.cell_kind(make_trace("rnn", 1, T=4)) == "rnn"


def test_windows_of_truncated_bptt():
    ws = window_starts(12, "truncated", 4, 4)
    starts, ends = ro.truncation_windows(ws, np.ones(12, bool))
    assert starts.tolist() == [0, 4, 8] and ends.tolist() == [3, 7, 11]
    assert ro.is_truncated(ws, np.ones(12, bool))
    # overlapping windows (k1 < k2): every 2 steps a window of 4
    ws = window_starts(8, "truncated", 2, 4)
    starts, ends = ro.truncation_windows(ws, np.ones(8, bool))
    assert starts.tolist() == [0, 2, 4] and ends.tolist() == [3, 5, 7]
    assert not ro.is_truncated(np.zeros(5, int), np.ones(5, bool))


def test_recurrent_edges_outside_every_window_are_cut():
    ws = window_starts(12, "truncated", 4, 4)
    carries = ro.recurrent_edge_carries(ws, np.ones(12, bool))
    assert np.nonzero(~carries)[0].tolist() == [0, 4, 8]
    # a single loss at the end reaches back 4 steps: only edges into 9, 10, 11 carry it
    only_last = np.zeros(12, bool)
    only_last[-1] = True
    assert np.nonzero(ro.recurrent_edge_carries(ws, only_last))[0].tolist() == [9, 10, 11]
    # full BPTT, loss at step 5 only: edges into 1..5 carry, later ones have nothing to carry
    mask = np.zeros(8, bool)
    mask[5] = True
    assert np.nonzero(ro.recurrent_edge_carries(np.zeros(8, int), mask))[0].tolist() == [1, 2, 3, 4, 5]


def test_decade_bins():
    # top bin: within one decade of the largest (10 >= v > 1), then one bin per decade, bin 0 the rest
    v = np.array([10.0, 9.99, 1.0, 0.5, 0.05, 1e-3, 1e-9, 0.0, np.nan, -1.0])
    assert ro.decade_bins(v, 5).tolist() == [4, 4, 3, 3, 2, 0, 0, -1, -1, -1]
    assert ro.decade_bins(np.zeros(3), 5).tolist() == [-1, -1, -1]


def test_running_chain_bound_ends_in_jacobian_chains_product():
    jac = np.array([0.0, 0.5, 2.0, 0.25, 0.8, 1.5])
    steps, bound = ro.running_chain_bound(jac, 1, 5)
    assert steps.tolist() == [1, 2, 3, 4, 5]
    assert bound[0] == pytest.approx(jacobian_chain(jac, 1, 5)[1])
    assert bound.tolist() == pytest.approx([2.0 * 0.25 * 0.8 * 1.5, 0.25 * 0.8 * 1.5, 0.8 * 1.5, 1.5, 1.0])


def test_flow_ratio_nice_ceiling_and_log_levels():
    flow = np.array([[2.0, 0.0], [0.5, 4.0]])
    assert ro.flow_ratio(flow, 0, 1) == 0.125
    assert np.isnan(ro.flow_ratio(np.zeros((2, 2)), 0, 1))
    assert [ro.nice_ceiling(x) for x in (0.3, 1.0, 1.01, 3.0, 7.0, 0.0)] == pytest.approx([0.5, 1, 2, 5, 10, 1])
    assert ro.log_levels(np.array([0.0, 3e-5, 0.02]), 8) == (-9.0, -1.0)


@pytest.mark.parametrize("seed", range(6))
def test_log_levels_with_the_callers_mask_are_the_same_levels(seed):
    rng = np.random.default_rng(seed)
    v = 10.0 ** rng.uniform(-30, 5, size=(40, 40))
    v[rng.random(v.shape) < 0.4] = 0.0
    v.flat[rng.integers(0, v.size, 5)] = [np.inf, np.nan, -3.0, -np.inf, 100.0]  # 100: an exact decade
    if seed == 4:
        v[v > 100.0] = 0.0  # the largest is 100 exactly: hi is that decade, not the next
    if seed == 5:
        v[:] = 0.0  # no positive value: the top decade is 0
    good = np.isfinite(v) & (v > 0)
    assert ro.log_levels(v, 8, good) == ro.log_levels(v, 8)


def test_target_probability_and_last_loss_step():
    pred = np.array([[0.1, 0.9], [0.7, 0.3]])
    assert ro.target_probability(pred, np.array([1, 1])).tolist() == [0.9, 0.3]
    assert ro.last_loss_step(np.array([True, False, True, False])) == 2
    assert ro.last_loss_step(np.zeros(3, bool)) is None
    assert ro.mean_abs(np.array([[1.0, -3.0]])).tolist() == [2.0]
    assert ro.loss_steps(np.array([[True, False], [False, False]])).tolist() == [True, False]
    assert ro.loss_steps(np.array([[True, False], [False, True]]), sample=1).tolist() == [False, True]


def test_run_activation_reads_each_runs_own_experiment():
    from rnn_viz.ui.state import ViewState

    a = {"model": {"cell": "rnn", "activation": "relu"}}
    b = {"model": {"cell": "rnn", "activation": "linear"}}
    state = ViewState(trace=None, history={}, config=a, config_b=b)
    assert ro.run_activation(state, "A") == "relu"
    assert ro.run_activation(state, "B") == "linear"
    assert ro.run_activation(ViewState(trace=None, history={}, config={"model": {"cell": "rnn"}}), "A") == "tanh"
    # without run B's experiment (not in compare mode) run A's is the only one there is
    assert ro.run_activation(ViewState(trace=None, history={}, config=a), "B") == "relu"
