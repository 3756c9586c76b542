"""The selected cell's square (flow_matrix.CellMark) paints exactly what a ScatterPlotItem of the
same point and style paints, wherever the point is: on whole or fractional pixels, zoomed, at the
view's edge or outside it."""
import pyqtgraph as pg
import pytest
from PySide6.QtWidgets import QApplication

from rnn_viz.ui import colormaps as cm
from rnn_viz.ui.views.flow_matrix import CellMark

STYLE = dict(symbol="s", size=12, brush=None, pen=pg.mkPen(cm.ACCENT, width=2))


@pytest.fixture
def plots(qtbot):
    """Two identical plots side by side: a CellMark in the first, a ScatterPlotItem in the second."""
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    widget.resize(500, 260)
    pair = []
    for col, cls in enumerate((CellMark, pg.ScatterPlotItem)):
        plot = widget.addPlot(row=0, col=col)
        plot.hideAxis("left")
        plot.hideAxis("bottom")
        plot.getViewBox().invertY(True)
        plot.getViewBox().setAspectLocked(True)
        mark = cls(**STYLE)
        plot.addItem(mark)
        pair.append((plot, mark))
    widget.show()
    qtbot.waitExposed(widget)
    return widget, pair


def halves(widget):
    """The pixels of the two plots' data areas, each as an image."""
    QApplication.processEvents()
    image = widget.grab().toImage()
    out = []
    for item in widget.ci.items:
        rect = item.getViewBox().sceneBoundingRect().toAlignedRect()
        out.append(image.copy(rect))
    return out


@pytest.mark.parametrize("point, view", [
    ((10.0, 20.0), ((0, 40), (0, 40))),
    ((10.3, 19.7), ((0, 40), (0, 40))),      # between pixels
    ((3.0, 4.0), ((2.6, 9.1), (3.3, 7.7))),  # zoomed in: a cell many pixels wide
    ((0.0, 0.0), ((0, 40), (0, 40))),        # on the view's edge: half of it shows
    ((-1.0, 39.6), ((0, 40), (0, 40))),      # just outside: the part inside shows
    ((90.0, 90.0), ((0, 40), (0, 40))),      # far outside: nothing
])
def test_the_mark_paints_as_a_scatter_point_does(plots, point, view):
    widget, pair = plots
    for plot, mark in pair:
        plot.getViewBox().setRange(xRange=view[0], yRange=view[1], padding=0)
        mark.setData([point[0]], [point[1]])
    mine, reference = halves(widget)
    assert mine.size() == reference.size()
    assert mine == reference, f"the mark at {point} painted other pixels than a ScatterPlotItem"


def test_a_mark_without_a_point_or_with_several_paints_as_a_scatter_does(plots):
    widget, pair = plots
    for plot, mark in pair:
        plot.getViewBox().setRange(xRange=(0, 40), yRange=(0, 40), padding=0)
        mark.setData([5.0, 25.0], [5.0, 30.0])
    mine, reference = halves(widget)
    assert mine == reference
    for _, mark in pair:
        mark.setData([], [])
    mine, reference = halves(widget)
    assert mine == reference
