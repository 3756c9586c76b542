"""The shared paint remedies of rnn_viz.ui.views.base: thin pens, steady axes and labels."""
import pyqtgraph as pg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QGraphicsWidget

from rnn_viz.ui.views import ALL_VIEWS
from rnn_viz.ui.views.base import (MAX_PEN_WIDTH, WrappingLabel, item_key, pen_items, style_plot, thin_pen,
                                   thin_pens)
from tests.ui.synthetic import make_state


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
    view = cls()
    qtbot.addWidget(view)
    view.resize(600, 450)
    view.show()
    view.render(make_state("lstm", 2, T=20, H=6, time_step=5))
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
