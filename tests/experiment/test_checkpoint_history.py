"""Checkpoints carry the training history (history/step, history/<metrics column>): decimated by the
curves' own rule, bounded when read, continued by a resume; an older checkpoint without it loads."""
from __future__ import annotations

import numpy as np
import pytest

from rnn_viz.experiment.io import RunFileError, load_checkpoint, save_checkpoint
from rnn_viz.experiment.loop import Trainer
from rnn_viz.experiment.metrics_history import (
    MAX_HISTORY_ROWS, MetricsHistory, decimate, decimation_stride, history_arrays, history_from_checkpoint,
    is_metric_column, metric_columns, restore_history, with_history,
)
from rnn_viz.experiment import config as cfgmod


def _rows(n: int, start: int = 0):
    return [{"step": i + 1, "loss": 1.0 / (i + 1), "val_loss": float("nan") if i % 3 else 0.5 * i}
            for i in range(start, n)]


def _columns(n: int) -> dict[str, np.ndarray]:
    rows = _rows(n)
    return {k: np.array([r[k] for r in rows], dtype=np.float64) for k in ("step", "loss", "val_loss")}


@pytest.mark.parametrize("capacity", [4, 5, 8, 13])
def test_the_incremental_history_keeps_the_rows_the_rule_keeps(capacity):
    for n in range(0, 9 * capacity):
        h = MetricsHistory(capacity=capacity)
        h.extend(_rows(n))
        kept = decimate(_columns(n), capacity)
        got = h.columns()
        for key in kept:
            np.testing.assert_array_equal(got.get(key, np.zeros(0)), kept[key], err_msg=f"n={n} {key}")
        assert len(h) <= capacity and h.stride == decimation_stride(n, capacity)


def test_decimation_stride_is_the_smallest_power_of_two_that_fits():
    assert [decimation_stride(n, 10) for n in (0, 10, 11, 20, 21, 40, 41)] == [1, 1, 2, 2, 4, 4, 8]
    with pytest.raises(ValueError):
        decimation_stride(5, 0)


@pytest.mark.parametrize("capacity, first, total", [(8, 5, 40), (8, 17, 61), (5, 1, 3), (16, 16, 16)])
def test_a_restored_history_goes_on_as_if_never_interrupted(capacity, first, total):
    whole = MetricsHistory(capacity)
    whole.extend(_rows(total))
    before = MetricsHistory(capacity)
    before.extend(_rows(first))
    resumed = MetricsHistory(capacity)
    resumed.restore(before.columns(), rows_seen=first)
    resumed.extend(_rows(total, start=first))
    for key, values in whole.columns().items():
        np.testing.assert_array_equal(resumed.columns()[key], values, err_msg=key)
    assert resumed.rows_seen == total


def test_history_arrays_hold_known_columns_in_metrics_order_and_at_most_the_bound():
    n = 3 * MAX_HISTORY_ROWS + 7
    columns = {"loss": np.linspace(1, 0, n), "step": np.arange(1, n + 1, dtype=float), "foreign": np.zeros(n)}
    arrays = history_arrays(columns, ["step", "loss", "grad_norm"])
    assert list(arrays) == ["history/step", "history/loss"]  # the order of metric_columns, known only
    assert arrays["history/step"].dtype == np.int64 and arrays["history/loss"].dtype == np.float64
    assert len(arrays["history/step"]) <= MAX_HISTORY_ROWS
    stride = decimation_stride(n, MAX_HISTORY_ROWS)
    np.testing.assert_array_equal(arrays["history/step"], np.arange(1, n + 1)[::stride])
    assert history_arrays({"loss": np.ones(3)}, ["step", "loss"]) == {}  # no step: no history


def test_metric_columns_are_the_documented_order():
    assert metric_columns(2, True, True, True) == [
        "step", "loss", "grad_norm", "step_seconds", "learning_rate", "sigma_max/0", "sigma_max/1",
        "rho/0", "rho/1", "accuracy", "val_loss", "val_accuracy"]
    assert metric_columns(1, False, False, False) == ["step", "loss", "grad_norm", "step_seconds",
                                                      "learning_rate", "sigma_max/0"]
    assert is_metric_column("rho/3") and not is_metric_column("rho/4") and not is_metric_column("param/Whh.0")


@pytest.fixture
def trainer():
    cfg = cfgmod.config_from_dict({"data": {"source": "sine", "seq_len": 8, "batch_size": 2, "val_size": 4},
                                   "model": {"cell": "rnn", "hidden_size": 4},
                                   "training": {"val_every": 2}}, "test")
    return Trainer(cfg)


def _trained(trainer, steps: int) -> MetricsHistory:
    history = MetricsHistory(capacity=MAX_HISTORY_ROWS)
    for _ in range(steps):
        history.append(trainer.step().metrics)
    return history


def test_a_checkpoint_round_trips_its_history(tmp_path, trainer):
    history = _trained(trainer, 5)
    path = tmp_path / "c.npz"
    save_checkpoint(path, with_history(trainer, history))
    arrays = load_checkpoint(path)
    assert arrays["history/step"].tolist() == [1, 2, 3, 4, 5]
    restored = history_from_checkpoint(arrays, trainer.metric_columns())
    assert list(restored) == trainer.metric_columns()
    for key, values in history.columns().items():
        np.testing.assert_array_equal(restored[key], values, err_msg=key)
    again = MetricsHistory()
    assert restore_history(again, arrays, trainer) == ""
    np.testing.assert_array_equal(again.columns()["loss"], history.columns()["loss"])


def test_an_older_checkpoint_without_history_loads_and_says_so(tmp_path, trainer):
    _trained(trainer, 3)
    path = tmp_path / "old.npz"
    save_checkpoint(path, trainer.checkpoint())  # what rnn-viz wrote before checkpoints had history
    arrays = load_checkpoint(path)
    assert not any(k.startswith("history/") for k in arrays)
    assert history_from_checkpoint(arrays, trainer.metric_columns()) is None
    history = MetricsHistory()
    note = restore_history(history, arrays, trainer)
    assert "no history" in note and "1-3" in note and len(history) == 0
    assert Trainer.from_checkpoint(arrays).step_count == 3


def _saved(tmp_path, trainer, **history) -> str:
    arrays = trainer.checkpoint()
    arrays.update(history)
    path = tmp_path / "h.npz"
    save_checkpoint(path, arrays)
    return path


@pytest.mark.parametrize("history, message", [
    ({"history/step": np.arange(MAX_HISTORY_ROWS + 1, dtype=np.int64),
      "history/loss": np.zeros(MAX_HISTORY_ROWS + 1)}, "allowed"),
    ({"history/step": np.arange(1, 4, dtype=np.int64), "history/loss": np.zeros(4)}, "history/loss"),
    ({"history/loss": np.zeros(4)}, "without 'history/step'"),
    ({"history/step": np.arange(4, dtype=np.float64)}, "history/step"),
    ({"history/step": np.arange(4, dtype=np.int64) - 2}, "history/step"),
    ({"history/step": np.zeros((2, 2), dtype=np.int64)}, "history/step"),
    ({"history/step": np.arange(3, dtype=np.int64), "history/loss": np.array(["a", "b", "c"])}, "history/loss"),
])
def test_the_reader_bounds_the_history(tmp_path, trainer, history, message):
    path = _saved(tmp_path, trainer, **history)
    with pytest.raises(RunFileError, match=message):
        load_checkpoint(path)


def test_float32_history_cannot_smuggle_more_rows(tmp_path, trainer):
    n = MAX_HISTORY_ROWS + 5  # fits the byte bound in float32, not the row bound
    path = _saved(tmp_path, trainer, **{"history/step": np.arange(n, dtype=np.int32),
                                        "history/loss": np.zeros(n, dtype=np.float32)})
    with pytest.raises(RunFileError, match=f"at most {MAX_HISTORY_ROWS}"):
        load_checkpoint(path)


def test_unknown_history_columns_are_never_read(tmp_path, trainer):
    path = _saved(tmp_path, trainer, **{"history/step": np.arange(1, 3, dtype=np.int64),
                                        "history/rogue": np.zeros(10**6), "history/param/Whh.0": np.zeros(2)})
    arrays = load_checkpoint(path)
    assert "history/rogue" not in arrays and "history/param/Whh.0" not in arrays
    assert arrays["history/step"].tolist() == [1, 2]
