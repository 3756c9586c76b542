"""The document: one evented object for the experiment being edited; panel, title and file actions follow it."""
from __future__ import annotations

from pathlib import Path

from rnn_viz.experiment import config as cfgmod
from rnn_viz.ui import files
from rnn_viz.ui.document import Document
from tests.ui.app_fixtures import make_window, small_config


def test_signals_say_what_changed(qtbot):
    doc = Document(small_config())
    seen = []
    doc.opened.connect(lambda config, origin: seen.append(("opened", origin)))
    doc.valuesChanged.connect(lambda edited, applied: seen.append(("values", applied is not None)))
    doc.errorChanged.connect(lambda message: seen.append(("error", message)))
    doc.changed.connect(lambda: seen.append(("changed",)))
    doc.open(Path("a.toml"), small_config())
    assert seen == [("opened", Path("a.toml")), ("values", True), ("changed",)]
    assert not doc.is_dirty() and doc.title() == "a.toml"
    seen.clear()
    doc.set_error("training.k2 = 0 is not allowed")
    doc.edit(small_config(model={"hidden_size": 9}))
    assert seen == [("error", "training.k2 = 0 is not allowed"), ("values", False), ("error", None), ("changed",)]
    assert doc.is_dirty() and doc.applied.model.hidden_size == 6 and doc.edited.model.hidden_size == 9


def test_panel_title_and_save_follow_the_document(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    doc = window.document
    assert window.windowTitle().startswith("untitled experiment")
    window.panel.widget("model", "hidden_size").setValue(9)
    assert doc.edited.model.hidden_size == 9 and doc.is_dirty() and window.isWindowModified()
    window.panel.widget("data", "min_period").setValue(30.0)
    window.panel.widget("data", "max_period").setValue(10.0)
    assert doc.error and "data.min_period" in doc.error and window.panel.error_label.text() == doc.error
    window.panel.widget("data", "max_period").setValue(40.0)
    assert doc.error is None and not window.panel.error_label.isVisibleTo(window.panel)
    target = tmp_path / "mine.toml"
    assert window.files.save_experiment(path=target)
    assert doc.path == target and not doc.is_dirty() and window.windowTitle().startswith("mine.toml")
    assert cfgmod.load_config(target).model.hidden_size == 9
