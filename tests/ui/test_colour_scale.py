"""Colour-scale modes compute their levels exactly as colour_scale's docstring says (no Qt)."""
import math

import numpy as np
import pytest

from rnn_viz.engine.activations import GATED_HIDDEN, OUTPUT_RANGES, apply, sigmoid
from rnn_viz.engine.network import ACTIVATIONS
from rnn_viz.ui.views import colour_scale as cs

rng = np.random.default_rng(7)


def test_every_activation_has_a_range_and_its_outputs_lie_in_it():
    # a gated cell's h_t is checked against its range in tests/engine/test_cell_kinds.py
    assert set(ACTIVATIONS) | {"sigmoid", GATED_HIDDEN} == set(OUTPUT_RANGES)
    a = rng.normal(scale=30, size=1000)
    for name in ACTIVATIONS:
        lo, hi = OUTPUT_RANGES[name]
        h = apply(name, a)
        assert h.min() >= lo and h.max() <= hi, name
    assert 0 <= sigmoid(a).min() and sigmoid(a).max() <= 1


def test_fixed_is_the_activations_own_range_or_the_typed_one():
    tanh, gates = cs.Quantity.of("tanh"), cs.Quantity.of("sigmoid")
    data = rng.normal(size=(5, 7)) * 0.1
    assert cs.levels(tanh, cs.Scale("fixed"), data) == ((-1.0, 1.0), None)
    assert cs.levels(gates, cs.Scale("fixed"), data) == ((0.0, 1.0), None)
    assert cs.levels(tanh, cs.Scale("fixed", (-0.2, 0.3)), data) == ((-0.2, 0.3), None)
    # unbounded: the unit span until a range is typed
    assert cs.levels(cs.Quantity.of("relu"), cs.Scale("fixed"), data)[0] == (0.0, 1.0)
    assert cs.levels(cs.Quantity.of("linear"), cs.Scale("fixed"), data)[0] == (-1.0, 1.0)
    assert cs.levels(cs.Quantity.log(8), cs.Scale("fixed"), data)[0] == (-8.0, 0.0)
    assert cs.Quantity.of("tanh", magnitude=True).value_range == (0.0, 1.0)
    assert cs.Quantity.of("linear", magnitude=True).value_range == (0.0, math.inf)


def test_default_mode_is_fixed_only_where_the_range_is_bounded():
    assert cs.Quantity.of("tanh").default_mode == "fixed"
    assert cs.Quantity.of("sigmoid").default_mode == "fixed"
    assert cs.Quantity.of("relu").default_mode == "auto"
    assert cs.Quantity.of("linear").default_mode == "auto"
    assert cs.Quantity.log(8).default_mode == "auto"


def test_auto_grows_in_125_steps_never_shrinks_and_starts_afresh_without_a_state():
    q = cs.Quantity.of("linear")
    big = rng.normal(size=(4, 9)) * 3
    biggest = np.abs(big).max()
    (lo, hi), s = cs.levels(q, cs.Scale("auto"), big)
    assert (lo, hi) == (-s, s) and s >= biggest and s < 2.5 * biggest
    assert s in {m * 10.0**e for m in (1, 2, 5) for e in range(-3, 4)}
    small = big * 1e-3
    assert cs.levels(q, cs.Scale("auto"), small, previous=s) == ((-s, s), s)
    fresh, s2 = cs.levels(q, cs.Scale("auto"), small, previous=None)
    assert s2 < s and fresh == (-s2, s2)
    # relu: from 0, gates: never beyond 1
    assert cs.levels(cs.Quantity.of("relu"), cs.Scale("auto"), np.array([0.0, 3.2]))[0] == (0.0, 5.0)
    assert cs.levels(cs.Quantity.of("sigmoid"), cs.Scale("auto"), np.array([0.1, 0.3]))[0] == (0.0, 0.5)
    assert cs.levels(cs.Quantity.of("sigmoid"), cs.Scale("auto"), np.array([0.1, 0.99]))[0] == (0.0, 1.0)
    # non-finite values (a run diverging) are left out
    assert cs.levels(q, cs.Scale("auto"), np.array([np.nan, np.inf, 0.7]))[0] == (-1.0, 1.0)


def test_auto_of_a_log_quantity_grows_its_top_decade():
    q = cs.Quantity.log(8)
    first = np.array([3e-4, 2e-7, 0.0])
    assert cs.levels(q, cs.Scale("auto"), first) == ((-11.0, -3.0), -3.0)
    assert cs.levels(q, cs.Scale("auto"), first * 1e-3, previous=-3.0) == ((-11.0, -3.0), -3.0)
    assert cs.levels(q, cs.Scale("auto"), first * 1e3, previous=-3.0) == ((-8.0, 0.0), 0.0)


@pytest.mark.parametrize("shape", [(7, 3), (64, 400)])
def test_percentile_equals_numpy_percentile_of_the_panel_data(shape):
    q = cs.Quantity.of("tanh")
    layers = [np.tanh(rng.normal(size=shape)) for _ in range(2)]
    (lo, hi), state = cs.levels(q, cs.Scale("percentile"), layers)
    want = np.percentile(np.concatenate([d.ravel() for d in layers]), [1, 99])
    assert (lo, hi) == (float(want[0]), float(want[1])) and state is None
    with_nan = layers[0].copy()
    with_nan[0, 0] = np.nan
    got = cs.levels(q, cs.Scale("percentile"), with_nan)[0]
    assert got == tuple(float(v) for v in np.percentile(with_nan[np.isfinite(with_nan)], [1, 99]))


def test_percentile_of_a_log_quantity_is_over_log10_of_the_nonzero_values():
    data = np.concatenate([np.logspace(-9, 0, 500), np.zeros(100)])
    got = cs.levels(cs.Quantity.log(8), cs.Scale("percentile"), data)[0]
    assert got == tuple(float(v) for v in np.percentile(np.log10(np.logspace(-9, 0, 500)), [1, 99]))


def test_percentile_of_a_large_frame_uses_a_strided_sample_and_stays_close():
    data = rng.normal(size=cs.EXACT_LIMIT * 3 + 5)
    lo, hi = cs.levels(cs.Quantity.of("linear"), cs.Scale("percentile"), data)[0]
    sample = data[:: data.size // cs.EXACT_LIMIT]
    assert (lo, hi) == tuple(float(v) for v in np.percentile(sample, [1, 99]))
    exact = np.percentile(data, [1, 99])
    assert abs(lo - exact[0]) < 0.02 and abs(hi - exact[1]) < 0.02


def test_percentile_of_many_large_panels_samples_each_panel_alike():
    layers = [rng.normal(size=(384, 400)), rng.normal(size=(384, 400)) + 1]
    before = [d.copy() for d in layers]
    k = sum(d.size for d in layers) // cs.EXACT_LIMIT
    sample = np.concatenate([d.ravel()[::k] for d in layers])
    got = cs.levels(cs.Quantity.of("linear"), cs.Scale("percentile"), layers)[0]
    assert got == tuple(float(v) for v in np.percentile(sample, [1, 99]))
    assert all(np.array_equal(d, b) for d, b in zip(layers, before))  # the panels are untouched


def test_percentile_of_a_constant_or_empty_frame_is_still_a_range():
    assert cs.percentile_levels(np.full(10, 0.5)) == (-0.5, 1.5)
    assert cs.percentile_levels(np.zeros(0)) == (0.0, 1.0)


def test_label_names_the_mode_and_ranges_parse_back():
    assert cs.label(cs.Scale("auto")) == "auto"
    assert cs.label(cs.Scale("fixed", (-2.0, 2.0))) == "fixed (typed)"
    assert cs.label(cs.Scale("percentile"), "log10") == "1–99 % · log10"
    assert cs.parse_range("-2, 2") == (-2.0, 2.0) == cs.parse_range("−2…2")
    assert cs.parse_range("0.5 0.1") is None and cs.parse_range("a, b") is None
    assert cs.parse_range("1") is None and cs.parse_range("nan, 1") is None
    with pytest.raises(ValueError, match="allowed: fixed, auto, percentile"):
        cs.Scale("log")
