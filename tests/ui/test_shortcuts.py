"""Train and Step from the keyboard with the focus in a settings field: numeric fields, combo boxes
and check boxes pass Space and Ctrl+Right to the training actions; free-text fields type them;
Ctrl+Space and Ctrl+Shift+Right train and step from everywhere."""
from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QLineEdit

from tests.ui.app_fixtures import make_window, wait_idle


@pytest.fixture
def window(qtbot, tmp_path):
    w = make_window(qtbot, tmp_path)
    qtbot.waitExposed(w)
    return w


def _focus(qtbot, widget):
    widget.window().activateWindow()
    widget.setFocus(Qt.FocusReason.OtherFocusReason)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is widget or widget.isAncestorOf(QApplication.focusWidget()))


def _pause(qtbot, window):
    if window.controller.running:
        window.controller.toggle()
    wait_idle(qtbot, window)


@pytest.mark.parametrize("key", ["model.hidden_size", "training.learning_rate", "model.cell", "model.bias"])
def test_space_in_a_field_trains_and_leaves_the_field_alone(qtbot, window, key):
    section, name = key.split(".")
    field = window.panel.widget(section, name)
    before = window.panel.values()[section].get(name)
    _focus(qtbot, field)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.controller.trainer.step_count >= 1, timeout=10_000)
    _pause(qtbot, window)
    assert window.panel.values()[section].get(name) == before
    if name == "hidden_size":
        assert field.text() == str(before)  # today Space replaced the "6" and training never started


def test_ctrl_right_in_a_numeric_field_steps_once(qtbot, window):
    field = window.panel.widget("model", "hidden_size")
    _focus(qtbot, field)
    qtbot.keyClick(QApplication.focusWidget(), Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.controller.trainer.step_count == 1, timeout=10_000)
    wait_idle(qtbot, window)
    assert window.controller.trainer.step_count == 1 and field.text() == "6"


def _free_text(window) -> QLineEdit:
    edit = window.panel.findChild(QLineEdit, "setting_data_path_edit")
    if edit is None:  # the sine task has no free-text field: a file source has the path
        values = window.panel.values()
        values["data"] = {"source": "file", "path": "x.csv"}
        window.panel.set_values(values)
        edit = window.panel.findChild(QLineEdit, "setting_data_path_edit")
    return edit


def test_space_in_a_free_text_field_types_a_space(qtbot, window):
    edit = _free_text(window)
    edit.setText("my")
    _focus(qtbot, edit)
    edit.end(False)
    qtbot.keyClick(edit, Qt.Key.Key_Space)
    qtbot.keyClick(edit, Qt.Key.Key_Right, Qt.KeyboardModifier.ControlModifier)
    qtbot.wait(50)
    assert edit.text() == "my " and window.controller.trainer.step_count == 0 and not window.controller.running


def test_ctrl_space_and_ctrl_shift_right_work_in_free_text(qtbot, window):
    edit = _free_text(window)
    edit.setText("keep")
    _focus(qtbot, edit)
    qtbot.keyClick(edit, Qt.Key.Key_Right,
                   Qt.KeyboardModifier.ControlModifier | Qt.KeyboardModifier.ShiftModifier)
    qtbot.waitUntil(lambda: window.controller.trainer.step_count == 1, timeout=10_000)
    wait_idle(qtbot, window)
    qtbot.keyClick(edit, Qt.Key.Key_Space, Qt.KeyboardModifier.ControlModifier)
    qtbot.waitUntil(lambda: window.controller.trainer.step_count >= 2, timeout=10_000)
    _pause(qtbot, window)
    assert edit.text() == "keep"


def test_the_toolbar_and_menus_name_both_keys(window):
    assert [k.toString() for k in window.acts.train.shortcuts()] == ["Space", "Ctrl+Space"]
    assert [k.toString() for k in window.acts.step.shortcuts()] == ["Ctrl+Right", "Ctrl+Shift+Right"]
    assert "Ctrl+Space" in window.acts.train.toolTip()
