"""Launching: run_app opens the window on the default experiment or a file and returns when it
closes; Help > Equations shows the source text's equations in the app's notation."""
from __future__ import annotations

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication

from rnn_viz.experiment import config as cfgmod
from rnn_viz.ui.app import run_app
from rnn_viz.ui.main_window import MainWindow
from tests.ui.app_fixtures import make_window, small_config


def _close_when_shown(seen: list):
    def check():
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if not windows or not windows[0].views_ready:  # the views and model come right after the frame
            QTimer.singleShot(20, check)
            return
        window = windows[0]
        seen.append((window.windowTitle(), window.controller.trainer is not None,
                     window.controller.config.model.hidden_size))
        window.close()
        QApplication.instance().exit(0)

    QTimer.singleShot(0, check)


def test_run_app_opens_an_experiment_and_returns_when_closed(qtbot, tmp_path):
    # Keep the user's real settings out of it.
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    path = tmp_path / "exp.toml"
    path.write_text(cfgmod.to_toml(small_config(model={"hidden_size": 5})), encoding="utf-8")
    seen = []
    _close_when_shown(seen)
    assert run_app(path) == 0
    title, has_model, hidden = seen[0]
    assert "exp.toml" in title and has_model and hidden == 5


def test_equations_dialog_uses_the_apps_notation(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    window.acts.equations.trigger()
    text = window._equations.findChild(object, "EquationsText").toPlainText()
    for needle in ("ht = tanh(st)", "st = Whh ht\u22121 + Wxh xt + bh", "yt = Why ht + by",
                   "TBPTT(k1, k2)", "max(0, (j+1)\u00b7k1 \u2212 k2)", "F[t, k]"):
        assert needle in text, needle
