"""Scratch arrays: what a name keeps, and validation's forward pass on them."""
import numpy as np
import pytest

from rnn_viz.engine import evaluate, losses, network
from rnn_viz.engine.step import evaluate_loss
from rnn_viz.engine.workspace import scratch

from .test_gradients import make_problem


def test_a_name_keeps_two_trailing_shapes_taking_turns():
    train = scratch("test.turns", (5, 4, 3), np.float64)
    val = scratch("test.turns", (5, 9, 3), np.float64)
    assert not np.shares_memory(train, val)
    for _ in range(3):
        assert np.shares_memory(scratch("test.turns", (5, 4, 3), np.float64), train)
        assert np.shares_memory(scratch("test.turns", (5, 9, 3), np.float64), val)
    # a shorter leading axis is served by the first rows; a longer one is a new array
    assert np.shares_memory(scratch("test.turns", (2, 4, 3), np.float64), train)
    assert scratch("test.turns", (6, 4, 3), np.float64).shape == (6, 4, 3)
    assert not np.shares_memory(scratch("test.turns", (5, 4, 3), np.float64), train)


def test_a_third_shape_drops_the_least_recently_used():
    a = scratch("test.lru", (2, 1), np.float64)
    b = scratch("test.lru", (2, 2), np.float64)
    scratch("test.lru", (2, 1), np.float64)  # a is now the newer
    scratch("test.lru", (2, 3), np.float64)  # drops b
    assert np.shares_memory(scratch("test.lru", (2, 1), np.float64), a)
    assert not np.shares_memory(scratch("test.lru", (2, 2), np.float64), b)
    assert scratch("test.lru", (2, 1), np.float32).dtype == np.float32


@pytest.mark.parametrize("cell", ["rnn", "lstm", "gru"])
@pytest.mark.parametrize("loss", ["mse", "cross_entropy"])
def test_evaluate_loss_between_training_updates_equals_a_fresh_forward(cell, loss):
    spec, p, x, y, m = make_problem(cell, "tanh", loss, "random", 2, seed=7, B=3, T=6)
    _, xv, yv, mv = make_problem(cell, "tanh", loss, "every", 2, seed=8, B=5, T=6)[1:]
    _, y_tm = network.forward(spec, p, xv)
    res = losses.compute(loss, y_tm.transpose(1, 0, 2), yv, mv)
    g_before, _ = evaluate(spec, p, x, y, m, loss, level="metrics")
    g_before = {k: v.copy() for k, v in g_before.items()}
    for _ in range(2):
        assert evaluate_loss(spec, p, xv, yv, mv, loss) == (res.loss, res.accuracy)
        g, _ = evaluate(spec, p, x, y, m, loss, level="metrics")
        for name in g:
            np.testing.assert_array_equal(g[name], g_before[name], err_msg=name)
