"""The flow view's arrangement: square matrices as large as the view allows, the chain below or beside
them, compare mode side by side on one colour scale, hints left out of exports."""
import itertools
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from rnn_viz.ui.views import FlowMatrixView
from rnn_viz.ui.views.flow import HINT, NO_PATH, resolve_flow, shared_top
from rnn_viz.ui.views.flow_layout import MIN_PLOT, SPACING, Geometry, fit_layout
from tests.ui.synthetic import make_state

OVER = dict(matrix_w_over=60.0, matrix_h_over=50.0, bar_width=75.0, chain_w_over=60.0, chain_h_over=70.0,
            text_height=45.0)


def test_a_tall_view_stacks_and_a_strip_puts_the_chain_beside():
    tall = fit_layout(Geometry(width=700, height=1000, runs=1, **OVER))
    assert not tall.beside and tall.matrix_height == tall.side + OVER["matrix_h_over"]
    assert tall.side == pytest.approx(700 - 75 - 2 * SPACING - 60)  # as wide as the view allows
    strip = fit_layout(Geometry(width=1300, height=330, runs=1, **OVER))
    assert strip.beside and strip.side >= MIN_PLOT
    assert strip.matrix_width == pytest.approx(strip.side + 60 + 75 + 2 * SPACING)
    pair = fit_layout(Geometry(width=1300, height=330, runs=2, **OVER))
    assert pair.beside and pair.side <= strip.side
    assert pair.matrix_width == pytest.approx(2 * (pair.side + 60) + 75 + 3 * SPACING)


def test_the_arrangement_does_not_flap_near_the_switch():
    widths = range(400, 2400, 10)
    from_stacked = [fit_layout(Geometry(width=w, height=500, runs=1, **OVER)).beside for w in widths]
    from_beside = [fit_layout(Geometry(width=w, height=500, runs=1, beside=True, **OVER)).beside for w in widths]
    assert not from_stacked[0] and from_stacked[-1] and not from_beside[0] and from_beside[-1]
    up, down = from_stacked.index(True), from_beside.index(True)
    assert all(from_stacked[up:]) and all(from_beside[down:])
    assert up > down  # between the two widths each arrangement keeps itself


def settled(qtbot, size, state):
    view = FlowMatrixView()
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    view.render(state)
    for _ in range(4):
        QApplication.processEvents()
    return view


def texts(view):
    items = [p.plot.titleLabel for p in view.panels if p.plot.isVisible()] + [view.chain_plot.titleLabel]
    for plot in [p.plot for p in view.panels if p.plot.isVisible()] + [view.chain_plot]:
        items += [plot.getAxis("left").label, plot.getAxis("bottom").label]
    items += [view.color_bar.getAxis("right").label, view.explanation, view.chain_text]
    return [i for i in items if i.isVisible()]


# Two matrices and the chain need more room than one: the sizes compare mode is given are larger.
SIZES = [(False, s) for s in ((1000, 900), (1000, 330), (1400, 500), (700, 700), (640, 600))] + \
        [(True, s) for s in ((1000, 900), (1400, 420), (1800, 560), (900, 760))]


@pytest.mark.parametrize("compare,size", SIZES)
def test_matrices_are_square_and_every_plot_has_room(qtbot, size, compare):
    view = settled(qtbot, size, make_state("rnn", 1, T=60, compare=compare, time_step=20))
    shown = [p for p in view.panels if p.plot.isVisible()]
    assert len(shown) == (2 if compare else 1)
    for panel in shown:
        vb = panel.plot.getViewBox()
        w, h = vb.width(), vb.height()
        assert min(w, h) >= MIN_PLOT and abs(w - h) <= 0.1 * max(w, h), (size, w, h)
        (x0, x1), (y0, y1) = vb.viewRange()
        assert x0 <= -0.5 and x1 >= 59.5 and y0 <= -0.5 and y1 >= 59.5
        assert (x1 - x0) < 1.2 * 60 and (y1 - y0) < 1.2 * 60  # the matrix fills its plot
    chain = view.chain_plot.getViewBox()
    assert chain.height() >= MIN_PLOT and chain.width() >= MIN_PLOT, (size, chain.width(), chain.height())
    for a, b in itertools.combinations(texts(view), 2):
        assert not a.sceneBoundingRect().intersects(b.sceneBoundingRect()), (size, a, b)


def test_the_larger_screen_gives_larger_matrices(qtbot):
    state = make_state("rnn", 1, T=60, time_step=20)
    small = settled(qtbot, (900, 400), state).panels[0].plot.getViewBox().height()
    large = settled(qtbot, (1400, 800), state).panels[0].plot.getViewBox().height()
    assert large > 1.5 * small


def test_compare_draws_both_runs_side_by_side_on_one_colour_scale(qtbot):
    state = make_state("rnn", 1, T=24, compare=True, k1=6, k2=6, decay=0.8)
    # run B's matrix 100 times larger: its colours must read the same scale as run A's
    trace_b = dict(state.trace_b, **{"flow/0": state.trace_b["flow/0"] * 100.0})
    state = replace(state, trace_b=trace_b)
    view = settled(qtbot, (1200, 800), state)
    a, b = view.panels[:2]
    assert a.plot.isVisible() and b.plot.isVisible()
    top = shared_top([state.trace, trace_b])
    assert top == np.ceil(np.log10(trace_b["flow/0"].max()))
    for panel, trace, label in ((a, state.trace, state.label_a), (b, trace_b, state.label_b)):
        want = resolve_flow(trace, top=top)
        assert np.array_equal(panel.image.image, want.index)
        assert np.array_equal(panel.image.image == NO_PATH, trace["flow/0"] <= 0)
        assert label in panel.plot.titleLabel.text
    assert tuple(view.color_bar.levels()) == (top - 8, top)
    # side by side: same height, one beside the other, titles on one row
    ra, rb = a.plot.getViewBox().sceneBoundingRect(), b.plot.getViewBox().sceneBoundingRect()
    assert ra.right() < rb.left() and abs(ra.top() - rb.top()) < 1 and abs(ra.height() - rb.height()) < 1
    ta, tb = a.plot.titleLabel.sceneBoundingRect(), b.plot.titleLabel.sceneBoundingRect()
    assert abs(ta.top() - tb.top()) < 1 and not ta.intersects(tb)
    assert len(b.band.getData()[0]) > 0 and len(a.band.getData()[0] or []) == 0  # only B is truncated
    view.render(make_state("rnn", 1, T=24))  # leaving compare mode: one matrix again
    QApplication.processEvents()
    assert a.plot.isVisible() and not b.plot.isVisible()


def test_export_mode_leaves_out_the_hint(qtbot):
    view = settled(qtbot, (800, 700), make_state("rnn", 1, T=20))
    shown = view.explanation.plain_text
    assert HINT in shown and "Grey: no path" in shown
    view.set_export_mode(True)
    assert HINT not in view.explanation.plain_text and "Grey: no path" in view.explanation.plain_text
    view.render(make_state("rnn", 1, T=20, seed=4))  # a new matrix while exporting: still no hint
    assert HINT not in view.explanation.plain_text
    view.set_export_mode(False)
    assert view.explanation.plain_text == shown


def test_compare_in_a_small_view_shows_the_chosen_run_and_says_so(qtbot):
    state = make_state("rnn", 1, T=60, compare=True, k1=6, k2=6, time_step=20)
    view = settled(qtbot, (450, 400), state)
    shown = [p for p in view.panels if p.plot.isVisible()]
    assert shown == [view.panels[0]] and "run A only" in view.explanation.plain_text
    vb = shown[0].plot.getViewBox()
    assert min(vb.width(), vb.height()) >= MIN_PLOT and abs(vb.width() - vb.height()) <= 0.1 * vb.width()
    box = view.run_selector.box
    box.setCurrentIndex(box.findData("B"))  # the run chosen above is the one drawn
    QApplication.processEvents()
    assert [p for p in view.panels if p.plot.isVisible()] == [view.panels[1]]
    assert "run B only" in view.explanation.plain_text and state.label_b in view.plot.titleLabel.text
    assert np.array_equal(view.csv_table()[1][:, 1:], state.trace_b["flow/0"])
    view.resize(1300, 900)  # room for both again
    for _ in range(4):
        QApplication.processEvents()
    assert all(p.plot.isVisible() for p in view.panels[:2]) and "only" not in view.explanation.plain_text
