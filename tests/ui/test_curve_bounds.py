"""Curves' quick data bounds (rnn_viz.ui.views.curve_bounds): the numbers pyqtgraph's own
dataBounds gives, and not worked out again when only the view's range moves."""
import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtWidgets import QApplication

from rnn_viz.ui.views import ALL_VIEWS, curve_bounds
from rnn_viz.ui.views.curve_bounds import has_quick_bounds, quick_bounds
from tests.ui.synthetic import drawn_view


def _curve(qtbot, x, y, **opts):
    widget = pg.PlotWidget()
    qtbot.addWidget(widget)
    widget.resize(300, 200)
    widget.show()
    curve = pg.PlotCurveItem(x, y, **opts)
    widget.addItem(curve)
    QApplication.processEvents()
    return widget, curve


RNG = np.random.default_rng(7)
CASES = {
    "plain": (np.arange(50.0), RNG.normal(size=50)),
    "nan": (np.arange(50.0), np.where(RNG.random(50) < 0.3, np.nan, RNG.normal(size=50))),
    "all nan": (np.arange(5.0), np.full(5, np.nan)),
    "inf": (np.arange(6.0), np.array([1.0, np.inf, -2.0, np.nan, -np.inf, 3.0])),
    "only inf": (np.arange(3.0), np.array([np.inf, -np.inf, np.nan])),
    "ints": (np.arange(10), RNG.integers(-5, 5, size=10)),
    "float32": (np.arange(20, dtype=np.float32), RNG.normal(size=20).astype(np.float32)),
    "log-like": (np.arange(30.0), np.log10(RNG.random(30) * 1e-3)),
}
OPTS = {
    "cosmetic": {},
    "fill": {"fillLevel": -7.5, "brush": "r"},
    "wide non-cosmetic pen": {"pen": pg.mkPen("b", width=3, cosmetic=False)},
}


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("opt", OPTS)
def test_quick_bounds_are_pyqtgraphs_bounds(qtbot, case, opt):
    x, y = CASES[case]
    _, plain = _curve(qtbot, x, y, **OPTS[opt])
    _, quick = _curve(qtbot, x, y, **OPTS[opt])
    quick_bounds([quick])
    assert has_quick_bounds(quick) and not has_quick_bounds(plain)
    for ax in (0, 1):
        for args in ((), (0.9,), (1.0, (10, 30))):  # the last two are pyqtgraph's own path
            expected, got = plain.dataBounds(ax, *args), quick.dataBounds(ax, *args)
            np.testing.assert_equal(got, expected, err_msg=f"{case} {opt} ax {ax} {args}")
            assert [type(v) for v in got] == [type(v) for v in expected]
    # the bounding rect of the same curve (same view, same pixel padding), quick and pyqtgraph's
    quick.invalidateBounds()
    quick_rect = quick.boundingRect().getRect()
    del quick.dataBounds  # pyqtgraph's own again
    quick.invalidateBounds()
    np.testing.assert_equal(quick_rect, quick.boundingRect().getRect())


def test_empty_and_missing_data_have_no_bounds(qtbot):
    _, curve = _curve(qtbot, np.zeros(0), np.zeros(0))
    quick_bounds([curve])
    assert curve.dataBounds(0) == (None, None) and curve.dataBounds(1) == (None, None)
    curve.setData(np.arange(3.0), np.array([1.0, 2.0, 5.0]))
    assert curve.dataBounds(1) == (1.0, 5.0)


def _count_ranges(monkeypatch):
    calls = []
    original = curve_bounds._full_range

    def counting(d):
        calls.append(len(d))
        return original(d)

    monkeypatch.setattr(curve_bounds, "_full_range", counting)
    return calls


def test_a_moved_view_keeps_the_data_bounds_and_new_data_gets_new_ones(qtbot, monkeypatch):
    widget, curve = _curve(qtbot, np.arange(100.0), np.zeros(100))
    quick_bounds([curve])
    calls = _count_ranges(monkeypatch)
    curve.setData(np.arange(100.0), np.linspace(-1, 1, 100))
    widget.setRange(xRange=(0, 100), yRange=(-2, 2), padding=0)
    QApplication.processEvents()
    first = curve.boundingRect()
    assert len(calls) == 2  # x and y
    for hi in (50, 80, 20):
        widget.setXRange(0, hi, padding=0)
        QApplication.processEvents()
        rect = curve.boundingRect()  # padded for the new pixel size, from the kept bounds
        assert rect.top() < -1 and rect.bottom() > 1
    assert len(calls) == 2, "the same data's bounds were worked out again for a new view range"
    assert first.height() != rect.height() or first.width() != rect.width()  # the padding followed
    curve.setData(np.arange(100.0), np.linspace(-3, 4, 100))
    rect = curve.boundingRect()
    assert len(calls) == 4 and rect.top() < -3 and rect.bottom() > 4
    assert curve.dataBounds(1) == (-3.0, 4.0)


def test_a_new_pen_or_fill_level_gets_new_bounds(qtbot, monkeypatch):
    _, curve = _curve(qtbot, np.arange(10.0), np.linspace(0, 1, 10))
    quick_bounds([curve])
    assert curve.dataBounds(1) == (0.0, 1.0)
    curve.setPen(pg.mkPen("k", width=2, cosmetic=False))
    lo, hi = curve.dataBounds(1)
    assert lo == pytest.approx(-2 * 0.7072) and hi == pytest.approx(1 + 2 * 0.7072)
    curve.setPen(pg.mkPen("k"))
    curve.setFillLevel(-4.0)
    curve.setBrush("r")
    assert curve.dataBounds(1) == (-4.0, 1.0)


@pytest.mark.parametrize("name, cls", [(n, c) for n, c, _ in ALL_VIEWS])
def test_every_curve_of_a_view_has_quick_bounds(qtbot, name, cls):
    view = drawn_view(qtbot, cls)
    curves = [item for item in view.canvas.scene().items() if isinstance(item, pg.PlotCurveItem)]
    assert curves or name == "heatmaps", f"{name} has no curve"  # heatmaps draws images only
    assert all(has_quick_bounds(c) for c in curves), name
