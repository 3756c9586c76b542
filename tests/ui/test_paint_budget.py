"""The shared paint remedies of the views (rnn_viz.ui.views: pens, axes, labels): thin pens, steady axes and labels."""
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QEvent, QObject, Qt
from PySide6.QtWidgets import QApplication, QGraphicsWidget

from rnn_viz.ui.views import ALL_VIEWS
from rnn_viz.ui.views.base import style_plot
from rnn_viz.ui.views.labels import WrappingLabel, item_key
from rnn_viz.ui.views.pens import MAX_PEN_WIDTH, pen_items, thin_pen, thin_pens
from tests.ui.synthetic import drawn_view, make_state, shown_view


def test_thin_pen_caps_the_width_and_keeps_colour_and_dash():
    wide = pg.mkPen("#123456", width=3, style=Qt.PenStyle.DashLine)
    thin = thin_pen(wide)
    assert thin.widthF() == MAX_PEN_WIDTH and thin.isCosmetic()
    assert thin.color().name() == "#123456" and thin.style() == Qt.PenStyle.DashLine
    assert wide.widthF() == 3  # the caller's pen is not changed
    ok = pg.mkPen("#123456", width=1)
    assert thin_pen(ok) is ok
    assert thin_pen(pg.mkPen("#123456", width=0.5)).widthF() == 0.5  # thinner stays thinner


def test_curves_and_lines_are_drawn_thin_and_legends_keep_the_pen_meant(qtbot):
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    plot = widget.addPlot()
    data = plot.plot([0, 1, 2], [1, 0, 1], pen=pg.mkPen("r", width=2.5, style=Qt.PenStyle.DashLine))
    line = pg.InfiniteLine(pos=1, pen=pg.mkPen("b", width=2))
    plot.addItem(line)
    thin_pens(pen_items(widget.scene()))
    assert data.curve.opts["pen"].widthF() == MAX_PEN_WIDTH
    assert data.curve.opts["pen"].style() == Qt.PenStyle.DashLine
    assert line.pen.widthF() == MAX_PEN_WIDTH
    assert "\u2011" in item_key(data)  # the legend still shows a dashed key


@pytest.mark.parametrize("name, cls", [(n, c) for n, c, _ in ALL_VIEWS])
def test_every_view_paints_with_pens_at_most_one_pixel(qtbot, name, cls):
    view = drawn_view(qtbot, cls)
    widths = [item.opts["pen"].widthF() if isinstance(item, pg.PlotCurveItem) else item.pen.widthF()
              for item in pen_items(view.canvas.scene())]
    assert widths, f"{name} drew no curve or line"
    assert max(widths) <= MAX_PEN_WIDTH, f"{name}: a pen {max(widths)} px wide"


def _count_geometry_requests(monkeypatch, cls):
    calls = []
    original = QGraphicsWidget.updateGeometry

    def counting(self):
        calls.append(self)
        return original(self)

    monkeypatch.setattr(cls, "updateGeometry", counting)
    return calls


def test_a_range_change_does_not_redo_the_axis_label(qtbot):
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    widget.resize(400, 300)
    widget.show()
    plot = style_plot(widget.addPlot(), left="loss", bottom="update")
    plot.setRange(yRange=(0, 1), padding=0)
    left = plot.getAxis("left")
    redone = []
    set_html = left.label.setHtml
    left.label.setHtml = lambda text: (redone.append(text), set_html(text))
    for hi in (2.0, 5.0, 3.0):
        widget.grab()  # paints the ticks of the current range
        assert left.picture is not None
        plot.setRange(yRange=(0, hi), padding=0)
        assert left.picture is None, "the ticks must be drawn again for the new range"
    assert redone == [], "the label's HTML (and the layout) redone on a range change"
    plot.setLabel("left", "gradient")  # a new label text is still shown
    assert len(redone) == 1 and "gradient" in left.label.toHtml()


def test_a_label_of_the_same_size_asks_for_no_new_layout(qtbot, monkeypatch):
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    label = WrappingLabel("loss 0.25", size="9pt")
    widget.addItem(label)
    widget.show()
    calls = _count_geometry_requests(monkeypatch, pg.LabelItem)
    label.setText("loss 0.26")
    assert calls == [] and label.plain_text == "loss 0.26"
    label.setText("a much longer readout<br>on two lines")
    assert calls, "a taller label must be laid out again"


class _PaintCounter(QObject):
    """Counts the paint events of a view's canvas (its viewport is what Qt paints)."""

    def __init__(self, view):
        super().__init__()
        self.painted = []
        view.canvas.viewport().installEventFilter(self)

    def eventFilter(self, obj, event):
        if event.type() == QEvent.Type.Paint:
            self.painted.append(1)
        return False


def _settle_paints(qtbot):
    for _ in range(4):  # a second paint, if the first asked for one, comes on a later turn
        QApplication.processEvents()
        qtbot.wait(5)


@pytest.mark.parametrize("name, cls", [(n, c) for n, c, _ in ALL_VIEWS if n != "curves"])
def test_a_new_frame_is_painted_once_and_an_unchanged_one_not_at_all(qtbot, name, cls):
    # curves is left out: it redraws on its own throttle (a new frame may be drawn later, not at once)
    view = shown_view(qtbot, cls())
    qtbot.waitExposed(view)
    view.render(make_state("lstm", 2, T=40, H=6, time_step=5, seed=0))
    _settle_paints(qtbot)
    counter = _PaintCounter(view)
    painted = counter.painted
    for seed in (1, 2, 3):  # other data: other ranges, colour levels and tick text
        view.render(make_state("lstm", 2, T=40, H=6, time_step=5 + seed, seed=seed))
        _settle_paints(qtbot)
        assert len(painted) == 1, f"{name}: a new frame painted {len(painted)} times"
        painted.clear()
    view.render(view._last_state)
    _settle_paints(qtbot)
    assert painted == [], f"{name}: an unchanged frame painted again"


def test_predictions_keep_the_time_axis_ticks_when_only_the_values_change(qtbot):
    from rnn_viz.ui.views.predictions import PredictionsView

    view = shown_view(qtbot, PredictionsView(), 600, 300)
    view.render(make_state("rnn", 1, T=40, H=6, seed=0))
    view.canvas.grab()
    bottom = view.plot.getAxis("bottom")
    assert bottom.picture is not None
    view.render(make_state("rnn", 1, T=40, H=6, seed=1))  # same steps, other values
    assert view.frames_applied == 2
    assert bottom.picture is not None, "the time axis' ticks were thrown away for an unchanged label"
    assert "time step" in bottom.labelString()
