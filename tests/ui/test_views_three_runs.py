"""A comparison of three runs: every view draws it with no change in any view (a run is an entry
of ``state.runs``, not a second set of fields)."""
from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from rnn_viz.ui.state import RunView
from rnn_viz.ui.views import ALL_VIEWS, GradientProfileView, TrainingCurvesView
from tests.ui.synthetic import make_config, make_history, make_state, make_trace


def three_runs():
    state = make_state("rnn", 1, T=12, H=5, sample=1, k1=2, k2=3, compare=True)
    c = RunView("C", "truncated k1=1 k2=2", make_trace("rnn", 1, T=12, H=5, bptt="truncated", k1=1, k2=2, seed=7),
                make_history(layers=1, seed=7), make_config("rnn", 1, 5, "truncated", 1, 2), "0:C")
    return replace(state, more_runs=(c,))


def test_the_state_holds_a_tuple_of_runs():
    state = three_runs()
    assert [r.name for r in state.runs] == ["A", "B", "C"] and state.compare
    assert state.run("C").trace is state.more_runs[0].trace and state.run("B").trace is state.trace_b


@pytest.mark.parametrize("name, cls", [(n, c) for n, c, _ in ALL_VIEWS])
def test_every_view_draws_a_three_run_comparison(qtbot, name, cls):
    view = cls()
    qtbot.addWidget(view)
    view.resize(900, 600)
    view.show()
    state = three_runs()
    view.render(state)
    columns, rows = view.csv_table()
    assert len(columns) == rows.shape[1] and rows.shape[0] > 0
    if hasattr(view, "run_selector"):
        box = view.run_selector.box
        assert [box.itemData(i) for i in range(box.count())] == ["A", "B", "C"]
        assert "C: truncated k1=1 k2=2" == box.itemText(2)
        box.setCurrentIndex(2)  # the user picks run C
        _, trace, prefix = view.run_selector.select(state)
        assert trace is state.run("C").trace and prefix.startswith("Run C (truncated k1=1 k2=2)")


def test_gradient_view_has_a_curve_and_a_legend_entry_per_run(qtbot):
    view = GradientProfileView()
    qtbot.addWidget(view)
    view.show()
    state = three_runs()
    view.render(state)
    for i, run in enumerate(state.runs):
        curve = view.run_curves[i][0]
        assert curve.isVisible()
        np.testing.assert_allclose(10 ** curve.getData()[1], run.trace["dL_dh_norm/0"])
    assert view.legend_names == [r.label for r in state.runs] + ["envelope"]
    columns, _ = view.csv_table()
    assert "dL_dh_norm/0 [truncated k1=1 k2=2]" in columns
    view.render(make_state("rnn", 1, T=12, H=5))  # back to one run: the extra curves go
    assert not view.run_curves[2][0].isVisible() and not view.run_curves[1][0].isVisible()


def test_training_curves_draw_every_runs_history(qtbot):
    view = TrainingCurvesView()
    qtbot.addWidget(view)
    view.show()
    state = three_runs()
    view.render(state)
    view.csv_table()  # flushes a throttled redraw
    for i, run in enumerate(state.runs):
        loss = view.run_items[i][0]
        assert loss.isVisible()
        assert np.array_equal(loss.getOriginalDataset()[1], run.history["loss"])
    assert "C: truncated k1=1 k2=2" in view.runs_text.plain_text
    columns, _ = view.csv_table()
    assert "loss [truncated k1=1 k2=2]" in columns
