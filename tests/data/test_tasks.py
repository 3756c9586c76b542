"""Synthetic tasks: shapes, masks, determinism, the structure of each task, and its stated chance level."""
import math

import numpy as np
import pytest

from rnn_viz.data import Batch, Dataset, DataError, load_dataset

TASKS = ["sine", "adding", "copy", "temporal_order", "impulse", "flip_flop"]


def _load(source, **keys):
    return load_dataset({"source": source, **keys}, None, seed=0)


def _masked_mse(pred, b: Batch):
    return float(((pred - b.targets) ** 2).sum(-1)[b.mask].sum() / (b.mask.sum() * b.targets.shape[-1]))


def _masked_ce(probs, b: Batch):
    p = np.broadcast_to(probs, b.mask.shape + probs.shape[-1:])
    picked = np.take_along_axis(p, b.targets[..., None], -1)[..., 0]
    return float(-np.log(picked)[b.mask].mean())


@pytest.mark.parametrize("source", TASKS)
def test_batch_shapes_and_dtypes(source):
    ds = _load(source)
    assert isinstance(ds, Dataset)
    b = ds.sample(np.random.default_rng(1), 7)
    T = ds.seq_len
    assert b.inputs.shape == (7, T, ds.input_size) and b.inputs.dtype == np.float64
    assert b.mask.shape == (7, T) and b.mask.dtype == bool
    if ds.loss == "cross_entropy":
        assert b.targets.shape == (7, T) and b.targets.dtype == np.int64
        assert b.targets.min() >= 0 and b.targets.max() < ds.output_size
        assert ds.vocab is not None and len(ds.vocab) == ds.output_size
        assert 0 < ds.chance_accuracy < 1
    else:
        assert b.targets.shape == (7, T, ds.output_size) and b.targets.dtype == np.float64
        assert ds.chance_accuracy is None
    assert ds.allowed_losses[0] == ds.loss
    assert ds.summary.count("\n") >= 2 and "chance" in ds.summary
    assert len(ds.input_names) == ds.input_size


@pytest.mark.parametrize("source", TASKS)
def test_same_generator_same_batch_and_fresh_draws_differ(source):
    ds = _load(source)
    a = ds.sample(np.random.default_rng(5), 4)
    b = ds.sample(np.random.default_rng(5), 4)
    rng = np.random.default_rng(5)
    first, second = ds.sample(rng, 4), ds.sample(rng, 4)
    for x, y in zip((a.inputs, a.targets, a.mask), (b.inputs, b.targets, b.mask)):
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(first.inputs, second.inputs)


@pytest.mark.parametrize("source", TASKS)
def test_validation_is_fixed_by_the_seed_and_read_only(source):
    v1 = _load(source).validation
    v2 = load_dataset({"source": source}, None, seed=0).validation
    v3 = load_dataset({"source": source}, None, seed=1).validation
    assert v1.inputs.shape[0] == 256
    np.testing.assert_array_equal(v1.inputs, v2.inputs)
    assert not np.array_equal(v1.inputs, v3.inputs)
    with pytest.raises(ValueError):
        v1.inputs[0, 0, 0] = 1.0
    assert _load(source, val_size=0).validation is None


def test_sample_refuses_a_bad_batch_size():
    with pytest.raises(DataError, match="batch size"):
        _load("sine").sample(np.random.default_rng(0), 0)


# ------------------------------------------------------------------ sine
def test_sine_is_next_step_forecasting_with_loss_on_every_step():
    ds = _load("sine")
    b = ds.sample(np.random.default_rng(0), 3)
    assert ds.seq_len == 50 and b.mask.all()
    np.testing.assert_array_equal(b.targets[:, :-1, 0], b.inputs[:, 1:, 0])


def test_sine_chance_is_the_mse_of_predicting_zero():
    ds = _load("sine", noise=0.2, components=3)
    b = ds.sample(np.random.default_rng(0), 4000)
    assert ds.chance_loss == pytest.approx(0.875 / 3 + 0.04)
    assert _masked_mse(np.zeros_like(b.targets), b) == pytest.approx(ds.chance_loss, rel=0.02)


# ------------------------------------------------------------------ adding
def test_adding_has_one_marker_in_each_half_and_the_sum_at_the_last_step():
    ds = _load("adding", seq_len=100)
    b = ds.sample(np.random.default_rng(0), 64)
    values, markers = b.inputs[..., 0], b.inputs[..., 1]
    assert ((values >= 0) & (values <= 1)).all()
    assert (markers[:, :50].sum(1) == 1).all() and (markers[:, 50:].sum(1) == 1).all()
    np.testing.assert_allclose(b.targets[:, -1, 0], (values * markers).sum(1))
    assert b.mask[:, -1].all() and b.mask.sum() == 64


def test_adding_chance_is_about_0167_for_always_predicting_one():
    ds = _load("adding", seq_len=20)
    assert ds.chance_loss == pytest.approx(1 / 6)
    b = ds.sample(np.random.default_rng(0), 20000)
    assert _masked_mse(np.ones_like(b.targets), b) == pytest.approx(1 / 6, rel=0.03)


# ------------------------------------------------------------------ copy
def test_copy_layout_string_delay_then_recall():
    ds = _load("copy", length=4, delay=50, alphabet=6)
    assert ds.seq_len == 58 and ds.input_size == 8 and ds.output_size == 6
    assert ds.vocab == ("A", "B", "C", "D", "E", "F")
    assert ds.input_names[-2:] == ("blank", "go")
    b = ds.sample(np.random.default_rng(0), 16)
    assert (b.inputs.sum(-1) == 1).all(), "one-hot inputs"
    symbols = b.inputs[:, :4, :6].argmax(-1)
    assert (b.inputs[:, 4:54, 6] == 1).all(), "the delay is blank"
    assert (b.inputs[:, 54:, 7] == 1).all(), "the recall phase shows the go cue"
    np.testing.assert_array_equal(b.targets[:, 54:], symbols)
    assert not b.mask[:, :54].any() and b.mask[:, 54:].all()


def test_copy_chance_is_a_uniform_guess():
    ds = _load("copy", alphabet=8)
    assert ds.chance_loss == pytest.approx(math.log(8)) and ds.chance_accuracy == pytest.approx(1 / 8)
    b = ds.sample(np.random.default_rng(0), 4000)
    assert _masked_ce(np.full(8, 1 / 8), b) == pytest.approx(ds.chance_loss)
    freq = np.bincount(b.targets[b.mask], minlength=8) / b.mask.sum()
    assert freq.max() == pytest.approx(1 / 8, abs=0.01)


# ------------------------------------------------------------------ temporal order
def test_temporal_order_class_is_the_order_of_the_two_symbols():
    ds = _load("temporal_order", seq_len=60, distractors=3)
    b = ds.sample(np.random.default_rng(0), 200)
    channel = b.inputs.argmax(-1)
    assert (b.inputs.sum(-1) == 1).all()
    relevant = channel < 2
    assert (relevant.sum(1) == 2).all()
    assert relevant[:, 6:12].sum(1).tolist() == [1] * 200 and relevant[:, 30:36].sum(1).tolist() == [1] * 200
    first, second = channel[:, 6:12][relevant[:, 6:12]], channel[:, 30:36][relevant[:, 30:36]]
    np.testing.assert_array_equal(b.targets[:, -1], 2 * first + second)
    assert ds.vocab == ("XX", "XY", "YX", "YY")
    assert not b.mask[:, :-1].any() and b.mask[:, -1].all()


def test_temporal_order_chance_is_25_percent():
    ds = _load("temporal_order")
    assert ds.chance_accuracy == 0.25 and ds.chance_loss == pytest.approx(math.log(4))
    b = ds.sample(np.random.default_rng(0), 8000)
    freq = np.bincount(b.targets[:, -1], minlength=4) / 8000
    np.testing.assert_allclose(freq, 0.25, atol=0.02)


# ------------------------------------------------------------------ impulse
def test_impulse_is_one_kick_then_silence_and_the_target_holds_it():
    ds = _load("impulse", seq_len=30)
    b = ds.sample(np.random.default_rng(3), 500)
    x0 = b.inputs[:, 0, 0]
    assert np.all(b.inputs[:, 1:] == 0) and np.all(x0 != 0)
    assert np.array_equal(b.targets[..., 0], np.repeat(x0[:, None], 30, axis=1))
    assert b.mask.all()
    # x_0 ~ N(0, 1): the chance mse (predict 0) is E[x_0^2] = 1
    assert ds.chance_loss == 1.0
    assert abs(x0.mean()) < 0.15 and abs((x0 * x0).mean() - 1.0) < 0.15


# ------------------------------------------------------------------ flip-flop
def test_flip_flop_output_holds_the_sign_of_the_last_pulse_per_channel():
    ds = _load("flip_flop", seq_len=60, bits=3, pulse_probability=0.1)
    b = ds.sample(np.random.default_rng(4), 20)
    assert set(np.unique(b.inputs)) <= {-1.0, 0.0, 1.0}
    for i in range(20):
        for c in range(3):
            held = 0.0
            for t in range(60):
                if b.inputs[i, t, c] != 0:
                    held = b.inputs[i, t, c]
                assert b.targets[i, t, c] == held, (i, t, c)
    assert b.mask.all() and ds.input_size == ds.output_size == 3


def test_flip_flop_pulse_rate_and_chance_level():
    p, T = 0.05, 100
    ds = _load("flip_flop", seq_len=T, bits=3, pulse_probability=p)
    b = ds.sample(np.random.default_rng(5), 2000)
    assert abs((b.inputs != 0).mean() - p) < 0.003
    # chance is the mse of predicting 0 = the fraction of steps after a channel's first pulse
    assert abs((b.targets**2).mean() - ds.chance_loss) < 0.01
    assert ds.chance_loss == pytest.approx(np.mean(1 - (1 - p) ** np.arange(1, T + 1)))


def test_flip_flop_bad_keys_name_themselves():
    # the one message style of every setting (state, #8): "data.<key> = <value> is not allowed; allowed: ..."
    with pytest.raises(DataError, match=r"data\.pulse_probability = 1\.5 is not allowed; allowed: a number from 0.0 to 1.0"):
        _load("flip_flop", pulse_probability=1.5)
    with pytest.raises(DataError, match=r"data\.bits = 0 is not allowed; allowed: .*1 to 16"):
        _load("flip_flop", bits=0)
