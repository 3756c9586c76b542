"""What a frame of the window paints: what the frame changed, painted within the frame (while the
worker waits), and not the views' unchanged controls, docks and window around them."""
import collections

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from rnn_viz.ui.views import ALL_VIEWS
from tests.ui.app_fixtures import bring_into_sight, make_window, step


class _Paints(QObject):
    """Counts paint events per widget while ``on``."""

    def __init__(self):
        super().__init__()
        self.counts = collections.Counter()
        self.on = False

    def eventFilter(self, obj, event):
        if self.on and event.type() == QEvent.Type.Paint:
            self.counts[obj] += 1
        return False


def _frame_paints(window):
    paints = _Paints()
    QApplication.instance().installEventFilter(paints)
    try:
        paints.on = True
        window.controller._dirty = True
        window.controller._frame()
        paints.on = False
    finally:
        QApplication.instance().removeEventFilter(paints)
    return paints.counts


def test_a_frame_paints_the_new_canvas_and_not_the_views_unchanged_controls(qtbot, tmp_path, monkeypatch):
    window = make_window(qtbot, tmp_path, views=ALL_VIEWS)
    view = bring_into_sight(qtbot, window, "gradients")
    step(qtbot, window, 1)
    for _ in range(3):
        QApplication.processEvents()
    controls = [w for w in view.findChildren(QObject) if w.isWidgetType() and w.isVisible()
                and not view.canvas.isAncestorOf(w) and w is not view.canvas]
    assert controls, "the gradient view has controls (its horizon fraction)"
    counts = _frame_paints(window)  # the same state again: nothing changed
    assert {w.objectName() or type(w).__name__: n for w, n in counts.items() if w in controls or w is view} == {}
    assert counts[window] == 0, "the window painted under unchanged views"
    # A new update: its frame paints the view's canvas at once, still not the controls. (The
    # update's own frame is left to the test: the timer might draw it before it is counted.)
    monkeypatch.setattr(window.controller, "_request_frame", lambda: None)
    window.acts.step.trigger()
    qtbot.waitUntil(lambda: not window.controller.running and window.controller.trainer.step_count >= 2)
    counts = _frame_paints(window)
    assert counts[view.canvas.viewport()] == 1, "the new frame was not painted within the frame"
    assert [w.objectName() for w in controls if counts[w]] == []
