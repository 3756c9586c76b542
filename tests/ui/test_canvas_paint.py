"""How a view's canvas paints: its text keeps its shaping between paints, its background is
filled once per paint (not by Qt first and then by the canvas, not from a cached pixmap)."""
import pyqtgraph as pg
import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor, QImage, QPainter
from PySide6.QtWidgets import QApplication, QGraphicsTextItem, QGraphicsView, QWidget

from rnn_viz.ui import colormaps as cm
from rnn_viz.ui.views import ALL_VIEWS
from rnn_viz.ui.views import base
from rnn_viz.ui.views.labels import WrappingLabel
from rnn_viz.ui.views.text_layout import keep_text_layouts, layouts_kept
from tests.ui.synthetic import make_state, shown_view

VIEWS = [(n, c) for n, c, _ in ALL_VIEWS]


def _text_items(view):
    return [item for item in view.canvas.scene().items() if isinstance(item, QGraphicsTextItem)]


@pytest.mark.parametrize("name, cls", VIEWS)
def test_every_text_of_a_view_keeps_its_shaping_across_new_frames(qtbot, name, cls, monkeypatch):
    # the view lists its items at most once a PEN_ITEMS_SECONDS: text made for a new cell's panels
    # is kept from the next listing on; here every frame lists
    monkeypatch.setattr(base, "PEN_ITEMS_SECONDS", 0.0)
    view = shown_view(qtbot, cls())
    for seed, cell in enumerate(("lstm", "rnn", "gru")):  # new titles, readouts and axis labels
        view.render(make_state(cell, 2, T=30, H=6, time_step=seed + 3, seed=seed))
        QApplication.processEvents()
    texts = _text_items(view)
    assert texts, f"{name} has no text item"
    lost = [item.toPlainText() for item in texts if not layouts_kept(item)]
    assert lost == [], f"{name}: text shaped again at every paint: {lost}"


def test_a_label_keeps_its_shaping_after_its_text_changes(qtbot):
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    label = WrappingLabel("loss 0.25", size="9pt")
    widget.addItem(label)
    widget.show()
    keep_text_layouts([label.item])
    assert layouts_kept(label.item)
    label.setText("loss 0.5<br>on two lines<br>and a third")  # new blocks in the same document
    assert label.item.document().blockCount() >= 1 and layouts_kept(label.item)
    keep_text_layouts([label.item])  # a second call adds no second keeper
    assert len(label.item.document().children()) == len(set(label.item.document().children()))


def test_kept_shaping_draws_the_same_pixels(qtbot):
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    widget.resize(300, 120)
    label = WrappingLabel("‖dL/dh‖ per step · 10⁻³", size="10pt")
    widget.addItem(label)
    widget.show()
    qtbot.waitExposed(widget)
    before = widget.grab().toImage()
    keep_text_layouts([label.item])
    widget.viewport().repaint()
    assert widget.grab().toImage() == before
    assert widget.grab().toImage() == before  # drawn again from the kept shaping


@pytest.mark.parametrize("name, cls", VIEWS)
def test_qt_does_not_fill_a_canvas_before_the_canvas_paints_its_background(qtbot, name, cls):
    view = shown_view(qtbot, cls())
    view.render(make_state("lstm", 2, T=20, H=6, time_step=5))
    QApplication.processEvents()
    viewport = view.canvas.viewport()
    sentinel = QColor("#ff00ff")
    # Without its own background, the canvas leaves alone whatever is under its items; a
    # viewport Qt fills with its palette first would show that palette there instead.
    view.canvas.setBackgroundBrush(Qt.BrushStyle.NoBrush)
    image = QImage(viewport.size(), QImage.Format.Format_ARGB32)
    image.fill(sentinel)
    painter = QPainter(image)
    viewport.render(painter, QPoint(0, 0))
    painter.end()
    assert image.pixelColor(1, viewport.height() - 2) == sentinel, f"{name}: the viewport was filled first"


@pytest.mark.parametrize("name, cls", VIEWS)
def test_a_canvas_paints_its_background_colour_itself_on_every_paint(qtbot, name, cls, monkeypatch):
    backgrounds = []
    original = QGraphicsView.drawBackground

    def counting(self, painter, rect):
        backgrounds.append(self)
        return original(self, painter, rect)

    monkeypatch.setattr(pg.GraphicsLayoutWidget, "drawBackground", counting, raising=False)
    view = shown_view(qtbot, cls())
    view.render(make_state("lstm", 2, T=20, H=6, time_step=5))
    QApplication.processEvents()
    image = view.canvas.grab().toImage()
    assert image.pixelColor(1, image.height() - 2) == QColor(cm.BACKGROUND)  # the same white as before
    backgrounds.clear()
    for _ in range(3):
        view.canvas.viewport().repaint()
    # a cached background would be drawn once into its pixmap and copied afterwards
    assert backgrounds.count(view.canvas) == 3, f"{name}: background drawn {backgrounds.count(view.canvas)} times"


def test_a_plain_widget_is_still_filled_so_the_sentinel_test_can_fail(qtbot):
    # The check above, on a viewport Qt does fill: the sentinel is painted over.
    view = pg.GraphicsLayoutWidget()
    qtbot.addWidget(view)
    view.resize(200, 100)
    view.show()
    view.setBackgroundBrush(Qt.BrushStyle.NoBrush)
    viewport: QWidget = view.viewport()
    image = QImage(viewport.size(), QImage.Format.Format_ARGB32)
    image.fill(QColor("#ff00ff"))
    painter = QPainter(image)
    viewport.render(painter, QPoint(0, 0))
    painter.end()
    assert image.pixelColor(1, viewport.height() - 2) != QColor("#ff00ff")
