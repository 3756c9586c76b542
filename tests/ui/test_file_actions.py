"""File actions on a Document and a Controller alone: no MainWindow, only the small FileUI."""
from __future__ import annotations

from PySide6.QtWidgets import QMenu, QWidget

from rnn_viz.experiment import config as cfgmod
from rnn_viz.ui.controller import Controller
from rnn_viz.ui.document import Document
from rnn_viz.ui.files import FileActions, FileUI
from rnn_viz.ui.settings import AppSettings
from tests.ui.app_fixtures import FakePrompts, small_config


def actions(qtbot, tmp_path):
    parent = QWidget()
    qtbot.addWidget(parent)
    config = small_config()
    controller = Controller(config, tmp_path, [], parent)
    document = Document(config, parent)
    messages: list[str] = []
    ui = FileUI(prompts=FakePrompts(), parent=parent, status=messages.append,
                recent=AppSettings(tmp_path / "settings.ini"),
                menus={"recent": QMenu(parent), "presets": QMenu(parent), "export": QMenu(parent)}, views=[])
    acts = FileActions(document, controller, ui)
    assert acts.apply_config(config)
    return acts, messages


def test_save_and_reopen_an_experiment_without_a_window(qtbot, tmp_path):
    acts, messages = actions(qtbot, tmp_path)
    target = tmp_path / "mine.toml"
    acts.ui.prompts.save_answer = target
    d = cfgmod.to_dict(acts.document.edited)
    d["training"]["learning_rate"] = 0.02
    acts.document.edit(cfgmod.config_from_dict(d, "test"))
    assert acts.document.is_dirty()
    assert acts.save_experiment(ask=True)
    assert not acts.document.is_dirty() and acts.document.path == target
    assert messages == [f"Saved {target}"]
    assert acts.ui.menus["recent"].actions()[0].objectName() == "RecentFile0"
    assert cfgmod.load_config(target) == acts.document.edited
    assert acts.open_experiment(target)
    assert acts.controller.config.training.learning_rate == 0.02


def test_unsaved_changes_ask_through_the_prompts(qtbot, tmp_path):
    acts, _ = actions(qtbot, tmp_path)
    d = cfgmod.to_dict(acts.document.edited)
    d["data"]["seq_len"] = int(d["data"].get("seq_len", 20)) + 1
    acts.document.edit(cfgmod.config_from_dict(d, "test"))
    acts.ui.prompts.unsaved_answer = "cancel"
    assert not acts.maybe_save("opening another experiment")
    assert ("unsaved", "opening another experiment") in acts.ui.prompts.asked
    acts.ui.prompts.unsaved_answer = "discard"
    assert acts.maybe_save("opening another experiment")


def test_a_failed_reset_keeps_the_old_model_and_says_why(qtbot, tmp_path, monkeypatch):
    acts, _ = actions(qtbot, tmp_path)
    trainer = acts.controller.trainer
    shown = []
    monkeypatch.setattr("rnn_viz.ui.files.show_message", lambda parent, title, text: shown.append((title, text)))
    d = cfgmod.to_dict(acts.document.edited)
    d["data"] = {"source": "file", "path": str(tmp_path / "missing.csv")}
    bad = cfgmod.config_from_dict(d, "test")
    assert not acts.apply_config(bad)
    assert acts.controller.trainer is trainer and shown and shown[0][0] == "Cannot build this model"
