"""Files from the window: sequences (preview, good and bad, drag and drop), experiments (open, save,
unsaved changes, recent files), checkpoints that resume exactly, and QSettings."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDropEvent
from PySide6.QtWidgets import QMessageBox

from rnn_viz.experiment import config as cfgmod
from rnn_viz.ui import files
from rnn_viz.ui.preview import SequencePreviewDialog
from tests.ui.app_fixtures import make_window, small_config, step


@pytest.fixture
def window(qtbot, tmp_path):
    return make_window(qtbot, tmp_path)


def _series_csv(path: Path, n: int = 120) -> Path:
    t = np.arange(n)
    lines = ["date,temp,load,label"]
    for i in t:
        lines.append(f"2024-01-{1 + i % 28:02d},{np.sin(i / 5):.5f},{np.cos(i / 7):.5f},x{i}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _error_text(window) -> str:
    box = window.findChild(QMessageBox, "ErrorDialog")
    assert box is not None, "no error dialog shown"
    return box.text()


def test_open_good_sequence_previews_then_trains_on_it(qtbot, window, tmp_path):
    path = _series_csv(tmp_path / "weather.csv")
    window.prompts.preview_edit = lambda s: {**s, "inputs": ["temp", "load"], "targets": ["temp"], "seq_len": 20}
    assert window.files.open_sequence(path)
    ds = window.controller.dataset
    assert (ds.input_size, ds.output_size) == (2, 1)
    assert window.controller.config.data["source"] == "file"
    assert window.controller.record.trace["inputs"].shape[1:] == (20, 2)
    assert window.panel.widget("data", "path").text() == str(path)
    step(qtbot, window)
    assert window.controller.trainer.step_count == 1


def test_preview_dialog_shows_summary_and_offers_numeric_columns(qtbot, tmp_path):
    path = _series_csv(tmp_path / "weather.csv")
    dialog = SequencePreviewDialog(path, {"source": "sine", "batch_size": 8}, tmp_path)
    qtbot.addWidget(dialog)
    assert "weather.csv" in dialog.summary.toPlainText()
    names = [dialog.inputs.item(i).text() for i in range(dialog.inputs.count())]
    assert names == ["date", "temp", "load", "label"]
    enabled = [bool(dialog.inputs.item(i).flags() & Qt.ItemFlag.ItemIsEnabled) for i in range(len(names))]
    assert enabled == [False, True, True, False]  # the date and text columns cannot be inputs
    dialog.inputs.item(2).setCheckState(Qt.CheckState.Checked)
    section = dialog.data_section()
    assert section["inputs"] == ["load"] and section["batch_size"] == 8 and section["path"] == str(path)
    # A choice that cannot train says why and disables OK instead of failing later.
    dialog.seq_len.setValue(500)
    assert dialog.error.isVisibleTo(dialog) and "seq_len" in dialog.error.text()


@pytest.mark.parametrize("content, expected", [
    ("a,b\n1,2\n3,oops\n4,5\n", "oops"),
    ("", "empty"),
])
def test_bad_sequence_is_explained_and_the_app_keeps_its_state(qtbot, window, tmp_path, content, expected):
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    trainer, config = window.controller.trainer, window.controller.config
    assert not window.files.open_sequence(path)
    text = _error_text(window)
    assert "bad.csv" in text and expected in text.lower()
    assert window.controller.trainer is trainer and window.controller.config is config
    step(qtbot, window)  # still trains on what it had


def test_unsupported_file_type_is_refused(window, tmp_path):
    path = tmp_path / "notes.docx"
    path.write_bytes(b"PK\x03\x04")
    assert not window.files.open_sequence(path)
    assert ".csv" in _error_text(window)


def test_drag_and_drop_opens_the_preview(qtbot, window, tmp_path):
    path = _series_csv(tmp_path / "dropped.csv")
    window.prompts.preview_edit = lambda s: {**s, "inputs": ["temp"], "targets": ["temp"], "seq_len": 16}
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(path))])
    assert files.dropped_path(mime) == path
    event = QDropEvent(QPoint(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                       Qt.KeyboardModifier.NoModifier)
    window.dropEvent(event)
    qtbot.waitUntil(lambda: window.controller.config.data["source"] == "file")
    assert ("preview", "dropped.csv") in window.prompts.asked
    other = QMimeData()
    other.setUrls([QUrl.fromLocalFile(str(tmp_path / "picture.png"))])
    assert files.dropped_path(other) is None


def test_save_and_open_experiment_round_trip_with_unsaved_prompt(qtbot, window, tmp_path):
    assert not window.is_dirty()
    window.panel.widget("model", "hidden_size").setValue(7)
    assert window.is_dirty() and window.isWindowModified()
    target = tmp_path / "mine.toml"
    window.prompts.save_answer = target
    assert window.files.save_experiment()
    assert not window.is_dirty() and window.experiment_path == target
    assert cfgmod.load_config(target).model.hidden_size == 7

    window.panel.widget("training", "seed").setValue(11)
    window.prompts.unsaved_answer = "cancel"
    assert not window.files.open_experiment(target)
    assert ("unsaved", "opening another experiment") in window.prompts.asked
    window.prompts.unsaved_answer = "discard"
    assert window.files.open_experiment(target)
    assert window.controller.config.training.seed == 3 and window.controller.trainer.spec.hidden_size == 7
    assert window.app_settings.recent_files()[0] == target.resolve()
    assert window.menus["recent"].actions()[0].objectName() == "RecentFile0"


def test_quit_with_unsaved_changes_asks_and_can_be_cancelled(qtbot, window):
    window.panel.widget("training", "seed").setValue(5)
    window.prompts.unsaved_answer = "cancel"
    assert not window.close() and window.isVisible()
    window.prompts.unsaved_answer = "discard"
    assert window.close()


def test_bad_experiment_file_is_explained(window, tmp_path):
    path = tmp_path / "broken.toml"
    path.write_text("[model]\ncell = \"transformer\"\n", encoding="utf-8")
    trainer = window.controller.trainer
    assert not window.files.open_experiment(path)
    text = _error_text(window)
    assert "broken.toml" in text and "model.cell" in text
    assert window.controller.trainer is trainer


def test_checkpoint_resumes_exactly(qtbot, window, tmp_path):
    step(qtbot, window, 2)
    ckpt = tmp_path / "run.npz"
    window.prompts.save_answer = ckpt
    assert window.files.save_checkpoint()
    step(qtbot, window, 2)
    uninterrupted = {k: v.copy() for k, v in window.controller.metrics.columns().items()}

    window.prompts.open_answer = ckpt
    assert window.files.load_checkpoint()
    assert window.controller.trainer.step_count == 2
    # The curves go on from the checkpoint's history: updates 1-2 from the file, 3-4 trained again,
    # every column as in the run that was never interrupted (step_seconds is wall time).
    np.testing.assert_array_equal(window.controller.metrics.columns()["step"], [1, 2])
    step(qtbot, window, 2)
    columns = window.controller.metrics.columns()
    assert list(columns) == list(uninterrupted) == window.controller.trainer.metric_columns()
    for name, values in uninterrupted.items():
        if name != "step_seconds":
            np.testing.assert_array_equal(columns[name], values, err_msg=name)
    assert window.controller.history_note == ""
    assert "run.npz" in window.windowTitle()


def test_geometry_and_dock_layout_persist(qtbot, tmp_path):
    first = make_window(qtbot, tmp_path)
    first.resize(701, 602)  # the offscreen screen is 800 x 800
    first.view_docks["flow"].hide()
    first.close()
    second = make_window(qtbot, tmp_path)
    assert (second.width(), second.height()) == (701, 602)
    assert not second.view_docks["flow"].isVisible()
    second.restore_default_layout()
    assert second.view_docks["flow"].isVisible()


def test_guided_experiments_open_from_the_menu_as_templates(qtbot, window):
    actions = {a.objectName(): a for a in window.menus["presets"].actions()}
    preset = files.PRESETS_DIR / "4-truncation-blind-spot.toml"
    actions[f"Preset_{preset.stem}"].trigger()
    expected = cfgmod.load_config(preset)
    assert window.controller.config == expected and window.controller.compare
    assert expected.preset.title in window.windowTitle()
    # Save never overwrites the shipped file: it asks where the user's copy goes.
    assert window.experiment_path is None
    window.prompts.save_answer = None
    assert not window.files.save_experiment()
    assert ("save", "experiment") in window.prompts.asked


def test_guided_dock_shows_the_preset_and_measures_the_edge_of_chaos(qtbot, window, tmp_path):
    dock, panel = window.guided.dock, window.guided.panel
    assert dock.isHidden()  # no guided experiment open yet
    preset = files.PRESETS_DIR / "3-edge-of-chaos.toml"
    assert window.files.open_experiment(preset)
    assert not dock.isHidden() and panel.title.text() == cfgmod.load_config(preset).preset.title
    assert panel.plot_visible and [rho for rho, _ in panel.points] == [1.0]
    # Moving the spectral radius re-initialises at once and adds a point near y = log(rho).
    trainer = window.controller.trainer
    window.panel.widget("model", "spectral_radius").setValue(0.5)
    assert window.controller.trainer is not trainer and window.controller.config.model.spectral_radius == 0.5
    rho, decay = panel.points[-1]
    assert rho == 0.5 and abs(decay - np.log(0.5)) < 0.01
    # An experiment without [preset] hides the dock again.
    plain = tmp_path / "plain.toml"
    plain.write_text(cfgmod.to_toml(small_config()), encoding="utf-8")
    assert window.files.open_experiment(plain)
    assert dock.isHidden()
