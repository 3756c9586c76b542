"""The flow matrix shows log10 F of the flow sample; truncation is a band; the inspector shows the chain."""
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication

from rnn_viz.engine.analysis import jacobian_chain
from rnn_viz.ui.views import FlowMatrixView
from tests.ui.synthetic import make_state


@pytest.fixture
def view(qtbot):
    widget = FlowMatrixView()
    qtbot.addWidget(widget)
    widget.resize(700, 700)
    widget.show()
    return widget


def test_image_is_log10_of_the_flow_matrix(view):
    state = make_state("rnn", 2, T=15, flow_sample=2)
    view.render(state)
    flow = state.trace["flow/0"]
    shown = view.log_flow
    assert np.array_equal(np.isnan(shown), flow <= 0)
    assert np.allclose(shown[flow > 0], np.log10(flow[flow > 0]))
    assert np.all(np.isnan(shown[np.triu_indices(15, 1)])), "above the diagonal must be empty"
    lo, hi = view.color_bar.levels()
    assert hi == np.ceil(np.log10(flow.max())) and hi - lo == 8
    # the image: colour indices over the 8 decades, 255 (grey) where there is no path
    index = view.image.image
    expected = np.clip(np.rint((shown - lo) / 8 * 254), 0, 254)
    assert np.array_equal(index == 255, flow <= 0)
    assert np.array_equal(index[flow > 0], expected[flow > 0])
    assert "sample 2" in view.plot.titleLabel.text
    columns, rows = view.csv_table()
    assert columns[:2] == ["t", "F[t,0]"] and np.array_equal(rows[:, 1:], flow)


def test_truncated_bptt_makes_the_matrix_banded(view):
    state = make_state("rnn", 1, T=12, bptt="truncated", k1=4, k2=4)
    view.render(state)
    shown = view.log_flow
    t, k = np.indices(shown.shape)
    outside = (k < (t // 4) * 4) | (k > t)
    assert np.all(np.isnan(shown[outside])) and not np.any(np.isnan(shown[~outside]))
    x, y = view.band.getData()
    assert np.allclose(x[0::2], (np.arange(12) // 4) * 4 - 0.5)
    view.render(make_state("rnn", 1, T=12, bptt="full", seed=3))
    assert view.band.getData()[0] is None or len(view.band.getData()[0]) == 0


def test_clicking_a_cell_shows_its_jacobian_chain(view, qtbot):
    state = make_state("rnn", 1, T=20, decay=0.8)
    view.render(state)
    QApplication.processEvents()
    point = view.canvas.mapFromScene(view.plot.getViewBox().mapViewToScene(QPointF(6, 15)))
    with qtbot.waitSignal(view.timeStepSelected) as blocker:
        qtbot.mouseClick(view.canvas.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert blocker.args == [6]
    jac, flow = state.trace["jacobian_norm/0"], state.trace["flow/0"]
    factors, product = jacobian_chain(jac, 6, 15)
    assert view.inspected["t"] == 15 and view.inspected["k"] == 6
    assert np.array_equal(view.inspected["factors"], factors)
    x, y = view.factors_item.getData()  # bars from 1 on a log axis: edges s - 0.5, s + 0.5
    assert np.allclose(x, np.arange(6.5, 16)) and np.allclose(10 ** y, factors)
    bx, by = view.bound_item.getData()
    assert 10 ** by[0] == pytest.approx(product) and by[-1] == 0.0
    ratio = flow[15, 6] / flow[15, 15]
    assert view.inspected["ratio"] == pytest.approx(ratio)
    text = view.chain_text.plain_text
    assert f"{product:.3g}" in text and f"{ratio:.3g}" in text and "h_6 → h_15" in text


def test_inspector_follows_the_selected_step_and_rejects_k_after_t(view):
    state = make_state("rnn", 1, T=10, loss_at="last", time_step=3)
    view.render(state)
    assert view.inspected["t"] == 9 and view.inspected["k"] == 3  # default row: the last loss step
    view.render(replace(state, time_step=5))
    assert view.inspected["k"] == 5
    view._row = 4
    view.render(replace(state, time_step=7))
    assert view.inspected == {} and "after t = 4" in view.chain_text.plain_text


def test_traces_without_the_heavy_part_keep_the_last_matrix(view):
    state = make_state("rnn", 1, T=10)
    view.render(state)
    drawn = view.image.image.copy()
    view.render(make_state("rnn", 1, T=10, heavy=False, seed=5))
    assert np.array_equal(view.image.image, drawn, equal_nan=True)


def test_never_computed_says_so(view):
    view.render(make_state("rnn", 1, T=10, heavy=False))
    assert "not computed" in view.plot.titleLabel.text


def test_layer_selector_switches_the_matrix(view):
    state = make_state("lstm", 2, T=10)
    view.render(state)
    assert view.layer_box.count() == 2
    view.layer_box.setCurrentIndex(1)
    flow = state.trace["flow/1"]
    assert np.allclose(view.log_flow[flow > 0], np.log10(flow[flow > 0]))


def test_inspecting_across_a_truncation_cut_says_so(view):
    state = make_state("rnn", 1, T=12, bptt="truncated", k1=4, k2=4, time_step=2)
    view.render(state)  # default row: the last loss step, 11, whose window starts at 8
    assert view.inspected["ratio"] == 0.0
    assert "window of t starts at 8" in view.chain_text.plain_text


def test_a_short_path_is_labelled_on_whole_steps(view, qtbot):
    state = make_state("rnn", 1, T=24, loss_at="last", time_step=22)
    view.render(state)
    axis = view.chain_plot.getAxis("bottom")
    qtbot.waitUntil(lambda: view.chain_plot.viewRange()[0][1] - view.chain_plot.viewRange()[0][0] < 3)
    lo, hi = view.chain_plot.viewRange()[0]
    ticks = [v for _, values in axis.tickValues(lo, hi, axis.width()) for v in values]
    assert ticks and all(float(v).is_integer() for v in ticks)


def test_a_trace_with_only_the_kept_rows_draws_those_rows(view):
    from rnn_viz.ui.views.flow import resolve_chain, resolve_flow
    state = make_state("gru", 2, T=15, flow_sample=1)
    full = dict(state.trace)
    kept = np.array([2, 6, 10, 14], dtype=np.int64)
    window = {k: v for k, v in full.items() if not k.startswith("flow/")}
    window["flow_rows"] = kept
    for l in range(2):
        window[f"flow_window/{l}"] = full[f"flow/{l}"][kept]
    frame, whole = resolve_flow(window, 1), resolve_flow(full, 1)
    assert frame.rows.tolist() == kept.tolist() and frame.T == 15 and frame.flow.shape == (4, 15)
    assert np.array_equal(frame.log_flow, whole.log_flow[kept], equal_nan=True)
    assert np.array_equal(frame.index, whole.index[kept]) and frame.levels == whole.levels
    assert frame.default_row == whole.default_row == 14
    for row, k in ((None, 3), (14, 9), (6, 2)):  # kept rows: the same inspector as the whole matrix
        got, want = resolve_chain(frame, row, k), resolve_chain(whole, row, k)
        assert got.text == want.text and [n for n, _ in got.inspected] == [n for n, _ in want.inspected]
        for (_, a), (_, b) in zip(got.inspected, want.inspected):
            np.testing.assert_array_equal(a, b)
    assert dict(resolve_chain(frame, 7, 3).inspected)["t"] == 6  # the nearest kept row stands in
    view.render(replace(state, trace=window))
    assert view.image.image.shape == (4, 15) and view.csv_table()[1][:, 0].tolist() == kept.tolist()


def test_an_unchanged_compare_state_paints_nothing(qtbot):
    from PySide6.QtCore import QEvent, QObject

    widget = FlowMatrixView()
    qtbot.addWidget(widget)
    widget.resize(1100, 700)  # room for both runs side by side
    widget.show()
    qtbot.waitExposed(widget)
    state = make_state("lstm", 2, T=30, H=6, compare=True, time_step=4)
    widget.render(state)

    painted = []

    class Counter(QObject):
        def eventFilter(self, obj, event):
            if event.type() == QEvent.Type.Paint:
                painted.append(1)
            return False

    def settle():
        for _ in range(4):
            QApplication.processEvents()
            qtbot.wait(5)

    settle()
    assert len(widget.shown_panels) == 2
    counter = Counter()
    widget.canvas.viewport().installEventFilter(counter)
    widget.render(replace(state, time_step=4))
    settle()
    assert painted == [], "run B's panel (no marked cell) was drawn again for an unchanged state"
