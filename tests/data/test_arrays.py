""".npy and .npz: long series, ready-made sequences, explicit inputs/targets/mask."""
import io
import math

import numpy as np
import pytest

from rnn_viz.data import DataError


def _npy(arr):
    buf = io.BytesIO()
    np.save(buf, arr)
    return buf.getvalue()


def _npz(**arrays):
    buf = io.BytesIO()
    np.savez_compressed(buf, **arrays)
    return buf.getvalue()


def test_1d_npy_is_one_long_series(load_file):
    ds = load_file("s.npy", _npy(np.sin(np.arange(100) / 5)), seq_len=10, val_fraction=0.2)
    assert ds.input_size == ds.output_size == 1 and ds.input_names == ("0",)
    assert ds.details["train_size"] == 80 and ds.validation.inputs.shape == (1, 10, 1)


def test_2d_npy_is_steps_by_features_and_integer_arrays_count_as_numbers(load_file):
    arr = (np.arange(120).reshape(60, 2) % 7).astype(np.int16)
    ds = load_file("s.npy", _npy(arr), seq_len=4, inputs=[1], targets=[0], normalize=False)
    b = ds.sample(np.random.default_rng(0), 5)
    assert b.inputs.shape == (5, 4, 1) and b.targets.shape == (5, 4, 1) and b.inputs.dtype == np.float64


def test_fortran_order_and_big_endian_are_read_correctly(load_file):
    arr = np.asfortranarray(np.arange(60, dtype=">f8").reshape(30, 2))
    ds = load_file("f.npy", _npy(arr), seq_len=29, val_fraction=0, normalize=False)
    b = ds.sample(np.random.default_rng(0), 1)
    np.testing.assert_array_equal(b.inputs[0], np.arange(58.0).reshape(29, 2))


def test_nan_in_an_array_is_a_missing_value(load_file):
    arr = np.arange(30.0)
    arr[[4, 5]] = np.nan
    ds = load_file("n.npy", _npy(arr), seq_len=5, val_fraction=0)
    assert "missing values: 2 (column 0: 2 (steps 4-5)), filled by linear interpolation" in ds.summary


def test_3d_npy_is_ready_made_sequences_split_by_sequence(load_file):
    arr = np.random.default_rng(0).normal(size=(10, 12, 3))
    ds = load_file("q.npy", _npy(arr), seq_len=6, val_fraction=0.2)
    assert ds.details["train_size"] == 8 and ds.details["val_size"] == 2
    assert ds.validation.inputs.shape == (2, 6, 3)  # one non-overlapping window of 6 + 1 per sequence
    b = ds.sample(np.random.default_rng(0), 4)
    np.testing.assert_allclose(b.targets[:, :-1], b.inputs[:, 1:])
    assert "10 sequences of 12 steps" in ds.summary


def test_npz_with_a_single_array_is_that_array(load_file):
    ds = load_file("one.npz", _npz(whatever=np.arange(50.0) % 7), seq_len=5)
    assert ds.input_size == 1


def test_npz_inputs_and_class_targets_with_a_mask(load_file):
    rng = np.random.default_rng(0)
    inputs = rng.normal(size=(20, 8, 2))
    targets = rng.integers(0, 3, size=(20, 8))
    mask = np.zeros((20, 8), dtype=bool)
    mask[:, -1] = True
    ds = load_file("c.npz", _npz(inputs=inputs, targets=targets, mask=mask), seq_len=8, val_fraction=0.25)
    assert ds.loss == "cross_entropy" and ds.output_size == 3 and ds.input_size == 2
    b = ds.sample(np.random.default_rng(0), 6)
    assert b.targets.dtype == np.int64 and b.targets.shape == (6, 8)
    assert not b.mask[:, :-1].any() and b.mask[:, -1].all()
    counts = np.bincount(targets[:15, -1], minlength=3) / 15
    assert ds.chance_accuracy == pytest.approx(counts.max())
    assert ds.chance_loss == pytest.approx(-sum(p * math.log(p) for p in counts if p))
    assert ds.validation.inputs.shape == (5, 8, 2)


def test_npz_windows_without_a_loss_step_are_never_drawn(load_file):
    rng = np.random.default_rng(0)
    mask = np.zeros((4, 20), dtype=bool)
    mask[:, 19] = True
    ds = load_file("w.npz", _npz(inputs=rng.normal(size=(4, 20)), targets=rng.normal(size=(4, 20)), mask=mask),
                   seq_len=5, val_fraction=0)
    b = ds.sample(np.random.default_rng(1), 50)
    assert b.mask[:, -1].all() and b.mask.sum() == 50
    assert ds.loss == "mse" and ds.output_size == 1


def test_npz_float_targets_are_regression_and_normalised(load_file):
    rng = np.random.default_rng(0)
    ds = load_file("r.npz", _npz(inputs=rng.normal(size=(6, 10, 2)), targets=5 + 3 * rng.normal(size=(6, 10, 1))),
                   seq_len=10, val_fraction=0)
    assert ds.loss == "mse" and abs(ds.details["target_mean"][0] - 5) < 1.0
    assert ds.chance_loss == pytest.approx(1.0)


def test_npz_explicit_targets_do_not_take_column_choices(load_file):
    rng = np.random.default_rng(0)
    with pytest.raises(DataError, match=r"data\.inputs/data\.targets choose columns, but e\.npz gives inputs and targets"):
        load_file("e.npz", _npz(inputs=rng.normal(size=(3, 6)), targets=rng.normal(size=(3, 6))), inputs=[0])


def test_npz_bad_shapes_and_values(load_file):
    rng = np.random.default_rng(0)
    x = rng.normal(size=(4, 6, 2))
    with pytest.raises(DataError, match=r"e\.npz\[targets\]: expected shape \(4, 6\) \(class indices\) or \(4, 6, outputs\)"):
        load_file("e.npz", _npz(inputs=x, targets=np.zeros((5, 6))))
    with pytest.raises(DataError, match=r"e\.npz\[targets\]: class indices must be 0 or more, found -1"):
        load_file("e.npz", _npz(inputs=x, targets=-np.ones((4, 6), dtype=int)))
    with pytest.raises(DataError, match=r"e\.npz\[mask\]: is False everywhere"):
        load_file("e.npz", _npz(inputs=x, targets=np.zeros((4, 6), dtype=int), mask=np.zeros((4, 6), bool)))
    t = np.zeros((4, 6))
    t[2, 3] = np.nan
    with pytest.raises(DataError, match=r"e\.npz\[targets\]: holds 1 missing \(NaN\) values"):
        load_file("e.npz", _npz(inputs=x, targets=t))
    with pytest.raises(DataError, match=r"several arrays \(a, b\); expected a single array, or one named inputs"):
        load_file("e.npz", _npz(a=np.zeros(3), b=np.zeros(3)))
    with pytest.raises(DataError, match=r"has a mask but no targets"):
        load_file("e.npz", _npz(inputs=x, mask=np.ones((4, 6), bool)))


def test_npy_of_text_or_complex_numbers_is_refused(load_file):
    with pytest.raises(DataError, match=r"s\.npy: holds text; only arrays of numbers"):
        load_file("s.npy", _npy(np.array(["a", "b"])))
    with pytest.raises(DataError, match=r"c\.npy: holds complex numbers"):
        load_file("c.npy", _npy(np.ones(20, complex)))


def test_infinite_values_are_refused(load_file):
    with pytest.raises(DataError, match=r"i\.npy: holds infinite values"):
        load_file("i.npy", _npy(np.array([1.0, np.inf] * 10)))


def test_values_too_extreme_to_compute_with(load_file):
    huge = np.array([1e300, -1e300, 5e299, 2e300] * 5)
    for normalize in (True, False):
        with pytest.raises(DataError, match=r"^x\.npy: values are too extreme to compute with"):
            load_file("x.npy", _npy(huge), normalize=normalize)


def test_truncated_npy_and_corrupt_npz(load_file):
    data = _npy(np.arange(20.0))
    with pytest.raises(DataError, match=r"t\.npy: truncated: its header announces 160 bytes of data"):
        load_file("t.npy", data[:-9])
    z = bytearray(_npz(x=np.arange(200.0)))
    z[60:70] = b"\xff" * 10
    with pytest.raises(DataError, match=r"z\.npz: not a valid \.npz"):
        load_file("z.npz", bytes(z))
    with pytest.raises(DataError, match=r"n\.npz: not a valid \.npz \(zip\) file"):
        load_file("n.npz", b"just some bytes")
