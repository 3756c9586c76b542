"""The pyqtgraph resize loop of issue 11: a narrow training-curves dock sent the layout into an
endless cycle (ViewBox.resizeEvent 23,000 times a minute, the GUI thread at 97%).

Cause: a plot's left (decade) axis sized itself to its tick labels, the labels thinned with the
plot's height, the title above the plot wrapped to the width left beside the axis, and its height
was taken from the plot's: axis width -> title width -> title height -> plot height -> labels ->
axis width, with no fixed point. Vertical axes now never give back text space on their own
(views/axes.py, style_axis), so the cycle ends.

The state is the reported one (preset 6, float32, truncated BPTT k1 = 9, k2 = 57, seq_len 54,
compare mode switched off while training, a 1016 px wide window, a 68 px dock); the events are
counted over a fixed number of event-loop passes once training has paused (no clock involved).
"""
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from rnn_viz.experiment import config as cfgmod
from rnn_viz.experiment.presets import find_preset

from .app_fixtures import make_window

PASSES = 300


def _reported_config():
    cfg = cfgmod.load_config(find_preset("6-init-identity-vs-small"))
    d = cfgmod.to_dict(cfg)
    d["training"].update(dtype="float32", bptt="truncated", k1=9, k2=57)
    d["data"]["seq_len"] = 54
    return cfgmod.config_from_dict(d, "issue 11")


@pytest.fixture
def resize_events(monkeypatch):
    count = [0]
    original = pg.ViewBox.resizeEvent

    def counting(self, ev):
        count[0] += 1
        return original(self, ev)

    monkeypatch.setattr(pg.ViewBox, "resizeEvent", counting)
    return count


def _train(qtbot, c, updates):
    target = c.trainer.step_count + updates
    c.start()
    qtbot.waitUntil(lambda: c.trainer.step_count >= target, timeout=30_000)


@pytest.mark.parametrize("row_height", [172, 187, 196])
def test_a_narrow_curves_dock_settles(qtbot, tmp_path, resize_events, row_height):
    window = make_window(qtbot, tmp_path, config=_reported_config(), views=None)
    window.set_layout("all")  # the reported state: every view at once
    window.resize(1016, 784)
    c = window.controller
    assert c.compare
    _train(qtbot, c, 3)
    window.set_compare(False)  # while training
    _train(qtbot, c, 3)
    window.resizeDocks([window.view_docks["curves"]], [68], Qt.Orientation.Horizontal)
    window.resizeDocks([window.view_docks["graph"]], [row_height], Qt.Orientation.Vertical)
    c.stop()
    app = QApplication.instance()
    for _ in range(PASSES):  # let the layout settle
        app.processEvents()
    resize_events[0] = 0
    for _ in range(PASSES):
        app.processEvents()
    assert window.view_docks["curves"].width() <= 80
    # settled: nothing resizes while nothing changes (the loop resized on every pass)
    assert resize_events[0] == 0
