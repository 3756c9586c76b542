"""The per-update fast paths against the plain forms they replace, bit for bit: gradients packed into
one vector (global norm, finiteness), the optimizer on one vector, the vanilla cell's one-chain
sweep, and forward caches in scratch arrays at the metrics level."""
import gc
import itertools

import numpy as np
import pytest

from rnn_viz.engine import DivergenceError, Optimizer, Truncation, bptt, evaluate
from rnn_viz.engine.optim import _step, global_norm, init_state, update
from rnn_viz.engine.workspace import pack, packed_cover, packed_vector

from .test_gradients import make_problem

CASES = [("rnn", "tanh"), ("rnn", "relu"), ("rnn", "linear"), ("lstm", "tanh"), ("gru", "tanh")]
OPTIMIZERS = [Optimizer("sgd", 0.1), Optimizer("momentum", 0.05), Optimizer("momentum", 0.05, nesterov=True),
              Optimizer("adam", 1e-2), Optimizer("rmsprop", 1e-2)]
SHAPES = [(5, 3), (7,), (), (1, 4), (0,), (3, 2, 2)]


def _packed(arrays: dict) -> dict:
    """The same arrays as views of one vector, recorded with pack()."""
    vector = np.concatenate([np.ravel(a) for a in arrays.values()]) if arrays else np.empty(0)
    out, o = {}, 0
    for k, a in arrays.items():
        out[k] = vector[o : o + a.size].reshape(a.shape)
        o += a.size
    pack(vector, list(out.values()))
    return out


@pytest.mark.parametrize("scale", [1.0, 1e-300, 1e200])
def test_global_norm_of_packed_gradients_is_the_per_array_norm_bit_for_bit(scale):
    rng = np.random.default_rng(1)
    for trial in range(20):
        grads = {f"g{i}": rng.normal(size=s) * scale * rng.uniform(0.1, 10) for i, s in enumerate(SHAPES)}
        packed = _packed(grads)
        assert packed_vector(list(packed.values())) is not None
        assert global_norm(packed) == global_norm(grads)  # == on floats: the same bits (both finite)


@pytest.mark.parametrize("bad", [np.inf, -np.inf, np.nan])
def test_global_norm_of_packed_gradients_reports_non_finite_entries(bad):
    grads = {"a": np.ones((3, 3)), "b": np.array([1.0, bad])}
    packed, plain = global_norm(_packed(grads)), global_norm(grads)
    assert np.isnan(packed) if np.isnan(bad) else packed == np.inf
    assert np.isnan(plain) if np.isnan(bad) else plain == np.inf
    assert global_norm(_packed({"z": np.zeros(4)})) == 0.0


def test_packed_vector_needs_the_very_arrays_in_order():
    arrays = _packed({"a": np.arange(6.0).reshape(2, 3), "b": np.arange(2.0), "c": np.array(5.0)})
    views = list(arrays.values())
    assert packed_vector(views) is views[0].base
    assert packed_vector(views[::-1]) is None
    assert packed_vector(views[:2]) is None  # a part is not the whole record
    assert packed_vector([views[0], views[1].copy(), views[2]]) is None  # one array replaced
    assert [a.size for a in packed_cover([np.ones(3), *views, np.ones(2)])] == [3, 9, 2]
    assert [a.size for a in packed_cover([views[1], views[0], views[2]])] == [2, 6, 1]


def test_a_pack_record_holds_no_memory():
    views = list(_packed({"a": np.ones(1000), "b": np.ones(3)}).values())
    vector = views[0].base
    import weakref

    ref = weakref.ref(vector)
    del views, vector
    gc.collect()
    assert ref() is None


def _reference_update(opt, params, grads, state):
    """One optimizer step parameter by parameter with _step, as update() did before packing."""
    t = int(state["t"]) + 1
    new_p, new_s = {}, {"t": np.array(t, dtype=np.int64)}
    for name, p in params.items():
        step, bufs = _step(opt, t, grads[name], {b: state[f"{b}/{name}"] for b in ("m", "v") if f"{b}/{name}" in state})
        new_p[name] = p - step
        new_s.update({f"{b}/{name}": v for b, v in bufs.items()})
    return new_p, new_s


@pytest.mark.parametrize("opt", OPTIMIZERS, ids=lambda o: o.name + ("-nesterov" if o.nesterov else ""))
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_packed_optimizer_steps_equal_the_per_parameter_steps_bit_for_bit(opt, dtype):
    rng = np.random.default_rng(2)
    params = {f"p{i}": rng.normal(size=s).astype(dtype) for i, s in enumerate(SHAPES)}
    state = init_state(opt, params)
    ref_p, ref_s = params, state
    for step in range(4):  # from step 2 on the inputs are the last update's packed results
        grads = {k: rng.normal(size=v.shape).astype(dtype) for k, v in params.items()}
        if step % 2:
            grads = _packed(grads)
        params, state = update(opt, params, grads, state)
        ref_p, ref_s = _reference_update(opt, ref_p, grads, ref_s)
        for name in ref_p:
            assert params[name].dtype == dtype and params[name].shape == ref_p[name].shape
            np.testing.assert_array_equal(params[name], ref_p[name], err_msg=f"step {step}: {name}")
        assert set(state) == set(ref_s)
        for key in ref_s:
            np.testing.assert_array_equal(state[key], ref_s[key], err_msg=f"step {step}: {key}")


def test_an_update_of_mixed_dtypes_still_steps_each_parameter():
    opt = Optimizer("adam", 1e-2)
    params = {"a": np.ones(3, np.float32), "b": np.ones(2)}
    grads = {"a": np.full(3, 0.5, np.float32), "b": np.full(2, 0.25)}
    new, state = update(opt, params, grads, init_state(opt, params))
    ref, ref_state = _reference_update(opt, params, grads, init_state(opt, params))
    assert new["a"].dtype == np.float32 and new["b"].dtype == np.float64
    for k in params:
        np.testing.assert_array_equal(new[k], ref[k])


@pytest.mark.parametrize("bad", [np.nan, np.inf])
def test_a_non_finite_entry_of_packed_arrays_is_found_and_named(bad):
    from rnn_viz.engine.step import _check_finite

    arrays = _packed({"a": np.ones((2, 2)), "b": np.ones(3), "c": np.ones(1)})
    _check_finite({"t": np.array(3), **arrays}, "update of")  # all finite: no error
    arrays["b"][1] = bad
    with pytest.raises(DivergenceError, match="update of b"):
        _check_finite({"t": np.array(3), **arrays}, "update of")
    big = _packed({"a": np.full(2, 1e308), "b": np.full(2, 1e308)})  # the sum overflows, the entries do not
    _check_finite(big, "update of")


def test_one_check_of_parameters_and_state_names_the_first_bad_array_in_its_own_words():
    from rnn_viz.engine.step import _check_finite

    params, state = _packed({"a": np.ones(2), "b": np.ones(2)}), _packed({"m/a": np.ones(2), "m/b": np.ones(2)})
    _check_finite(params, "update of", state, "optimizer state")
    state["m/b"][0] = np.inf
    with pytest.raises(DivergenceError, match="optimizer state m/b"):
        _check_finite(params, "update of", state, "optimizer state")
    params["b"][1] = np.nan
    with pytest.raises(DivergenceError, match="update of b"):
        _check_finite(params, "update of", state, "optimizer state")


@pytest.mark.parametrize("cell,act", CASES)
@pytest.mark.parametrize("layers,trunc", [(1, None), (2, None), (1, (3, 3)), (2, (20, 20))])
def test_one_chain_vanilla_loop_equals_the_general_loop_bit_for_bit(monkeypatch, cell, act, layers, trunc):
    spec, p, x, y, m = make_problem(cell, act, "mse", "random", layers, seed=11, B=3, T=8)
    truncation = Truncation(*trunc) if trunc else None
    fast_g, fast_tr = evaluate(spec, p, x, y, m, "mse", truncation)
    monkeypatch.setattr(bptt, "_SINGLE_CHAIN_LOOP", False)
    g, tr = evaluate(spec, p, x, y, m, "mse", truncation)
    for name in g:
        np.testing.assert_array_equal(fast_g[name], g[name], err_msg=name)
    for l in range(layers):
        np.testing.assert_array_equal(fast_tr[f"dL_dh/{l}"], tr[f"dL_dh/{l}"])
    assert float(fast_tr["grad_norm"]) == float(tr["grad_norm"])


@pytest.mark.parametrize("cell,act,layers,loss", [(c, a, L, lo) for (c, a), L, lo in
                                                  itertools.product(CASES, [1, 2], ["mse", "cross_entropy"])])
def test_metrics_level_with_scratch_caches_equals_the_full_level(monkeypatch, cell, act, layers, loss):
    from rnn_viz.engine import step

    monkeypatch.setattr(step, "_FRESH_MAPPING_BYTES", 0)  # scratch caches at any size
    spec, p, x, y, m = make_problem(cell, act, loss, "random", layers, seed=4, B=3, T=7)
    spec2, p2, x2, y2, m2 = make_problem(cell, act, loss, "every", layers, seed=5, B=3, T=7)
    g_full, tr_full = evaluate(spec, p, x, y, m, loss, level="full")
    g_met, tr_met = evaluate(spec, p, x, y, m, loss, level="metrics")
    evaluate(spec2, p2, x2, y2, m2, loss, level="metrics")  # reuses the scratch caches
    for name in g_full:
        np.testing.assert_array_equal(g_met[name], g_full[name], err_msg=name)
    assert float(tr_met["loss"]) == float(tr_full["loss"])
    assert float(tr_met["grad_norm"]) == float(tr_full["grad_norm"])
    # the full level's arrays do not come from scratch: a later metrics-level call leaves them be
    hidden = tr_full["hidden/0"].copy()
    evaluate(spec2, p2, x2, y2, m2, loss, level="metrics")
    np.testing.assert_array_equal(tr_full["hidden/0"], hidden)
