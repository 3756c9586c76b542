"""Hidden-state heatmaps show the selected sample's trace arrays on fixed, explained colour scales."""
import numpy as np
import pytest
from PySide6.QtCore import QPointF, Qt
from PySide6.QtWidgets import QApplication

from rnn_viz.ui.views import HiddenStateView
from tests.ui.synthetic import make_config, make_state


@pytest.fixture
def view(qtbot):
    widget = HiddenStateView()
    qtbot.addWidget(widget)
    widget.resize(900, 600)
    widget.show()
    return widget


def panels(view):
    return {(layer, col.key): (plot, image) for layer, col, plot, image in view._panels}


def test_rnn_shows_hidden_states_on_minus_one_to_one(view):
    state = make_state("rnn", 2, T=7, H=5, sample=3)
    view.render(state)
    p = panels(view)
    assert set(p) == {(0, "hidden"), (1, "hidden")}
    for l in range(2):
        _, image = p[(l, "hidden")]
        assert np.array_equal(image.image, state.trace[f"hidden/{l}"][3].T)  # units down, time across
        assert tuple(image.getLevels()) == (-1.0, 1.0)
    assert tuple(view._bars["hidden"].levels()) == (-1.0, 1.0)


def test_lstm_adds_cell_state_sigmoid_gates_and_candidate(view):
    state = make_state("lstm", 2, T=9, H=4, sample=1)
    view.render(state)
    p = panels(view)
    assert set(key for _, key in p) == {"hidden", "cell", "gates", "candidate"}
    gates = state.trace["gates/1"][1]  # (T, 4H): i f g o
    H = 4
    i, f, g, o = (gates[:, k * H:(k + 1) * H] for k in range(4))
    assert np.array_equal(p[(1, "gates")][1].image, np.concatenate([i, f, o], axis=1).T)
    assert np.array_equal(p[(1, "candidate")][1].image, g.T)
    assert np.array_equal(p[(0, "cell")][1].image, state.trace["cell/0"][1].T)
    assert tuple(p[(0, "gates")][1].getLevels()) == (0.0, 1.0)
    # the cell state is unbounded: a symmetric 1-2-5 scale covering the largest |c| of both layers
    biggest = max(np.abs(state.trace[f"cell/{l}"][1]).max() for l in range(2))
    lo, hi = view._bars["cell"].levels()
    assert lo == -hi and hi >= biggest and hi < 2.5 * biggest
    columns, rows = view.csv_table()
    assert "gates/0f[2]" in columns and "cell/1[3]" in columns and rows.shape == (9, len(columns))
    assert np.allclose(rows[:, columns.index("gates/0f[2]")], state.trace["gates/0"][1][:, H + 2])


def test_gru_gates_are_reset_and_update_with_candidate_n(view):
    state = make_state("gru", 1, T=6, H=3)
    view.render(state)
    p = panels(view)
    gates = state.trace["gates/0"][0]
    assert np.array_equal(p[(0, "gates")][1].image, gates[:, :6].T)
    assert np.array_equal(p[(0, "candidate")][1].image, gates[:, 6:].T)
    assert (0, "cell") not in p


def test_relu_scale_grows_and_never_shrinks(view):
    state = make_state("rnn", 1, T=6, H=3)
    big = dict(state.trace)
    big["hidden/0"] = np.abs(state.trace["hidden/0"]) * 3.0
    from dataclasses import replace
    config = make_config("rnn", 1, activation="relu")
    view.render(replace(state, trace=big, config=config))
    assert view._bars["hidden"].levels() == (0.0, 5.0)
    small = dict(big)
    small["hidden/0"] = big["hidden/0"] / 30
    view.render(replace(state, trace=small, config=config))
    assert view._bars["hidden"].levels() == (0.0, 5.0)


def test_clicking_a_column_selects_the_step(view, qtbot):
    view.render(make_state("rnn", 1, T=12, H=4))
    QApplication.processEvents()
    _, _, plot, _ = view._panels[0]
    point = view.canvas.mapFromScene(plot.getViewBox().mapViewToScene(QPointF(9, 1)))
    with qtbot.waitSignal(view.timeStepSelected) as blocker:
        qtbot.mouseClick(view.canvas.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert blocker.args == [9]


def test_selected_step_is_marked_on_every_panel(view):
    view.render(make_state("lstm", 2, T=8, H=3, time_step=5))
    assert len(view._lines) == 8 and all(line.value() == 5 for line in view._lines)


def test_a_new_model_starts_its_colour_scales_afresh(view):
    # Defect: a "grow only" scale kept an earlier (e.g. diverged) model's range, so the next
    # model's heatmap showed as blank grey.
    from dataclasses import replace
    state = make_state("rnn", 1, T=6, H=3)
    config = make_config("rnn", 1, activation="relu")
    huge = dict(state.trace)
    huge["hidden/0"] = np.abs(state.trace["hidden/0"]) * 1000
    view.render(replace(state, trace=huge, config=config, model_id=1))
    assert view._bars["hidden"].levels()[1] >= 1000
    fresh = dict(state.trace)
    fresh["hidden/0"] = np.abs(state.trace["hidden/0"]) * 3.0
    view.render(replace(state, trace=fresh, config=config, model_id=2))
    assert view._bars["hidden"].levels() == (0.0, 5.0)


# ------------------------------------------------------------------- legible at a dock's size
def text_rects(view):
    """(text, scene rect) of every text the canvas shows: tick labels (from generateDrawSpecs),
    axis labels, plot and view titles."""
    import pyqtgraph as pg
    from PySide6.QtGui import QImage, QPainter

    QApplication.processEvents()
    image = QImage(10, 10, QImage.Format.Format_ARGB32)
    painter = QPainter(image)
    out = []
    try:
        for item in view.canvas.scene().items():
            if isinstance(item, pg.AxisItem) and item.isVisible():
                if item.style["showValues"]:
                    specs = item.generateDrawSpecs(painter)
                    for rect, _, text in (specs[2] if specs else []):
                        out.append((text, item.mapRectToScene(rect)))
                if item.label.isVisible() and item.labelText.strip():
                    out.append((item.labelText, item.label.sceneBoundingRect()))
    finally:
        painter.end()
    titles = [p.titleLabel for _, _, p, _ in view._panels] + [g.title for g in view.grids]
    for label in titles:
        if label.isVisible() and label.text:
            out.append((label.text, label.item.sceneBoundingRect()))
    return out


def overlaps(rects):
    bad = []
    for i, (a, ra) in enumerate(rects):
        for b, rb in rects[i + 1:]:
            inter = ra.intersected(rb)
            if inter.width() > 0.5 and inter.height() > 0.5:
                bad.append((a, b))
    return bad


@pytest.mark.parametrize("cell, layers", [("lstm", 1), ("lstm", 2), ("gru", 2), ("rnn", 2)])
@pytest.mark.parametrize("size, T", [((400, 300), 50), ((420, 320), 400), ((600, 450), 1000),
                                     ((700, 450), 200)])
def test_tick_labels_and_titles_never_run_together(qtbot, cell, layers, size, T):
    view = HiddenStateView()
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    state = make_state(cell, layers, T=T, H=32 if T < 1000 else 16)
    view.render(state)
    for _ in range(3):  # the layout settles over a few passes (titles wrap, axes widen)
        QApplication.processEvents()
    rects = text_rects(view)
    assert len(rects) > 4 * len(view._bars)
    assert overlaps(rects) == []
    # nothing drawn outside the canvas (text cut at the dock edge)
    canvas = view.canvas.mapToScene(view.canvas.viewport().rect()).boundingRect()
    cut = [t for t, r in rects if not canvas.adjusted(-1, -1, 1, 1).contains(r)]
    assert cut == []
    texts = [t for t, _ in rects]
    if size[1] >= 450 and "gates" in view._bars:  # room for the gates' names on their blocks
        names = {"lstm": ["i", "f", "o"], "gru": ["r", "z"]}[cell]
        assert all(texts.count(n) == len({l for l, _, _, _ in view._panels}) for n in names)
    drawn = {l for l, _, _, _ in view._panels}  # a short view leaves out the lower layers
    assert drawn and all(f"layer {l}" in texts or f"L{l}" in texts for l in drawn)
    assert "time step t" in texts and (len(drawn) == layers or "too short" in view.title.plain_text)
    # each colour bar labels at least one value, and its title says the mode
    for key, bar in view._bars.items():
        assert bar.getAxis("bottom").labelText in ("fixed", "auto", "auto · log10")


# ------------------------------------------------------------------------ compare: side by side
def test_compare_mode_draws_the_runs_side_by_side_with_their_own_titles(qtbot):
    from dataclasses import replace

    from tests.ui.synthetic import make_trace

    view = HiddenStateView()
    qtbot.addWidget(view)
    view.resize(1400, 450)
    view.show()
    state = make_state("rnn", 1, T=10, H=4, sample=1, compare=True)
    lstm = make_trace("lstm", 1, T=10, H=4, seed=4)
    view.render(replace(state, trace_b=lstm, label_b="LSTM"))
    assert len(view.grids) == 2 and view.side_button.isVisible() and not view.run_selector.isVisible()
    a, b = view.grids
    assert {c.key for _, c, _, _ in a.panels} == {"hidden"}
    assert {c.key for _, c, _, _ in b.panels} >= {"hidden", "cell", "gates", "candidate"}
    assert np.array_equal(a.data[(0, "hidden")], state.trace["hidden/0"][1].T)
    assert np.array_equal(b.data[(0, "cell")], lstm["cell/0"][1].T)
    assert a.title.plain_text == f"Run A: {state.label_a}" and b.title.plain_text == "Run B: LSTM"
    QApplication.processEvents()
    # side by side: the titles share a line, every B panel right of every A panel
    ta, tb = a.title.sceneBoundingRect(), b.title.sceneBoundingRect()
    assert abs(ta.top() - tb.top()) < 1 and ta.right() <= tb.left() + 1
    right_of_a = max(p.sceneBoundingRect().right() for _, _, p, _ in a.panels)
    assert all(p.sceneBoundingRect().left() >= right_of_a - 1 for _, _, p, _ in b.panels)
    assert overlaps(text_rects(view)) == []
    # one at a time again: the selector chooses
    view.side_button.click()
    assert len(view.grids) == 1 and view.run_selector.isVisible()
    view.render(make_state("rnn", 1, T=10, H=4))  # leaving compare mode
    assert len(view.grids) == 1 and not view.side_button.isVisible()


def test_side_by_side_keeps_each_runs_auto_scale(qtbot):
    from dataclasses import replace

    view = HiddenStateView()
    qtbot.addWidget(view)
    view.show()
    state = replace(make_state("rnn", 1, T=8, H=3, compare=True),
                    config=make_config("rnn", 1, 3, activation="linear"),
                    config_b=make_config("rnn", 1, 3, activation="linear"))
    big_b = dict(state.trace_b, **{"hidden/0": state.trace_b["hidden/0"] * 300})
    view.render(replace(state, trace_b=big_b))
    s_a = view.grids[0].bars["hidden"].levels()[1]
    s_b = view.grids[1].bars["hidden"].levels()[1]
    assert s_b >= 100 * s_a / 2 and {k[0] for k in view._scales} == {"0:A", "0:B"}


def test_runs_too_wide_to_sit_side_by_side_show_one_at_a_time_until_there_is_room(qtbot):
    view = HiddenStateView()
    qtbot.addWidget(view)
    view.resize(400, 300)
    view.show()
    state = make_state("lstm", 2, T=20, H=8, compare=True)
    view.render(state)
    assert len(view.grids) == 1 and view.run_selector.isVisible()
    assert "need more width" in view.side_button.toolTip()
    view.resize(2200, 500)
    QApplication.processEvents()
    assert len(view.grids) == 2 and not view.run_selector.isVisible()
    view.resize(430, 300)
    QApplication.processEvents()
    view.set_hidden_panels({"cell", "gates", "candidate", "dc"})  # h_t only: two columns fit
    assert len(view.grids) == 2 and {c.key for _, c, _, _ in view._panels} == {"hidden"}
    assert overlaps(text_rects(view)) == []


@pytest.mark.parametrize("width, kept", [(300, {"hidden"}), (450, {"hidden", "cell"}),
                                         (900, {"hidden", "cell", "gates", "candidate"})])
def test_a_narrow_view_leaves_out_columns_and_says_so_rather_than_cutting_them(qtbot, width, kept):
    view = HiddenStateView()
    qtbot.addWidget(view)
    view.resize(width, 420)
    view.show()
    from dataclasses import replace

    state = make_state("lstm", 2, T=50, H=32)
    trace = dict(state.trace)
    trace["dL_dc/0"] = trace["dL_dc/1"] = np.abs(trace["cell/0"]) * 1e-3
    view.render(replace(state, trace=trace))
    QApplication.processEvents()
    assert {c.key for _, c, _, _ in view._panels} == kept
    assert f"{5 - len(kept)} panel" in view.title.plain_text and "too narrow" in view.title.plain_text
    rects = text_rects(view)
    assert overlaps(rects) == []
    canvas = view.canvas.mapToScene(view.canvas.viewport().rect()).boundingRect()
    assert [t for t, r in rects if not canvas.adjusted(-1, -1, 1, 1).contains(r)] == []
    view.resize(1200, 420)
    QApplication.processEvents()
    assert len({c.key for _, c, _, _ in view._panels}) == 5 and "too narrow" not in view.title.plain_text


def test_hovering_a_cell_reads_its_value_in_the_controls_row(view):
    state = make_state("gru", 1, T=12, H=4, sample=2)
    view.render(state)
    QApplication.processEvents()
    _, _, plot, _ = next(p for p in view._panels if p[1].key == "gates")
    view.canvas.scene().sigMouseMoved.emit(plot.getViewBox().mapViewToScene(QPointF(7, 5)))
    value = state.trace["gates/0"][2][7, 5]  # row 5 of r, z: z[1]
    assert view.readout.text() == f"layer 0 gates z[1], t = 7: {value:.4g}"
    view.canvas.scene().sigMouseMoved.emit(QPointF(-50, -50))
    assert view.readout.text() == ""
