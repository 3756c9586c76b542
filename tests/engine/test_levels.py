"""Trace levels: each level holds exactly its keys, with the values the full trace has; and the two
routes of dWhh_step_norm agree."""
import numpy as np
import pytest

from rnn_viz.engine import EngineError, Truncation, evaluate
from rnn_viz.engine.levels import HEAVY_KEYS, TRACE_FULL, TRACE_LEVELS, TRACE_LIVE, TRACE_METRICS, template
from rnn_viz.engine.trace import step_contribution_norms

from .test_gradients import make_problem


def test_levels_nest():
    assert TRACE_METRICS < TRACE_LIVE < TRACE_FULL
    assert not HEAVY_KEYS & TRACE_FULL


@pytest.mark.parametrize("cell,loss", [("rnn", "mse"), ("lstm", "cross_entropy"), ("gru", "mse")])
@pytest.mark.parametrize("level", list(TRACE_LEVELS))
def test_each_level_holds_its_keys_with_the_full_values(cell, loss, level):
    spec, p, x, y, m = make_problem(cell, "tanh", loss, "random", 2, seed=9)
    g_full, full = evaluate(spec, p, x, y, m, loss, Truncation(2, 3))
    grads, tr = evaluate(spec, p, x, y, m, loss, Truncation(2, 3), level=level)
    assert {template(k) for k in tr} <= TRACE_LEVELS[level], "a key outside its level"
    expected = {k for k in full if template(k) in TRACE_LEVELS[level]}
    assert set(tr) == expected
    for k in tr:
        np.testing.assert_array_equal(tr[k], full[k], err_msg=k)
    for name in g_full:
        np.testing.assert_array_equal(grads[name], g_full[name], err_msg=name)


def test_full_level_is_every_documented_cheap_key():
    spec, p, x, y, m = make_problem("lstm", "tanh", "cross_entropy", "every", 1, seed=3)
    _, tr = evaluate(spec, p, x, y, m, "cross_entropy", flow_sample=0)
    assert {template(k) for k in tr} == TRACE_FULL | HEAVY_KEYS


def test_heavy_parts_come_at_any_level():
    spec, p, x, y, m = make_problem("rnn", "tanh", "mse", "every", 1, seed=3)
    _, full = evaluate(spec, p, x, y, m, "mse", flow_sample=1)
    _, tr = evaluate(spec, p, x, y, m, "mse", flow_sample=1, level="metrics")
    np.testing.assert_array_equal(tr["flow/0"], full["flow/0"])
    np.testing.assert_array_equal(tr["jacobian_norm/0"], full["jacobian_norm/0"])


def test_unknown_level_is_refused_by_name():
    spec, p, x, y, m = make_problem("rnn", "tanh", "mse", "every", 1, seed=3)
    with pytest.raises(EngineError, match="trace level 'most'"):
        evaluate(spec, p, x, y, m, "mse", level="most")


@pytest.mark.parametrize("T,B,G,H", [(7, 1, 1, 9), (5, 40, 1, 6), (6, 3, 4, 5), (4, 12, 3, 7), (300, 2, 1, 3)])
def test_both_routes_of_dwhh_step_norm_agree(T, B, G, H):
    rng = np.random.default_rng(T * B + G * H)
    dah, hp = rng.normal(size=(T, B, G * H)), rng.normal(size=(T, B, H))
    direct = step_contribution_norms(dah, hp, "direct")
    gram = step_contribution_norms(dah, hp, "gram")
    explicit = np.array([np.linalg.norm(dah[t].T @ hp[t]) for t in range(T)])
    np.testing.assert_allclose(direct, explicit, rtol=1e-12)
    np.testing.assert_allclose(gram, direct, rtol=1e-12)
    np.testing.assert_array_equal(step_contribution_norms(dah, hp), direct if B * (G + 1) >= G * H else gram)
