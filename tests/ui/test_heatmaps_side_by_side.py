"""Hidden-state heatmaps in compare mode with the runs side by side: a new frame neither shows nor
hides the run selector, so the view is not laid out again and its canvas is painted once."""
import collections
from dataclasses import replace

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication

from rnn_viz.ui.views.heatmaps import HiddenStateView
from tests.ui.synthetic import make_state, make_trace, shown_view


class _Events(QObject):
    def __init__(self, watched):
        super().__init__()
        self.watched = watched
        self.seen = collections.Counter()
        for w in watched.values():
            w.installEventFilter(self)

    def eventFilter(self, obj, event):
        for name, w in self.watched.items():
            if obj is w:
                self.seen[(name, event.type())] += 1
        return False


def test_side_by_side_frames_keep_the_selector_hidden_and_paint_once(qtbot):
    view = shown_view(qtbot, HiddenStateView(), 600, 460)
    qtbot.waitExposed(view)
    base = make_state("rnn", 2, T=60, H=16, compare=True, time_step=10)
    view.render(base)
    for _ in range(4):
        QApplication.processEvents()
    assert view._fitted[0], "the two rnn runs fit side by side at 600 px"
    assert view.run_selector.isHidden()
    events = _Events({"selector": view.run_selector, "canvas": view.canvas,
                      "viewport": view.canvas.viewport()})
    for seed in range(1, 5):  # new traces, as during training
        view.render(replace(base, trace=dict(make_trace("rnn", 2, 60, 16, seed=seed))))
        for _ in range(3):
            QApplication.processEvents()
    shown = events.seen[("selector", QEvent.Type.Show)] + events.seen[("selector", QEvent.Type.Hide)]
    assert shown == 0, "the run selector was shown and hidden again"
    assert events.seen[("canvas", QEvent.Type.Resize)] == 0, "the canvas was laid out again"
    assert events.seen[("viewport", QEvent.Type.Paint)] == 4, "not one paint per new frame"
    assert view.run_selector.isHidden()


def test_one_run_at_a_time_still_shows_the_selector(qtbot):
    view = shown_view(qtbot, HiddenStateView(), 600, 460)
    view.set_side_by_side(False)
    view.render(make_state("rnn", 2, T=60, H=16, compare=True, time_step=10))
    QApplication.processEvents()
    assert not view.run_selector.isHidden()
    view.render(make_state("rnn", 2, T=60, H=16, compare=False, time_step=10))
    assert view.run_selector.isHidden()
