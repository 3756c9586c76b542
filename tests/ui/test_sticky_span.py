"""A followed plot's value axis keeps its span for small moves of the data and follows big ones."""
from __future__ import annotations

from dataclasses import replace

import pytest

from rnn_viz.ui.views import PredictionsView
from rnn_viz.ui.views.base import KEEP_SPAN_SHARE, _keeps
from tests.ui.synthetic import make_state, shown_view


@pytest.mark.parametrize("data, kept", [
    ((-1.0, 1.0), True),                       # the same span
    ((-0.6, 0.5), True),                       # inside, filling 55%
    ((-0.5, 0.45), False),                     # inside, filling 47.5%: shrinks
    ((-1.0, 1.2), False),                      # over the top: grows at once
    ((-1.2, 0.0), False),                      # below the bottom
])
def test_keeps_inside_spans_that_fill_most_of_it(data, kept):
    assert KEEP_SPAN_SHARE == 0.5
    assert _keeps((-1.0, 1.0), data) is kept


def _scaled(state, factor):
    trace = dict(state.trace)
    trace["targets"], trace["predictions"] = trace["targets"] * factor, trace["predictions"] * factor
    return replace(state, trace=trace)


def _y_range(view):
    return tuple(view.plot.getViewBox().viewRange()[1])


def test_predictions_axis_holds_for_a_small_move_and_follows_a_big_one(qtbot):
    view = shown_view(qtbot, PredictionsView())
    state = make_state("rnn", 1)
    view.render(state)
    shown = _y_range(view)
    view.render(_scaled(state, 0.7))  # its own nice span would be half as tall
    assert _y_range(view) == shown
    view.render(_scaled(state, 0.2))
    small = _y_range(view)
    assert small[1] - small[0] < 0.5 * (shown[1] - shown[0])
    view.render(_scaled(state, 3.0))
    big = _y_range(view)
    assert big[1] - big[0] > shown[1] - shown[0]
