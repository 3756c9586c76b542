"""Cancellation of the engine's long loops: every time loop polls the caller's check, stops at the
first poll after it turns true, and never modifies its inputs on the way out."""
import numpy as np
import pytest

from rnn_viz.engine import NetSpec, Optimizer, Truncation, init_params, optim, train_step
from rnn_viz.engine import cancel
from rnn_viz.engine.step import evaluate


class CountingCheck:
    """A cancellation check that says stop at its ``stop_at``-th call (None: never)."""

    def __init__(self, stop_at=None):
        self.calls = 0
        self.stop_at = stop_at

    def __call__(self):
        self.calls += 1
        return self.stop_at is not None and self.calls >= self.stop_at


def _model(cell="rnn", T=160, B=2, H=5, L=2, seed=0):
    spec = NetSpec(cell, 3, H, 2, L)
    rng = np.random.default_rng(seed)
    params = init_params(spec, rng, "orthogonal", 0.9, np.float64)
    x = rng.standard_normal((B, T, 3))
    y = rng.standard_normal((B, T, 2))
    mask = np.ones((B, T), bool)
    return spec, params, x, y, mask


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
def test_every_time_loop_polls_every_few_steps(cell):
    spec, params, x, y, mask = _model(cell)
    T, L = x.shape[1], spec.num_layers
    check = CountingCheck()
    with cancel.checking(check):
        evaluate(spec, params, x, y, mask, "mse", Truncation(4, 9), flow_sample=1)
    per_loop = -(-T // cancel.POLL_EVERY)
    # forward of each layer, the sweep, the flow matrix's sweep: a poll per POLL_EVERY steps each
    assert check.calls >= (L + 2) * per_loop


def test_no_check_installed_means_no_polling_cost_and_same_numbers():
    spec, params, x, y, mask = _model()
    g1, t1 = evaluate(spec, params, x, y, mask, "mse", None, flow_sample=0)
    with cancel.checking(CountingCheck()):
        g2, t2 = evaluate(spec, params, x, y, mask, "mse", None, flow_sample=0)
    for k in g1:
        assert np.array_equal(g1[k], g2[k]), k
    assert np.array_equal(t1["flow/0"], t2["flow/0"])


@pytest.mark.parametrize("stop_at", [1, 3, 12, 20, 25, 35, 41])
def test_an_update_stops_at_the_first_poll_after_the_check_turns_true(stop_at):
    """Wherever the stop lands (forward, sweep, flow matrix, Jacobians), train_step raises Cancelled
    at that very poll and the caller's parameters and optimizer state are untouched."""
    spec, params, x, y, mask = _model()
    opt = Optimizer("adam", 0.01)
    state = optim.init_state(opt, params)
    before = {k: v.copy() for k, v in params.items()}
    state_before = {k: np.copy(v) for k, v in state.items()}
    check = CountingCheck(stop_at)
    with cancel.checking(check), pytest.raises(cancel.Cancelled):
        train_step(spec, params, state, opt, x, y, mask, "mse", None, flow_sample=0)
    assert check.calls == stop_at  # not one poll further
    for k in before:
        assert np.array_equal(params[k], before[k]), k
    for k in state_before:
        assert np.array_equal(state[k], state_before[k]), k


def test_checks_are_per_thread_and_nest():
    import threading

    outer, inner = CountingCheck(), CountingCheck(stop_at=1)
    with cancel.checking(outer):
        with cancel.checking(inner), pytest.raises(cancel.Cancelled):
            cancel.poll()
        cancel.poll()  # the outer check is back, and it says go on
        seen = []
        thread = threading.Thread(target=lambda: seen.append(cancel.poll()))
        thread.start()
        thread.join()
    assert outer.calls == 1 and seen == [None]
    cancel.poll()  # outside every block: nothing to ask
