"""data/* and val/* trace keys of file sources: each window's rows, times and the z-score to undo."""
from __future__ import annotations

from datetime import datetime, timezone

import numpy as np

from rnn_viz.data import load_dataset
from rnn_viz.data.window_keys import MAX_VAL_TRACE, validation_batch, window_keys


def _csv(tmp_path, n=120, dates=True, missing_row=None):
    lines = ["date,a,b" if dates else "a,b"]
    for i in range(n):
        a = "" if i == missing_row else f"{np.sin(i / 5):.6f}"
        day = datetime.fromtimestamp(1_700_000_000 + 86400 * i, tz=timezone.utc).date().isoformat()
        lines.append((f"{day}," if dates else "") + f"{a},{i * 0.1:.3f}")
    path = tmp_path / "s.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def _series(path):
    """The file's cells, read independently of the data layer."""
    return [line.split(",") for line in path.read_text().splitlines()[1:]]


def test_each_window_knows_its_rows_time_and_how_to_undo_the_zscore(tmp_path):
    path = _csv(tmp_path)
    ds = load_dataset({"source": "file", "path": str(path), "seq_len": 10, "val_fraction": 0.25})
    batch = ds.sample(np.random.default_rng(0), 6)
    keys = window_keys(ds, batch)
    raw = np.array([[float(r[1]), float(r[2])] for r in _series(path)])
    for b in range(6):
        r0 = int(keys["data/row_start"][b])
        window = raw[r0 : r0 + 10]
        undone = batch.inputs[b] * keys["data/input_std"] + keys["data/input_mean"]
        np.testing.assert_allclose(undone, window, rtol=0, atol=1e-12)
        np.testing.assert_allclose(batch.targets[b] * keys["data/target_std"] + keys["data/target_mean"],
                                   raw[r0 + 1 : r0 + 11], atol=1e-12)
        expected = 1_700_000_000 + 86400 * (r0 + np.arange(10))
        expected = expected - expected % 86400  # the file holds dates: midnight UTC
        np.testing.assert_array_equal(keys["data/time"][b], expected.astype(np.float64))
    assert str(keys["data/time_name"]) == "date" and keys["data/row_start"].dtype == np.int64
    assert int(keys["data/row_start"].max()) + 10 + 1 <= 90  # training windows stay in the first 90 rows

    val = validation_batch(ds)
    assert val is not None and val.batch_size <= MAX_VAL_TRACE
    assert val.row_start.min() >= 90  # the held-out last quarter
    np.testing.assert_allclose(val.inputs[0] * keys["data/input_std"] + keys["data/input_mean"],
                               raw[val.row_start[0] : val.row_start[0] + 10], atol=1e-12)


def test_without_dates_time_is_the_file_row_and_without_normalize_the_stats_are_0_and_1(tmp_path):
    path = _csv(tmp_path, dates=False)
    ds = load_dataset({"source": "file", "path": str(path), "seq_len": 8, "normalize": False})
    batch = ds.sample(np.random.default_rng(1), 3)
    keys = window_keys(ds, batch)
    assert str(keys["data/time_name"]) == "row"
    np.testing.assert_array_equal(keys["data/input_mean"], [0, 0])
    np.testing.assert_array_equal(keys["data/target_std"], [1, 1])
    # file rows count the header as row 1, so the first data row is row 2
    np.testing.assert_array_equal(keys["data/time"][:, 0], keys["data/row_start"] + 2)


def test_rows_count_after_missing_values_are_dropped(tmp_path):
    path = _csv(tmp_path, dates=False, missing_row=5)
    ds = load_dataset({"source": "file", "path": str(path), "seq_len": 8, "missing": "drop", "val_fraction": 0})
    keys = window_keys(ds, ds.sample(np.random.default_rng(2), 40))
    late = keys["data/row_start"] >= 5
    # after the dropped row the loaded series is one row shorter than the file
    np.testing.assert_array_equal(keys["data/time"][late, 0], keys["data/row_start"][late] + 3)


def test_ready_made_sequences_name_their_sequence_and_step(tmp_path):
    path = tmp_path / "seqs.npy"
    np.save(path, np.random.default_rng(0).normal(size=(10, 12, 2)))
    ds = load_dataset({"source": "file", "path": str(path), "seq_len": 5, "val_fraction": 0.2})
    batch = ds.sample(np.random.default_rng(3), 4)
    keys = window_keys(ds, batch)
    assert keys["data/sequence"].max() < 8 and str(keys["data/time_name"]) == "step"
    np.testing.assert_array_equal(keys["data/time"], keys["data/row_start"][:, None] + np.arange(5.0))
    assert keys["data/row_start"].max() <= 12 - 5 - 1
    assert validation_batch(ds).sequence.min() >= 8


def test_built_in_tasks_have_no_data_keys():
    ds = load_dataset({"source": "sine"})
    assert window_keys(ds, ds.sample(np.random.default_rng(0), 2)) == {} and validation_batch(ds) is None
