"""Plot items set only where something changed (rnn_viz/ui/views/item_updates.py)."""
from __future__ import annotations

import numpy as np
import pyqtgraph as pg

from rnn_viz.ui.views.item_updates import set_curve, steps


def _counting(item: pg.PlotCurveItem) -> list:
    calls = []
    item.sigPlotChanged.connect(lambda *_: calls.append(1))
    return calls


def test_set_curve_sets_new_values_and_skips_the_same_ones(qtbot):
    item = pg.PlotCurveItem()
    calls = _counting(item)
    x, y = steps(4), np.array([1.0, np.nan, 3.0, 4.0])
    set_curve(item, x, y)
    set_curve(item, x, y.copy())  # equal values (NaN equal to NaN): nothing to do
    assert len(calls) == 1
    set_curve(item, x, np.array([1.0, 2.0, 3.0, 4.0]))
    assert len(calls) == 2 and item.yData[1] == 2.0
    item.setData([0.0], [9.0])  # set from elsewhere: the next set_curve must not trust its memory
    set_curve(item, x, np.array([1.0, 2.0, 3.0, 4.0]))
    assert len(calls) == 4 and list(item.yData) == [1.0, 2.0, 3.0, 4.0]


def test_steps_are_shared_and_read_only():
    x = steps(5)
    assert x is steps(5) and list(x) == [0.0, 1.0, 2.0, 3.0, 4.0] and not x.flags.writeable
