"""The status bar's labels: a new count or loss every update shows at once without laying the
window out again; a text that needs more room still gets it."""
import collections

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QLabel

from rnn_viz.ui.controller import Status
from rnn_viz.ui.steady_label import SteadyLabel
from tests.ui.app_fixtures import make_window


class _Layouts(QObject):
    def __init__(self):
        super().__init__()
        self.requests = collections.Counter()

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.LayoutRequest:
            self.requests[obj.objectName() or type(obj).__name__] += 1
        return False


def test_new_status_numbers_lay_nothing_out_again(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path)
    qtbot.waitUntil(lambda: window._first_show_done)
    window._on_status(Status(100, 0.0123, None, 12.5, True, "A", None))
    for _ in range(3):
        QApplication.processEvents()
    layouts = _Layouts()
    QApplication.instance().installEventFilter(layouts)
    try:
        for i in range(1, 20):  # counts, losses and rates of about the same width
            window._on_status(Status(100 + i, 0.0123 + 0.0011 * i, None, 12.5 + i % 3, True, "A", None))
            QApplication.processEvents()
    finally:
        QApplication.instance().removeEventFilter(layouts)
    assert window.status_step.text() == "update 119"  # the text is shown ...
    assert dict(layouts.requests) == {}, "a status update laid widgets out again"  # ... and nothing moved


def test_a_steady_label_grows_for_a_longer_text_and_gives_room_back_for_a_much_shorter_one(qtbot):
    label = SteadyLabel("update 0", min_width=80)
    qtbot.addWidget(label)
    assert label.width() == max(label.sizeHint().width(), 80)
    for text in ("loss 0.01234 (A) / 0.5 (B)", "12.5 updates/s", "A: lstm 128x2  |  B: gru 4x1", "paused"):
        plain = QLabel(text)  # what Qt would give the text
        assert SteadyLabel(text).text_size() == plain.sizeHint(), text
    label.setText("A: lstm 128x2, truncated BPTT  |  B: rnn 128x2, full BPTT")
    assert label.minimumWidth() == label.maximumWidth() == QLabel(label.text()).sizeHint().width() > 80
    held = label.width()
    label.setText("A: lstm 128x2, truncated BPTT  |  B: rnn 128x2, full BPT")  # a little narrower
    assert label.width() == held
    label.setText("paused")
    assert label.width() == 80 and label.text() == "paused"
