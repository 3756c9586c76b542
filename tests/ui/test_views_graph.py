"""The unrolled graph draws the trace's numbers: node colours, binned edges, cuts, losses, windows."""
import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication

from rnn_viz.ui import colormaps as cm
from rnn_viz.ui.views import UnrolledGraphView
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


def test_long_sequences_switch_to_colour_strips_and_back(view):
    state = make_state("rnn", 2, T=500, H=4)
    view.render(state)
    QApplication.processEvents()
    assert view.bands[0].isVisible() and not view.hidden_nodes.isVisible()
    strip = view.bands[1].image
    assert np.allclose(strip[0], np.abs(state.trace["hidden/1"][0]).mean(axis=1))
    view.plot.setXRange(100, 120, padding=0)
    QApplication.processEvents()
    assert view.hidden_nodes.isVisible() and not view.bands[0].isVisible()
    xs = view.hidden_nodes.data["x"]
    assert 20 <= len(xs) <= 2 * 30 and xs.min() >= 98 and xs.max() <= 122


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
    text = view.readout.plain_text
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
