"""File > Open sequence's preview: a .txt shows its first lines at a readable width and no stray
widget of the table options; a numeric file plots the input series the model will train on."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtWidgets import QComboBox, QLayout, QWidget

from rnn_viz.data import load_dataset
from rnn_viz.package_data import resource_path
from rnn_viz.ui.preview import TEXT_COLUMNS, SequencePreviewDialog

TEXT = resource_path("text", "lighthouse.txt")
WEATHER = resource_path("samples", "weather_daily.csv")


def _laid_out(layout: QLayout, out: set) -> set:
    for i in range(layout.count()):
        item = layout.itemAt(i)
        if item.widget() is not None:
            out.add(item.widget())
            if item.widget().layout() is not None:
                _laid_out(item.widget().layout(), out)
        elif item.layout() is not None:
            _laid_out(item.layout(), out)
    return out


def _dialog(qtbot, path: Path, data=None):
    dialog = SequencePreviewDialog(path, data or {}, path.parent)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def test_text_preview_shows_whole_first_lines_and_no_stray_widget(qtbot):
    dialog = _dialog(qtbot, TEXT)
    stray = [w for w in dialog.findChildren(QWidget) if w.parentWidget() is dialog and w.isVisibleTo(dialog)
             and w not in _laid_out(dialog.layout(), set())]
    assert stray == [], [(type(w).__name__, w.objectName()) for w in stray]
    assert not any(isinstance(w, QComboBox) and w.currentText() == "interpolate" and w.isVisibleTo(dialog)
                   for w in dialog.findChildren(QComboBox))
    lines = dialog.lines
    assert lines.isVisibleTo(dialog) and not dialog.table.isVisibleTo(dialog)
    assert lines.width() >= lines.fontMetrics().horizontalAdvance("x" * TEXT_COLUMNS)
    first = TEXT.read_text(encoding="utf-8").split("\n")[:3]
    assert lines.toPlainText().split("\n")[:3] == first


def test_the_plot_is_the_series_the_model_trains_on(qtbot):
    dialog = _dialog(qtbot, WEATHER)
    section = dialog.data_section()
    ds = load_dataset(section, WEATHER.parent)
    series = np.asarray(ds.details["series"])[0]  # (T, I)
    assert len(dialog.series_curves) == series.shape[1] == 2
    for k, curve in enumerate(dialog.series_curves):
        x, y = curve.getOriginalDataset()
        np.testing.assert_array_equal(y, series[:, k])
        np.testing.assert_array_equal(x, np.arange(series.shape[0]))
    # a training window is a stretch of the plotted series (what the engine gets is what is drawn)
    window = ds.sample(np.random.default_rng(0), 1).inputs[0]  # (T_window, I)
    starts = [s for s in range(series.shape[0] - window.shape[0] + 1)
              if np.allclose(series[s:s + window.shape[0]], window)]
    assert starts and starts[0] + window.shape[0] <= ds.details["train_size"]
    assert dialog.split_line.isVisible() and dialog.split_line.value() == ds.details["train_size"]


def test_the_plot_follows_the_chosen_columns(qtbot):
    dialog = _dialog(qtbot, WEATHER)
    for i in range(dialog.inputs.count()):
        if dialog.inputs.item(i).text() == "humidity_pct":
            dialog.inputs.item(i).setCheckState(dialog.inputs.item(i).checkState().Checked)
    assert len(dialog.series_curves) == 1
    _, y = dialog.series_curves[0].getOriginalDataset()
    ds = load_dataset(dialog.data_section(), WEATHER.parent)
    np.testing.assert_array_equal(y, np.asarray(ds.details["series"])[0][:, 0])
    assert ds.input_names == ("humidity_pct",)
