"""Picking a cell of the flow matrix at T = 1000: clicks snap to the cell drawn under the pointer
(the kept row with flow_rows), the bar names the cell, arrow keys move it, zoom helps aim."""
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtWidgets import QApplication

from rnn_viz.ui.views import FlowMatrixView
from rnn_viz.ui.views.flow import nudge_cell, resolve_flow, snap_cell
from tests.ui.synthetic import make_state

T_LONG = 1000


@pytest.fixture(scope="module")
def long_state():
    return make_state("rnn", 1, T=T_LONG, H=4, B=1, decay=0.99)


@pytest.fixture
def view(qtbot):
    widget = FlowMatrixView()
    qtbot.addWidget(widget)
    widget.resize(900, 800)
    widget.show()
    return widget


def kept_rows_state(state, rows):
    """``state`` whose trace holds only ``rows`` of the flow matrix (flow_rows / flow_window)."""
    trace = {k: v for k, v in state.trace.items() if not k.startswith("flow/")}
    trace["flow_rows"] = np.asarray(rows, dtype=np.int64)
    trace["flow_window/0"] = state.trace["flow/0"][rows]
    return replace(state, trace=trace)


def pixel_of(view, x, y) -> QPoint:
    scene = view.plot.getViewBox().mapViewToScene(QPointF(x, y))
    return view.canvas.mapFromScene(scene)


def under(view, pixel: QPoint) -> QPointF:
    """View coordinates of the centre of widget pixel ``pixel`` (what the click reads)."""
    return view.plot.getViewBox().mapSceneToView(view.canvas.mapToScene(pixel))


def click(qtbot, view, pixel: QPoint) -> None:
    qtbot.mouseClick(view.canvas.viewport(), Qt.MouseButton.LeftButton, pos=pixel)


def expected_label(frame, t, k) -> str:
    row = t if frame.rows is None else list(frame.rows).index(t)
    return f"t = {t}, k = {k}: F = {float(frame.flow[row, k]):.3g}"


def settle(view):
    for _ in range(3):
        QApplication.processEvents()


def test_snap_cell_rounds_to_the_cell_centred_on_whole_steps():
    frame = resolve_flow(make_state("rnn", 1, T=12).trace)
    assert snap_cell(frame, 3.49, 7.51) == (8, 3)
    assert snap_cell(frame, -0.5, -0.5) == (0, 0)
    assert snap_cell(frame, 10.2, 4.0) == (4, 4)  # right of the diagonal: onto it
    assert snap_cell(frame, 11.6, 3.0) is None and snap_cell(frame, 2.0, -0.6) is None
    assert snap_cell(frame, 2.0, -0.6, slack=0.2) == (0, 0) and snap_cell(frame, 11.6, 11.6, slack=0.2) == (11, 11)
    assert snap_cell(resolve_flow(make_state("rnn", 1, T=12, heavy=False).trace), 1, 1) is None


def test_snap_cell_with_kept_rows_picks_the_row_drawn_there():
    state = kept_rows_state(make_state("rnn", 1, T=20), [3, 8, 13, 19])
    frame = resolve_flow(state.trace)  # 4 rows stretched over 20 steps: row i covers [5i - 0.5, 5i + 4.5)
    assert snap_cell(frame, 2.0, 4.4) == (3, 2) and snap_cell(frame, 2.0, 4.6) == (8, 2)
    assert snap_cell(frame, 15.0, 11.0) == (13, 13) and snap_cell(frame, 0.0, 19.4) == (19, 0)


def test_nudge_moves_one_cell_and_keeps_k_on_or_left_of_the_diagonal():
    frame = resolve_flow(make_state("rnn", 1, T=12).trace)
    assert nudge_cell(frame, (8, 3), "left") == (8, 2) and nudge_cell(frame, (8, 3), "right") == (8, 4)
    assert nudge_cell(frame, (8, 3), "up") == (7, 3) and nudge_cell(frame, (8, 3), "down") == (9, 3)
    assert nudge_cell(frame, (8, 8), "right") == (8, 8) and nudge_cell(frame, (5, 5), "up") == (4, 4)
    assert nudge_cell(frame, (11, 0), "down") == (11, 0) and nudge_cell(frame, (0, 0), "left") == (0, 0)
    assert nudge_cell(frame, (8, 3), "down", 10) == (11, 3)
    kept = resolve_flow(kept_rows_state(make_state("rnn", 1, T=20), [3, 8, 13, 19]).trace)
    assert nudge_cell(kept, (8, 6), "up") == (3, 3) and nudge_cell(kept, (8, 6), "down") == (13, 6)


@pytest.mark.parametrize("kept", [False, True], ids=["whole", "flow_rows"])
def test_a_click_at_t_1000_selects_the_cell_under_the_pointer(qtbot, view, long_state, kept):
    state = kept_rows_state(long_state, np.arange(9, T_LONG, 10)) if kept else long_state
    view.render(state)
    settle(view)
    frame = view.flow_frame
    for t, k in ((640, 215), (999, 0), (371, 370)):
        pixel = pixel_of(view, k, t)
        point = under(view, pixel)
        px = max(view.plot.getViewBox().viewPixelSize())
        want = snap_cell(frame, point.x(), point.y(), slack=4 * px)  # a pixel a cell: what is drawn there
        assert want is not None and abs(want[1] - k) <= 2 and abs(want[0] - t) <= (2 if not kept else 10)
        with qtbot.waitSignal(view.timeStepSelected) as blocker:
            click(qtbot, view, pixel)
        assert view.selected_cell == want and blocker.args == [want[1]]
        assert view.cell_label.text() == expected_label(frame, *want)
        assert view.inspected["t"] == want[0] and view.inspected["k"] == want[1]
        if kept:
            assert want[0] in frame.rows


@pytest.mark.parametrize("kept", [False, True], ids=["whole", "flow_rows"])
def test_zoomed_in_a_click_selects_exactly_the_aimed_cell(qtbot, view, long_state, kept):
    state = kept_rows_state(long_state, np.arange(9, T_LONG, 10)) if kept else long_state
    view.render(state)
    settle(view)
    assert not view.reset_button.isEnabled()
    view.plot.getViewBox().setRange(xRange=(200, 230), yRange=(625, 655), padding=0)  # ~25 px a cell
    settle(view)
    assert view.reset_button.isEnabled()
    frame = view.flow_frame
    t, k = (640, 215) if not kept else (639, 215)
    y = t if not kept else frame.row_y(list(frame.rows).index(t))
    for dx, dy in ((0.0, 0.0), (0.3, -0.3), (-0.3, 0.3)):  # anywhere inside the cell
        click(qtbot, view, pixel_of(view, k + dx, y + dy))
        assert view.selected_cell == (t, k)
        assert view.cell_label.text() == expected_label(frame, t, k)
    mark_x, mark_y = view.cell_mark.getData()
    assert (mark_x[0], mark_y[0]) == (k, y) and view.panel.cross_t.value() == y
    view.reset_button.click()
    settle(view)
    (x0, x1), (y0, y1) = view.plot.viewRange()
    assert x0 <= -0.5 and x1 >= T_LONG - 0.5 and y0 <= -0.5 and y1 >= T_LONG - 0.5
    assert not view.reset_button.isEnabled()


def test_arrow_keys_nudge_the_selection(qtbot, view):
    state = make_state("rnn", 1, T=30)
    view.render(state)
    settle(view)
    click(qtbot, view, pixel_of(view, 10, 20))
    assert view.selected_cell == (20, 10)
    qtbot.keyClick(view.canvas, Qt.Key.Key_Left)
    assert view.selected_cell == (20, 9)
    qtbot.keyClick(view.canvas, Qt.Key.Key_Up)
    assert view.selected_cell == (19, 9)
    with qtbot.waitSignal(view.timeStepSelected) as blocker:
        qtbot.keyClick(view.canvas, Qt.Key.Key_Right, Qt.KeyboardModifier.ShiftModifier)
    assert view.selected_cell == (19, 19) and blocker.args == [19]  # 10 right, stopped at the diagonal
    assert view.cell_label.text() == expected_label(view.flow_frame, 19, 19)


def test_compare_clicking_run_bs_matrix_inspects_run_b(qtbot, view):
    state = make_state("rnn", 1, T=24, compare=True, k1=6, k2=6)
    view.render(state)
    settle(view)
    assert len([p for p in view.panels if p.plot.isVisible()]) == 2
    b = view.panels[1]
    pixel = view.canvas.mapFromScene(b.plot.getViewBox().mapViewToScene(QPointF(20, 22)))
    click(qtbot, view, pixel)
    assert view.run_selector.run == "B" and view.selected_cell == (22, 20)
    flow_b = state.trace_b["flow/0"]
    assert view.inspected["ratio"] == pytest.approx(flow_b[22, 20] / flow_b[22, 22])
    assert view.cell_label.text() == f"t = 22, k = 20: F = {flow_b[22, 20]:.3g}"
    assert "Run B" in view.chain_plot.titleLabel.text
    assert len(view.panels[0].cell_mark.getData()[0]) == 0 and len(b.cell_mark.getData()[0]) == 1
