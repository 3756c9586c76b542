"""The window's frame is painted before the views are built; right after, it has every view and
the first model drawn (rnn_viz.ui.first_frame, MainWindow(defer_views=True))."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rnn_viz.ui.first_frame import build_after_first_paint
from rnn_viz.ui.main_window import MainWindow
from rnn_viz.ui.settings import AppSettings
from rnn_viz.ui.view_titles import WINDOW_VIEW_TITLES
from rnn_viz.ui.views import WINDOW_VIEWS
from tests.ui.app_fixtures import FakePrompts, bring_into_sight, small_config

ROOT = Path(__file__).resolve().parents[2]


def test_the_frame_comes_first_then_every_view_and_the_model(qtbot, tmp_path):
    window = MainWindow(None, settings=AppSettings(tmp_path / "settings.ini"), config=small_config(),
                        defer_views=True)
    window.prompts = FakePrompts()
    qtbot.addWidget(window)
    assert window.views == [] and window.controller.trainer is None
    assert [d.windowTitle() for d in window.view_docks.values()] == [t for _, t in WINDOW_VIEW_TITLES]
    window.show()
    with qtbot.waitSignal(window.viewsBuilt, timeout=20_000):
        build_after_first_paint(window)
    assert [n for n, _, _ in window.views] == [n for n, _, _ in WINDOW_VIEWS]
    for name, view, _ in window.views:
        assert window.view_docks[name].widget() is view
    assert window.controller.views == [v for _, v, _ in window.views]
    assert window.controller.trainer is not None
    live = [(n, v) for n, v, _ in window.views if n != "dynamics"]
    qtbot.waitUntil(lambda: window._first_show_done and any(v._last_state is not None for _, v in live),
                    timeout=10_000)
    # Every view in sight is drawn; one in a tab behind another keeps the state until its tab is picked.
    for name, view in live:
        if view.on_screen():
            assert view._last_state is not None, name
        else:
            assert view._last_state is None and view._pending is not None, name
            bring_into_sight(qtbot, window, name)
            assert view._last_state is not None and view._pending is None, name
    assert window.dynamics is not None  # Training > Compute dynamics wired to the built view
    window.build_views()  # a second call builds nothing more
    assert len(window.views) == len(WINDOW_VIEWS)


def test_a_view_click_selects_the_step_after_a_deferred_build(qtbot, tmp_path):
    window = MainWindow(None, settings=AppSettings(tmp_path / "settings.ini"), config=small_config(),
                        defer_views=True)
    window.prompts = FakePrompts()
    qtbot.addWidget(window)
    window.show()
    window.build_views()
    view = dict((n, v) for n, v, _ in window.views)["gradients"]
    view.timeStepSelected.emit(7)
    assert window.controller.time_step == 7


CHILD = r"""
import sys
from PySide6.QtCore import QEvent, QObject, QSettings
QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, sys.argv[1])
from rnn_viz.ui import app as appmod
from rnn_viz.ui.main_window import MainWindow
seen = []

class Painted(QObject):
    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint and not seen:
            seen.append("pyqtgraph" in sys.modules)
        return False

spy = Painted()
_show, _build = MainWindow.show, MainWindow.build_views

def show(self):
    self.installEventFilter(spy)
    _show(self)

def build_views(self):
    painted_first = bool(seen)
    _build(self)
    print("painted before build:", painted_first, "| pyqtgraph at first paint:", seen[:1],
          "| views:", len(self.views), "| model:", self.controller.trainer is not None, flush=True)
    self.close()

MainWindow.show, MainWindow.build_views = show, build_views
sys.exit(appmod.run_app(None))
"""


def test_the_app_paints_its_frame_before_importing_pyqtgraph_and_building_views(tmp_path):
    # A fresh process: this one imported pyqtgraph long ago.
    env = {"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin", "HOME": str(tmp_path)}
    out = subprocess.run([sys.executable, "-c", CHILD, str(tmp_path)], cwd=ROOT, env=env, capture_output=True,
                         text=True, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    line = [ln for ln in out.stdout.splitlines() if ln.startswith("painted before build")][-1]
    assert line == (f"painted before build: True | pyqtgraph at first paint: [False] | views: "
                    f"{len(WINDOW_VIEWS)} | model: True"), line
