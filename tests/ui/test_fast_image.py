"""FastImageItem draws the colours pyqtgraph's ImageItem draws, from its own one-pass conversion."""
import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QImage

from rnn_viz.ui import colormaps as cm
from rnn_viz.ui.views import ALL_VIEWS
from rnn_viz.ui.views.images import FastImageItem, block_mean, colour_index
from tests.ui.synthetic import drawn_view


def _pixels(qimage: QImage) -> np.ndarray:
    """(h, w) uint32 ARGB of ``qimage``, NaN cells (alpha 0) set to 0 so both sides compare equal."""
    img = qimage.convertToFormat(QImage.Format.Format_ARGB32)
    h, w = img.height(), img.width()
    rows = np.frombuffer(img.constBits(), dtype=np.uint32, count=h * img.bytesPerLine() // 4)
    px = rows.reshape(h, img.bytesPerLine() // 4)[:, :w].copy()
    px[(px >> 24) == 0] = 0
    return px


def _converted(item, image, levels, lut):
    item.setLookupTable(lut)
    item.setImage(image, autoLevels=False, levels=levels)
    item.render()
    assert item.qimage is not None
    return _pixels(item.qimage)


@pytest.mark.parametrize("lut", [cm.lookup_table(cm.UNIT), cm.colormap(cm.UNIT).getLookupTable(nPts=256, alpha=True),
                                 np.arange(256, dtype=np.uint8), cm.lookup_table(cm.UNIT)[:200]],
                         ids=["rgb", "rgba", "grey", "200 colours"])
@pytest.mark.parametrize("order", ["row-major", "col-major"])
def test_same_pixels_as_pyqtgraph(lut, order):
    rng = np.random.default_rng(3)
    image = rng.normal(size=(37, 53)) * 2
    image[3, 4] = np.nan
    image[5, :] = np.inf
    image[6, :] = -np.inf
    image[7, 7] = 0.25  # on a colour boundary of the levels below
    for levels in [(-1.0, 1.0), (0.0, 3.0), (2.0, 2.0)]:
        ours = _converted(FastImageItem(axisOrder=order), image, levels, lut)
        theirs = _converted(pg.ImageItem(axisOrder=order), image, levels, lut)
        assert ours.shape == theirs.shape
        differ = np.argwhere(ours != theirs)
        assert differ.size == 0, f"levels {levels}: {len(differ)} pixels differ, first at {differ[:3].tolist()}"


def test_integer_index_images_keep_their_colours():
    lut = cm.lookup_table(cm.UNIT)
    index = np.arange(256, dtype=np.uint8).reshape(16, 16)
    ours = _converted(FastImageItem(axisOrder="row-major"), index, (0, 255), lut)
    theirs = _converted(pg.ImageItem(axisOrder="row-major"), index, (0, 255), lut)
    assert np.array_equal(ours, theirs)


def test_block_mean_is_pyqtgraphs_downsample():
    rng = np.random.default_rng(0)
    image = rng.normal(size=(41, 67))
    image[2, 9] = np.nan
    for fx, fy in [(1, 1), (2, 1), (3, 2), (1, 4), (5, 3)]:
        expected = pg.functions.downsample(pg.functions.downsample(image, fx, axis=1), fy, axis=0)
        np.testing.assert_allclose(block_mean(image, fx, fy), expected, rtol=1e-15, atol=0)
        assert np.isnan(block_mean(image, fx, fy)).sum() == np.isnan(expected).sum()


def test_colour_index_truncates_into_the_levels():
    values = np.array([-5.0, -1.0, -0.999, 0.0, 0.99, 1.0, 7.0])
    assert colour_index(values, (-1.0, 1.0), 256).tolist() == [0, 0, 0, 128, 254, 255, 255]


def test_autodownsampled_image_is_converted_at_screen_size(qtbot):
    widget = pg.GraphicsLayoutWidget()
    qtbot.addWidget(widget)
    widget.resize(200, 150)
    plot = widget.addPlot()
    item = FastImageItem(axisOrder="row-major", autoDownsample=True)
    plot.addItem(item)
    item.setLookupTable(cm.lookup_table(cm.UNIT))
    item.setImage(np.random.default_rng(1).normal(size=(600, 900)), autoLevels=False, levels=(-1, 1))
    plot.setRange(xRange=(0, 900), yRange=(0, 600), padding=0)
    widget.show()
    qtbot.waitExposed(widget)
    widget.grab()
    assert item.qimage is not None
    assert item.qimage.width() < 900 and item.qimage.height() < 600, "drawn at full size, not downsampled"
    assert item.qimage.format() in (QImage.Format.Format_RGB32, QImage.Format.Format_ARGB32)


@pytest.mark.parametrize("name, cls", [(n, c) for n, c, _ in ALL_VIEWS])
def test_every_views_images_take_the_fast_path(qtbot, name, cls):
    view = drawn_view(qtbot, cls)
    view.canvas.grab()
    images = [item for item in view.canvas.scene().items() if isinstance(item, pg.ImageItem)]
    assert all(isinstance(item, FastImageItem) for item in images), f"{name}: a plain ImageItem"
    for item in images:
        if item.image is not None and item.isVisible():
            assert item.qimage.format() in (QImage.Format.Format_RGB32, QImage.Format.Format_ARGB32), \
                f"{name}: an image went through pyqtgraph's conversion"
