"""Compare mode: the flow matrix, heatmaps and unrolled graph draw the run chosen in them (the predictions
view draws every run at once: tests/ui/test_predictions_compare.py)."""
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtWidgets import QComboBox

from rnn_viz.ui.views import FlowMatrixView, HiddenStateView, UnrolledGraphView
from rnn_viz.ui.views import readouts as ro
from tests.ui.synthetic import make_state, make_trace

SELECTORS = {FlowMatrixView: "flowRun", HiddenStateView: "heatmapRun", UnrolledGraphView: "graphRun"}


def shown(qtbot, cls):
    widget = cls()
    qtbot.addWidget(widget)
    if isinstance(widget, HiddenStateView):
        widget.set_side_by_side(False)  # one run at a time, chosen in the selector (side by side: its own tests)
        widget.resize(1100, 600)  # room for an LSTM's five columns of >= 150 px plots
        widget.show()
        return widget
    widget.resize(800, 600)
    widget.show()
    return widget


def run_box(view) -> QComboBox:
    return view.findChild(QComboBox, SELECTORS[type(view)])


def title(view) -> str:
    if isinstance(view, HiddenStateView):
        return view.title.plain_text
    return view.plot.titleLabel.text


def choose(view, run: str) -> None:
    box = run_box(view)
    box.setCurrentIndex(box.findData(run))


def panels(view):
    return {(layer, col.key): image for layer, col, _, image in view._panels}


@pytest.mark.parametrize("cls", list(SELECTORS))
def test_the_selector_shows_only_in_compare_mode_and_leaving_it_returns_to_run_a(qtbot, cls):
    view = shown(qtbot, cls)
    single = make_state("rnn", 1, T=12, H=4)
    view.render(single)
    assert not run_box(view).isVisible()
    assert "Run A" not in title(view)
    state = make_state("rnn", 1, T=12, H=4, compare=True)
    view.render(state)
    box = run_box(view)
    assert box.isVisible() and box.count() == 2
    assert state.label_a in box.itemText(0) and state.label_b in box.itemText(1)
    assert f"Run A ({state.label_a})" in title(view)
    choose(view, "B")
    assert f"Run B ({state.label_b})" in title(view)
    view.render(single)
    assert not run_box(view).isVisible() and box.currentData() == "A"
    assert "Run B" not in title(view)


def test_flow_matrix_of_run_b_shows_its_band(qtbot):
    view = shown(qtbot, FlowMatrixView)
    state = make_state("rnn", 1, T=12, k1=4, k2=4, compare=True)
    view.render(state)
    flow_a = state.trace["flow/0"]
    assert np.array_equal(np.isnan(view.log_flow), flow_a <= 0)
    choose(view, "B")
    flow_b = state.trace_b["flow/0"]
    assert np.array_equal(np.isnan(view.log_flow), flow_b <= 0)
    assert np.allclose(view.log_flow[flow_b > 0], np.log10(flow_b[flow_b > 0]))
    assert np.array_equal(view.csv_table()[1][:, 1:], flow_b)
    x, _ = view.band.getData()  # truncated run B: each row's window start is outlined
    assert np.allclose(x[0::2], (np.arange(12) // 4) * 4 - 0.5)
    choose(view, "A")
    assert np.array_equal(view.csv_table()[1][:, 1:], flow_a)
    assert len(view.band.getData()[0] or []) == 0


def test_flow_matrix_keeps_each_runs_last_heavy_trace(qtbot):
    view = shown(qtbot, FlowMatrixView)
    heavy = make_state("rnn", 1, T=10, compare=True)
    cheap = make_state("rnn", 1, T=10, compare=True, heavy=False, seed=7)
    view.render(heavy)
    choose(view, "B")
    view.render(cheap)  # no heavy keys in this update: run B's last matrix stays
    assert np.array_equal(view.csv_table()[1][:, 1:], heavy.trace_b["flow/0"])
    choose(view, "A")
    assert np.array_equal(view.csv_table()[1][:, 1:], heavy.trace["flow/0"])


def test_flow_matrix_of_a_run_b_without_one_yet_is_empty_not_run_as(qtbot):
    view = shown(qtbot, FlowMatrixView)
    state = make_state("rnn", 1, T=10, compare=True)
    view.render(replace(state, trace_b=make_trace("rnn", 1, 10, heavy=False, seed=3)))
    choose(view, "B")
    assert "not computed" in title(view) and "Run B" in title(view)
    assert view.image.image is None and view.csv_table()[1].shape[0] == 0


def test_heatmaps_of_run_b_draw_its_hidden_states(qtbot):
    view = shown(qtbot, HiddenStateView)
    state = make_state("rnn", 2, T=8, H=4, sample=2, compare=True)
    view.render(state)
    choose(view, "B")
    for l in range(2):
        assert np.array_equal(panels(view)[(l, "hidden")].image, state.trace_b[f"hidden/{l}"][2].T)


def test_heatmaps_follow_run_bs_cell_with_its_cell_state_and_gradient(qtbot):
    view = shown(qtbot, HiddenStateView)
    state = make_state("rnn", 1, T=9, H=4, sample=1, compare=True)
    lstm = make_trace("lstm", 1, T=9, H=4, seed=4)
    lstm["dL_dc/0"] = np.random.default_rng(0).normal(size=(4, 9, 4)) * np.logspace(-6, 0, 9)[None, :, None]
    state = replace(state, trace_b=lstm, label_b="LSTM")
    view.render(state)
    assert set(key for _, key in panels(view)) == {"hidden"}
    choose(view, "B")
    p = panels(view)
    assert set(key for _, key in p) == {"hidden", "cell", "dc", "gates", "candidate"}
    assert np.array_equal(p[(0, "cell")].image, lstm["cell/0"][1].T)
    dc = lstm["dL_dc/0"][1].T
    assert np.allclose(p[(0, "dc")].image, np.log10(np.abs(dc)))
    assert view._bars["dc"].levels() == ro.log_levels(np.abs(dc), 8)
    assert "Run B (LSTM)" in view.title.plain_text and "lstm" in view.title.plain_text
    columns, rows = view.csv_table()
    assert np.array_equal(rows[:, columns.index("dL_dc/0[2]")], lstm["dL_dc/0"][1][:, 2])
    choose(view, "A")
    assert set(key for _, key in panels(view)) == {"hidden"}


def test_unrolled_graph_of_run_b_draws_its_nodes_and_windows(qtbot):
    view = shown(qtbot, UnrolledGraphView)
    state = make_state("rnn", 2, T=12, H=5, sample=1, k1=4, k2=4, compare=True)
    view.render(state)
    assert "full BPTT" in title(view)
    choose(view, "B")
    expected = np.stack([ro.mean_abs(state.trace_b[f"hidden/{l}"][1]) for l in range(2)])
    assert np.array_equal(view._node_values, expected)
    columns, rows = view.csv_table()
    assert np.array_equal(rows[:, columns.index("dL_dh_norm_sample/1")], state.trace_b["dL_dh_norm_sample/1"][1])
    assert np.array_equal(rows[:, columns.index("window_start")], state.trace_b["window_start"])
    assert "truncated BPTT" in title(view)


def test_unrolled_graph_of_an_lstm_run_b_has_its_layers(qtbot):
    view = shown(qtbot, UnrolledGraphView)
    state = make_state("rnn", 1, T=10, H=4, compare=True)
    view.render(replace(state, trace_b=make_trace("lstm", 2, T=10, H=4, seed=2)))
    choose(view, "B")
    assert view._L == 2 and view.node_bar.levels() == (0.0, 1.0)


def test_a_redraw_without_a_change_keeps_the_items(qtbot):
    view = shown(qtbot, HiddenStateView)
    state = make_state("rnn", 1, T=8, H=4, compare=True)
    view.render(state)
    choose(view, "B")
    image = panels(view)[(0, "hidden")]
    drawn = image.image
    view.render(replace(state, time_step=3))
    assert panels(view)[(0, "hidden")] is image and image.image is drawn
