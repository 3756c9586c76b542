"""The predictions view's sequence choice, units and time axis (pure: no qtbot), then the view itself
on a real file trace."""
from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from rnn_viz.experiment import config as cfgmod
from rnn_viz.experiment.loop import Trainer
from rnn_viz.ui.views.prediction_series import resolve_sequence, sources


def _csv(folder: Path, dates: bool = True, n: int = 400) -> Path:
    values = 20.0 + 5.0 * np.sin(np.arange(n) / 6.0)
    lines = ["date,temperature" if dates else "temperature"]
    for i, v in enumerate(values):
        day = datetime.fromtimestamp(1_600_000_000 + 86_400 * i, tz=timezone.utc).date().isoformat()
        lines.append(f"{day},{v:.4f}" if dates else f"{v:.4f}")
    path = folder / "weather.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _trace(tmp_path: Path, dates: bool = True):
    cfg = cfgmod.config_from_dict({
        "data": {"source": "file", "path": str(_csv(tmp_path, dates)), "seq_len": 20, "batch_size": 4,
                 "val_fraction": 0.25},
        "model": {"cell": "gru", "hidden_size": 5},
        "training": {"seed": 1}}, "test")
    trainer = Trainer(cfg, tmp_path)
    return trainer.evaluate(heavy=True).trace


def test_training_window_in_file_units_against_the_date_column(tmp_path):
    trace = _trace(tmp_path)
    assert sources(trace) == ("training", "validation")
    frame = resolve_sequence(trace, "training", 2)
    std, mean = trace["data/target_std"], trace["data/target_mean"]
    np.testing.assert_allclose(frame.targets, trace["targets"][2] * std + mean)
    np.testing.assert_allclose(frame.predictions, trace["predictions"][2] * std + mean)
    assert 14.9 < frame.targets.min() and frame.targets.max() < 25.1  # degrees, not z-scores
    assert frame.dates and frame.x_name == "date" and frame.units == "file units"
    np.testing.assert_array_equal(frame.x, trace["data/time"][2])
    assert np.all(np.diff(frame.x) == 86_400)  # one row a day, as Unix seconds


def test_validation_windows_come_from_the_val_keys(tmp_path):
    trace = _trace(tmp_path)
    count = trace["val/targets"].shape[0]
    frame = resolve_sequence(trace, "validation", 99)  # clipped to the last window
    assert frame.source == "validation" and frame.index == count - 1 and frame.count == count
    np.testing.assert_array_equal(frame.x, trace["val/time"][count - 1])
    assert frame.x[0] > trace["data/time"].max() - 20 * 86_400  # the held-out end of the series
    np.testing.assert_allclose(frame.predictions,
                               trace["val/predictions"][count - 1] * trace["data/target_std"] + trace["data/target_mean"])


def test_rows_without_a_date_column_and_builtin_tasks(tmp_path):
    frame = resolve_sequence(_trace(tmp_path, dates=False), "training", 0)
    assert not frame.dates and frame.x_name == "row of the file"
    builtin = {"inputs": np.zeros((2, 5, 1)), "targets": np.ones((2, 5, 1)), "predictions": np.ones((2, 5, 1)),
               "loss_mask": np.ones((2, 5), bool)}
    frame = resolve_sequence(builtin, "validation", 1)  # no val/*: the training window
    assert frame.source == "training" and frame.x_name == "time step t" and frame.units == ""
    np.testing.assert_array_equal(frame.x, np.arange(5))


def test_view_offers_validation_and_names_the_axis(qtbot, tmp_path):
    from rnn_viz.ui.state import ViewState
    from rnn_viz.ui.views.predictions import PredictionsView

    trace = _trace(tmp_path)
    view = PredictionsView()
    qtbot.addWidget(view)
    view.resize(700, 450)
    view.show()
    view.render(ViewState(trace=trace, history={}, config={}, sample=1))
    assert not view.sequence.isHidden()
    assert view.plot.getAxis("bottom").labelText == "date"
    assert "sample 1" in view.plot.titleLabel.text and "file units" in view.plot.titleLabel.text
    view.sequence.setCurrentIndex(view.sequence.findData("validation"))
    assert "validation window 1 of" in view.plot.titleLabel.text
    x, y = view.outputs[0].getData()
    np.testing.assert_array_equal(x, trace["val/time"][1])
    np.testing.assert_allclose(y, trace["val/predictions"][1, :, 0] * trace["data/target_std"][0]
                               + trace["data/target_mean"][0])
