"""The unrolled graph draws the trace's numbers (node colours, binned edges, cuts, losses, windows) and
stays legible at any length and depth: a detail window of readable steps, an overview of all of them."""
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QApplication

from rnn_viz.ui import colormaps as cm
from rnn_viz.ui.views import UnrolledGraphView
from rnn_viz.ui.views import graph_lod as lod
from rnn_viz.ui.views.graph import N_BINS, NODE_LEVELS
from tests.ui.synthetic import make_state


@pytest.fixture
def view(qtbot):
    widget = UnrolledGraphView()
    qtbot.addWidget(widget)
    widget.resize(900, 450)
    widget.show()
    QApplication.processEvents()
    return widget


def segments(item) -> set[tuple[float, float, float, float]]:
    x, y = item.getData()
    if x is None:
        return set()
    return {tuple(s) for s in np.column_stack([x[0::2], y[0::2], x[1::2], y[1::2]]).tolist()}


def test_edges_carry_the_samples_gradient_binned_by_decade(view):
    state = make_state("rnn", 2, T=12, H=5, bptt="truncated", k1=4, k2=4, sample=1, decay=0.3)
    view.render(state)
    tr, b = state.trace, 1
    grads = [tr[f"dL_dh_norm_sample/{l}"][b] for l in range(2)]
    cut_into = {4, 8}  # windows [0,3], [4,7], [8,11]: nothing crosses 3->4 or 7->8
    expected = {}
    for l, g in enumerate(grads):
        row = l + 1.0
        for t in range(12):
            expected[(float(t), row - 1, float(t), row)] = g[t]
            if t > 0 and t not in cut_into:
                expected[(t - 1.0, row, float(t), row)] = g[t]
    top = max(expected.values())
    drawn = {}
    for i, item in enumerate(view.edge_items):
        for seg in segments(item):
            drawn[seg] = i
    assert set(drawn) == set(expected)
    for seg, i in drawn.items():
        decades = int(np.floor(np.log10(top / expected[seg])))
        assert i == max(N_BINS - 1 - decades, 0), f"edge {seg} in bin {i}"
    cut = segments(view.cut_item)
    assert cut == {(t - 1.0, l + 1.0, float(t), l + 1.0) for t in cut_into for l in range(2)}


def test_edges_keep_the_width_of_their_decade_and_loss_edges_theirs(view):
    # a new view's first frames too: the views cap curves' pens at 1 px, never these segments (the
    # loss edge at T-1 is outside the first window, so it gets its first data in the second frame)
    state = make_state("rnn", 2, T=100, H=5, loss_at="last", decay=0.3)
    for time_step in (3, 99):
        view.render(replace(state, time_step=time_step))
        QApplication.processEvents()
        drawn = [item for item in view.edge_items + [view.loss_edge_item] if item.getData()[0] is not None
                 and len(item.getData()[0])]
        assert len(drawn) >= 1 + (time_step == 99) and (view.loss_edge_item in drawn) == (time_step == 99)
        for item in drawn:
            assert item.curve.opts["pen"].widthF() == pytest.approx(item.opts["pen"].widthF())
    assert view.loss_edge_item.curve.opts["pen"].widthF() == pytest.approx(1.5)


def test_input_nodes_are_squares_and_every_node_is_placed_once(view):
    view.render(make_state("lstm", 2, T=10, H=4))
    QApplication.processEvents()
    symbols = [list(row.data["symbol"]) for row in (view.input_nodes, view.hidden_nodes, view.output_nodes)]
    assert symbols == [["s"] * 10, ["o"] * 20, ["o"] * 10]
    places = {(x, y) for x, y in zip(view.nodes.data["x"], view.nodes.data["y"])}
    assert len(view.nodes.data) == len(places) == 40
    assert places == {(float(t), float(row)) for t in range(10) for row in range(4)}


def test_full_bptt_has_no_cut_edges_and_no_windows(view):
    view.render(make_state("rnn", 1, T=8, bptt="full"))
    assert segments(view.cut_item) == set()
    assert all(item.path().isEmpty() for item in view._window_paths)
    assert view.reach_item.getData()[0] is None or len(view.reach_item.getData()[0]) == 0


def test_truncation_windows_are_shaded_and_listed(view):
    state = make_state("rnn", 1, T=12, bptt="truncated", k1=4, k2=4)
    view.render(state)
    x, _ = view.reach_item.getData()
    assert np.allclose(x.reshape(-1, 2), [[-0.3, 3.3], [3.7, 7.3], [7.7, 11.3]])
    shaded = [item.path().boundingRect() for item in view._window_paths]
    # windows [0, 3] and [8, 11] in one tint, [4, 7] in the other
    assert (shaded[0].left(), shaded[0].right()) == pytest.approx((-0.5, 11.5))
    assert (shaded[1].left(), shaded[1].right()) == pytest.approx((3.5, 7.5))


def test_node_colours_are_mean_abs_hidden_of_the_selected_sample(view):
    state = make_state("lstm", 2, T=10, H=6, sample=2)
    view.render(state)
    values = np.stack([np.abs(state.trace[f"hidden/{l}"][2]).mean(axis=1) for l in range(2)])
    table = cm.brush_table(cm.UNIT, NODE_LEVELS)
    expected = [table[i] for i in np.rint(values * (NODE_LEVELS - 1)).astype(int).ravel()]
    assert list(view.hidden_nodes.data["brush"]) == expected
    columns, rows = view.csv_table()
    assert columns[:3] == ["t", "loss_step", "window_start"]
    assert np.allclose(rows[:, columns.index("mean_abs_h/1")], values[1])
    assert np.allclose(rows[:, columns.index("dL_dh_norm_sample/0")], state.trace["dL_dh_norm_sample/0"][2])


def test_loss_steps_are_marked(view):
    state = make_state("rnn", 1, T=9, loss_at="last")
    view.render(state)
    assert segments(view.loss_edge_item) == {(8.0, 1.0, 8.0, 2.0)}
    brushes = view.output_nodes.data["brush"]
    assert [b is view.primary.loss_brush for b in brushes] == [False] * 8 + [True]


def test_a_long_sequence_shows_a_readable_window_and_an_overview_of_every_step(view):
    state = make_state("rnn", 2, T=500, H=4, time_step=300)
    view.render(state)
    QApplication.processEvents()
    first, last = view.window
    assert first <= 300 <= last and view.overview.isVisible()
    xs = view.hidden_nodes.data["x"]
    assert xs.min() >= first - 1 and xs.max() <= last + 1  # only the window's nodes are placed
    assert view.window_label.text() == f"detail: steps {first}–{last} of 500"
    view.plot.setXRange(99.5, 120.5, padding=0)  # the wheel or a drag on the detail
    QApplication.processEvents()
    assert view.window == (100, 120) and view.region.getRegion() == pytest.approx((99.5, 120.5))
    xs = view.hidden_nodes.data["x"]
    assert xs.min() >= 99 and xs.max() <= 121


def test_clicking_a_node_selects_its_time_step(view, qtbot):
    view.render(make_state("rnn", 2, T=10))
    QApplication.processEvents()
    vb = view.plot.getViewBox()
    point = view.canvas.mapFromScene(vb.mapViewToScene(QPointF(6, 2)))
    with qtbot.waitSignal(view.timeStepSelected) as blocker:
        qtbot.mouseClick(view.canvas.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert blocker.args == [6]


def test_hover_shows_the_nodes_values(view):
    state = make_state("rnn", 2, T=10, sample=1)
    view.render(state)
    QApplication.processEvents()
    scene_pos = view.plot.getViewBox().mapViewToScene(QPointF(4, 2))
    view.canvas.scene().sigMouseMoved.emit(scene_pos)
    text = view.readout.text()
    h = np.abs(state.trace["hidden/1"][1, 4]).mean()
    g = state.trace["dL_dh_norm_sample/1"][1, 4]
    assert "layer 1, t = 4" in text and f"{h:.3g}" in text and f"{g:.3g}" in text


def test_selected_time_step_is_marked(view):
    view.render(make_state("rnn", 1, T=10, time_step=7))
    assert view.selection.value() == 7


def test_a_new_model_starts_the_node_colour_scale_afresh(view):
    # Defect: the node bar's "grow only" scale survived Reset and open (a diverged run's +-4000
    # left the next model's nodes all one colour).
    from dataclasses import replace

    from tests.ui.synthetic import make_config
    state = make_state("rnn", 1, T=8, H=4)
    config = make_config("rnn", 1, activation="relu")
    huge = dict(state.trace)
    huge["hidden/0"] = np.abs(state.trace["hidden/0"]) * 4000
    view.render(replace(state, trace=huge, config=config, model_id=1))
    assert view.node_bar.levels()[1] >= 1000
    fresh = dict(state.trace)
    fresh["hidden/0"] = np.full_like(state.trace["hidden/0"], 1.5)
    view.render(replace(state, trace=fresh, config=config, model_id=2))
    assert view.node_bar.levels() == (0.0, 2.0)


def test_short_sequences_show_every_step_and_no_overview(view):
    view.render(make_state("lstm", 3, T=12, H=4))
    QApplication.processEvents()
    assert view.window == (0, 11) and not view.overview.isVisible()
    assert not view.buttons["back"].isEnabled() and not view.buttons["forward"].isEnabled()


def test_zoom_and_pan_buttons_move_the_window_and_the_selection_brings_it_back(view, qtbot):
    view.render(make_state("rnn", 1, T=400, H=4, time_step=200))
    QApplication.processEvents()
    first, last = view.window
    steps = last - first + 1
    qtbot.mouseClick(view.buttons["zoom_in"], Qt.MouseButton.LeftButton)
    f2, l2 = view.window
    assert l2 - f2 + 1 < steps and f2 <= 200 <= l2
    qtbot.mouseClick(view.buttons["zoom_out"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(view.buttons["zoom_out"], Qt.MouseButton.LeftButton)
    f3, l3 = view.window
    assert l3 - f3 + 1 > steps
    # never zoomed out past readable spacing
    assert (l3 - f3 + 1) * lod.MIN_PX_PER_STEP <= view.plot.getViewBox().width() + 1
    qtbot.mouseClick(view.buttons["forward"], Qt.MouseButton.LeftButton)
    f4, l4 = view.window
    assert f4 > f3 and l4 - f4 == l3 - f3
    view.render(make_state("rnn", 1, T=400, H=4, time_step=20))  # select a step outside the window
    f5, l5 = view.window
    assert f5 <= 20 <= l5 and l5 - f5 == l3 - f3


def test_dragging_the_overview_box_pans_the_detail(view):
    view.render(make_state("rnn", 2, T=1000, H=4, time_step=500))
    QApplication.processEvents()
    first, last = view.window
    view.region.setRegion((699.5, 699.5 + last - first + 1))
    assert view.window == (700, 700 + last - first)
    assert view.plot.getViewBox().viewRange()[0] == pytest.approx([699.5, 700.5 + last - first])


def test_the_selected_steps_backward_window_is_marked_in_both_plots(view):
    state = make_state("rnn", 1, T=400, H=4, bptt="truncated", k1=10, k2=20, time_step=205)
    view.render(state)
    start = state.trace["window_start"][205]
    assert 205 - start + 1 <= 20 + 10 and start > 0
    x, _ = view.reach_of_selected.getData()
    assert list(x) == [start - 0.5, 205.5]
    x, _ = view.overview_reach.getData()
    assert list(x) == [start - 0.5, 205.5]


def test_overview_pixels_are_the_binned_values_in_the_edge_and_node_colours(view):
    state = make_state("lstm", 2, T=1000, H=4, decay=0.5, time_step=10)
    view.render(state)
    frame, image = view.frame, view.strips.image
    assert image.shape == (3 * 2, frame.overview_bins, 4)
    from rnn_viz.ui.views.graph_panel import edge_rgba
    for l in range(2):
        np.testing.assert_array_equal(image[3 * l], edge_rgba()[frame.overview_grad_bins[l] + 1])
        table = cm.lookup_table(cm.UNIT, NODE_LEVELS)
        np.testing.assert_array_equal(image[3 * l + 1], table[frame.overview_node_idx[l]])
    # the strips span every step: columns x bin size reach T, starting at step 0
    rect = view.strips.mapRectToView(view.strips.boundingRect())
    assert rect.left() == pytest.approx(-0.5) and rect.right() >= 999.5
    assert view.overview.getViewBox().viewRange()[0] == pytest.approx([-0.5, 999.5])


def test_compare_draws_every_run_side_by_side(view):
    view.resize(1000, 450)
    state = make_state("rnn", 2, T=60, H=4, compare=True, bptt="full", k1=5, k2=5, time_step=30, sample=1)
    view.render(state)
    QApplication.processEvents()
    a, b = view.panels[:2]
    ra, rb = (p.detail.sceneBoundingRect() for p in (a, b))
    assert ra.right() <= rb.left() and abs(ra.top() - rb.top()) < 1  # side by side, not stacked
    assert ra.height() > 0.5 * view.canvas.height() * 0.5
    table = cm.brush_table(cm.UNIT, NODE_LEVELS)
    for panel, trace in ((a, state.trace), (b, state.trace_b)):
        values = np.stack([np.abs(trace[f"hidden/{l}"][1]).mean(axis=1) for l in range(2)])
        first, last = view.window
        lo, hi = max(first - 1, 0), min(last + 1, 59)
        idx = np.rint(values[:, lo:hi + 1] * (NODE_LEVELS - 1)).astype(int).ravel()
        assert list(panel.hidden_nodes.data["brush"]) == [table[i] for i in idx]
    assert "Run A (full BPTT)" in a.detail.titleLabel.text and "Run B" in b.detail.titleLabel.text
    assert b.cut_item.getData()[0] is not None and len(b.cut_item.getData()[0]) > 0  # B truncates
    assert a.window == b.window
    view.render(make_state("rnn", 2, T=60, H=4))  # leaving compare mode: one panel again
    QApplication.processEvents()
    assert not b.detail.isVisible() and a.detail.isVisible()


def test_export_mode_hides_the_interaction_hint(view):
    view.render(make_state("rnn", 1, T=10))
    assert view.readout.isVisibleTo(view) and "Hover" in view.readout.text()
    view.set_export_mode(True)
    assert not view.readout.isVisibleTo(view)
    texts = [item.toPlainText() for item in view.canvas.scene().items() if hasattr(item, "toPlainText")]
    assert not any("Hover" in t or "click" in t.lower() for t in texts)
    view.set_export_mode(False)
    assert view.readout.isVisibleTo(view)


def label_rects(axis):
    """Scene rects of the tick labels ``axis`` draws (pyqtgraph's own layout of them)."""
    image = QImage(8, 8, QImage.Format.Format_ARGB32)
    painter = QPainter(image)  # text is measured with an active painter, as when the axis paints
    try:
        _, _, texts = axis.generateDrawSpecs(painter)
    finally:
        painter.end()
    return [(axis.mapRectToScene(rect), text) for rect, _, text in texts]


@pytest.mark.parametrize("T", [5, 50, 400, 1000])
@pytest.mark.parametrize("layers", [1, 2, 3, 4])
@pytest.mark.parametrize("cell", ["rnn", "lstm"])
@pytest.mark.parametrize("size", [(700, 260), (1400, 600)])
def test_any_length_and_depth_is_legible(qtbot, T, layers, cell, size):
    widget = UnrolledGraphView()
    qtbot.addWidget(widget)
    widget.resize(*size)
    widget.show()
    t = T * 2 // 3
    widget.render(make_state(cell, layers, T=T, H=4, time_step=t, bptt="truncated", k1=4, k2=8))
    QApplication.processEvents()
    # the detail window holds the selected step at readable spacing
    first, last = widget.window
    steps = last - first + 1
    width = widget.plot.getViewBox().width()
    assert first <= t <= last and steps * lod.MIN_PX_PER_STEP <= width + 1
    assert widget.plot.getViewBox().viewRange()[0] == pytest.approx([first - 0.5, last + 0.5])
    # the overview exactly when the window does not hold every step, covering all of them
    assert widget.overview.isVisible() == (steps < T)
    if steps < T:
        assert widget.overview.getViewBox().viewRange()[0] == pytest.approx([-0.5, T - 0.5])
        assert widget.frame.overview_bins * widget.frame.bin_size >= T
    # row labels: never overlapping each other or the plot area; x_t and y_t always named
    for plot in (widget.plot, widget.overview) if steps < T else (widget.plot,):
        rects = label_rects(plot.getAxis("left"))
        vb = plot.getViewBox().sceneBoundingRect()
        for i, (r, text) in enumerate(rects):
            assert not r.intersects(vb), f"label {text} over the plot"
            for r2, text2 in rects[i + 1:]:
                assert not r.intersects(r2), f"labels {text} and {text2} overlap"
    names = [text for _, text in label_rects(widget.plot.getAxis("left"))]
    assert "x_t" in names and "y_t" in names
    if size[1] >= 600:
        assert len(names) == layers + 2  # room for every row's name


def test_a_slow_drag_on_the_detail_pans_it_step_by_step(view):
    # pyqtgraph moves the range by each mouse event's fraction of a step; snapping every event
    # back to whole steps would hold the plot still under a slow drag.
    view.render(make_state("rnn", 1, T=400, H=4, time_step=200))
    QApplication.processEvents()
    first, last = view.window
    for _ in range(10):
        view.plot.getViewBox().translateBy(x=0.3)
    assert view.window == (first + 3, last + 3)
    assert view.region.getRegion() == pytest.approx((first + 2.5, last + 3.5))


def test_the_overview_tells_its_bins_values_and_selects_a_step_on_click(view, qtbot):
    state = make_state("rnn", 2, T=1000, H=4, sample=1, time_step=500)
    view.render(state)
    QApplication.processEvents()
    size = view.frame.bin_size
    vb = view.overview.getViewBox()
    view.canvas.scene().sigMouseMoved.emit(vb.mapViewToScene(QPointF(10 * size + 1, 1.7)))  # layer 1
    g = state.trace["dL_dh_norm_sample/1"][1, 10 * size:11 * size].max()
    h = np.abs(state.trace["hidden/1"][1, 10 * size:11 * size]).mean(axis=1).mean()
    text = view.readout.text()
    assert f"layer 1, steps {10 * size}–{11 * size - 1}" in text and f"{g:.3g}" in text and f"{h:.3g}" in text
    point = view.canvas.mapFromScene(vb.mapViewToScene(QPointF(120, 0.5)))
    with qtbot.waitSignal(view.timeStepSelected) as blocker:
        qtbot.mouseClick(view.canvas.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert abs(blocker.args[0] - 120) <= 2
