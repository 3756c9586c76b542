"""Axes are painted from a pixmap cache on screen, and afresh into exported files."""
from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtWidgets import QGraphicsItem

from rnn_viz.ui.views import GradientProfileView
from rnn_viz.ui.views.axes import AXIS_CACHE
from tests.ui.synthetic import make_state, shown_view


def _axes(view):
    return [i for i in view.canvas.scene().items() if isinstance(i, pg.AxisItem) and i.isVisible()]


def test_axes_are_cached_on_screen_and_not_while_exporting(qtbot):
    view = shown_view(qtbot, GradientProfileView())
    view.render(make_state("rnn", 2))
    axes = _axes(view)
    assert axes and all(a.cacheMode() == AXIS_CACHE for a in axes)
    view.set_export_mode(True)
    assert all(a.cacheMode() == QGraphicsItem.CacheMode.NoCache for a in axes)
    view.set_export_mode(False)
    assert all(a.cacheMode() == AXIS_CACHE for a in axes)
