"""The first minute: a first launch (empty settings) opens guided experiment 1 with its text readable
without scrolling and a one-line hint; later launches reopen the last experiment; at that first
experiment's initial parameters the gradient reaching step 0 is below 1e-3 of the one at step T-1."""
from __future__ import annotations

import pytest
from PySide6.QtWidgets import QScrollArea

from rnn_viz.experiment import config as cfgmod
from rnn_viz.experiment.loop import Trainer
from rnn_viz.experiment.presets import PRESETS_DIR
from rnn_viz.ui.first_launch import FIRST_EXPERIMENT, FIRST_HINT, LAST_KEY
from rnn_viz.ui.main_window import MainWindow
from rnn_viz.ui.settings import AppSettings
from tests.ui.app_fixtures import STANDIN_VIEWS, FakePrompts


def _launch(qtbot, ini, size=None):
    window = MainWindow(None, settings=AppSettings(ini), views=STANDIN_VIEWS)
    if size is not None:
        window.resize(*size)
    window.prompts = FakePrompts()
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    qtbot.waitUntil(lambda: window._first_show_done)  # laid out at its first show
    qtbot.wait(50)
    return window


def test_the_first_experiment_shows_the_gradient_vanishing_at_its_initial_parameters():
    assert FIRST_EXPERIMENT.name == "1-vanishing-gradients.toml"
    trainer = Trainer(cfgmod.load_config(FIRST_EXPERIMENT), PRESETS_DIR)
    norms = trainer.evaluate(heavy=True).trace["dL_dh_norm/0"]  # (T,), ||dL/dh_t|| over the batch
    assert norms.shape == (60,)
    assert norms[0] / norms[-1] < 1e-3, norms[0] / norms[-1]


@pytest.mark.parametrize("size", [None, (1366, 690), (1280, 640)])
def test_first_launch_opens_experiment_1_readable_with_a_hint(qtbot, tmp_path, size):
    window = _launch(qtbot, tmp_path / "settings.ini", size)
    assert window.first_launch
    assert window.controller.config.preset is not None
    assert window.controller.config.preset.title.startswith("1. Gradients vanish")
    assert window.guided.preset_path == FIRST_EXPERIMENT
    panel = window.guided.panel
    assert window.guided.dock.isVisible() and not window.guided.dock.visibleRegion().isEmpty()
    assert panel.hint.isVisible() and panel.hint.text() == FIRST_HINT
    assert FIRST_HINT in window.statusBar().currentMessage()
    scroll = panel.findChild(QScrollArea, "presetPanelScroll")
    assert scroll.verticalScrollBar().maximum() == 0, (scroll.verticalScrollBar().maximum(), panel.height())
    assert panel.look_at.isVisible() and panel.look_at.visibleRegion().boundingRect().height() == panel.look_at.height()


def test_later_launches_reopen_the_last_experiment(qtbot, tmp_path):
    ini = tmp_path / "settings.ini"
    window = _launch(qtbot, ini)
    other = PRESETS_DIR / "3-edge-of-chaos.toml"
    assert window.files.open_experiment(other, ask=False)
    window.close()
    window.app_settings.sync()
    again = _launch(qtbot, ini)
    assert not again.first_launch and not again.guided.panel.hint.isVisible()
    assert again.guided.preset_path == other.resolve() or again.guided.preset_path == other
    # a saved file of the user's, and one that has gone missing meanwhile
    mine = tmp_path / "mine.toml"
    assert again.files.save_experiment(path=mine)
    again.close()
    third = _launch(qtbot, ini)
    assert third.experiment_path == mine.resolve() or third.experiment_path == mine
    third.close()
    mine.unlink()
    fourth = _launch(qtbot, ini)
    assert not fourth.first_launch and fourth.controller.config.preset is None  # the default experiment


def test_settings_from_before_this_version_are_a_returning_user(qtbot, tmp_path):
    ini = tmp_path / "settings.ini"
    settings = AppSettings(ini)
    settings.add_recent_file(tmp_path / "old.toml")
    settings.sync()
    window = _launch(qtbot, ini)
    assert not window.first_launch and window.app_settings.value(LAST_KEY) == ""


def test_a_short_guided_panel_scrolls_instead_of_cutting_its_text(qtbot):
    from rnn_viz.experiment import presets
    from rnn_viz.ui.preset_panel import PresetPanel

    panel = PresetPanel()
    qtbot.addWidget(panel)
    panel.set_preset(presets.preset_info(FIRST_EXPERIMENT, cfgmod.load_config(FIRST_EXPERIMENT)))
    panel.resize(300, 150)
    panel.show()
    qtbot.waitExposed(panel)
    bar = panel.findChild(QScrollArea, "presetPanelScroll").verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0)
    for label in (panel.explanation, panel.look_at, panel.equation):
        assert label.height() >= label.heightForWidth(label.width()), label.objectName()
