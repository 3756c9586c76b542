"""The settings panel's notes: fields stay where they are when the "Changed: ... press Reset" note
appears; the note says "source changed" instead of listing the old task's keys; settings an
experiment leaves out (model.bias, model.gain) show what the model uses, not an unticked box or 0."""
from __future__ import annotations

from PySide6.QtCore import QPoint
from PySide6.QtWidgets import QApplication

from rnn_viz.experiment import config as cfgmod
from tests.ui.app_fixtures import make_window, small_config


def _y(panel, key):
    section, name = key.split(".")
    return panel.widget(section, name).mapTo(panel, QPoint(0, 0)).y()


def test_fields_do_not_move_when_the_reset_note_appears(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    qtbot.waitExposed(window)
    qtbot.wait(100)  # the first layout pass after show
    panel = window.panel
    keys = ["data.source", "model.cell", "model.hidden_size", "training.learning_rate", "training.seed"]
    before = {k: _y(panel, k) for k in keys}
    assert not panel.pending_label.isVisible()
    panel.widget("model", "hidden_size").setValue(7)  # needs a Reset: the note appears
    QApplication.processEvents()
    assert panel.pending_label.isVisible() and "model.hidden_size" in panel.pending_label.text()
    assert {k: _y(panel, k) for k in keys} == before
    # and again for the error note
    panel.widget("training", "bptt").setCurrentText("truncated")
    window.on_settings_edited({**panel.values(), "training": {**panel.values()["training"], "k1": 5, "k2": 2}})
    QApplication.processEvents()
    assert panel.error_label.isVisible()
    assert {k: _y(panel, k) for k in keys} == before


def test_a_new_source_is_one_change_not_a_list_of_dropped_keys(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, config=small_config(
        data={"source": "copy", "length": 3, "delay": 4, "alphabet": 4, "batch_size": 4, "seq_len": 10}))
    panel = window.panel
    panel.widget("data", "source").setCurrentText("sine")
    text = panel.pending_label.text()
    assert "source changed (copy \u2192 sine)" in text, text
    for dropped in ("data.delay", "data.alphabet", "data.length"):
        assert dropped not in text, text
    assert "data.source" in panel.pending_keys()  # what Reset applies is unchanged


def test_a_setting_dropped_by_a_new_cell_is_not_listed(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    panel = window.panel
    panel.widget("model", "cell").setCurrentText("lstm")  # drops model.activation
    text = panel.pending_label.text()
    assert "model.cell" in text and "model.activation" not in text, text


def test_bias_and_gain_left_out_show_what_the_model_uses(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    panel = window.panel
    # an experiment that sets them, then one that leaves them out: the panel must not keep the old
    with_them = small_config(model={"bias": False, "init": "gaussian", "gain": 0.3})
    window.set_document(None, with_them)
    assert not panel.widget("model", "bias").isChecked() and panel.widget("model", "gain").value() == 0.3
    without = small_config()
    assert without.model.bias is None and without.model.gain is None
    window.set_document(None, without)
    assert panel.widget("model", "bias").isChecked()
    assert panel.widget("model", "gain").value() == 1.0
    assert "bias" not in panel.values()["model"] and panel.pending_keys() == []


def test_a_fresh_panel_shows_bias_ticked(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, config=cfgmod.default_config())
    assert window.panel.widget("model", "bias").isChecked()
    assert window.panel.widget("model", "gain").value() == 1.0
