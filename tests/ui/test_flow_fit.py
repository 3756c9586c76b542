"""The flow view on the screens of the layout probe (issue 9): every plot area at least 150 px both
ways and inside the canvas, no text cut off, overlapping or broken mid-word, measured in process with
the probe's own measure (tests/ui/layout_probe.py) at the canvas sizes the window's docks give the view.
Compare mode shows both runs only where both matrices and the chain keep 150 px, else the chosen run;
a dock too small even for that scrolls instead of squeezing."""
from dataclasses import replace

import pytest
from PySide6.QtWidgets import QApplication

from rnn_viz.ui.views import FlowMatrixView
from rnn_viz.ui.views.flow_layout import MIN_PLOT, Geometry, fit_layout, minimum_canvas
from tests.ui import layout_probe
from tests.ui.synthetic import make_state

OVER = dict(matrix_w_over=55.0, matrix_h_over=64.0, bar_width=77.0, chain_w_over=67.0, chain_h_over=64.0,
            text_height=70.0)


def settle(times: int = 10) -> None:
    for _ in range(times):
        QApplication.processEvents()


def flow_state(compare: bool, cell: str = "rnn", layers: int = 1, T: int = 50):
    state = make_state(cell, layers, T=T, compare=compare, time_step=min(20, T - 1), k1=1, k2=5)
    if compare:  # the labels the window gives the runs (the longer one wraps in a narrow matrix)
        state = replace(state, label_a=f"full BPTT, {cell}", label_b="truncated BPTT (k1=1, k2=5)")
    return state


def view_in_dock(qtbot, width: int, height: int, state, start=None) -> FlowMatrixView:
    """The view in a dock area of ``width`` x ``height`` below its bar (``start``: a size it has
    first, as a dock has while the window arranges itself)."""
    view = FlowMatrixView()
    qtbot.addWidget(view)
    view.resize(*(start or (width, height + 32)))
    view.show()
    view.render(state)
    settle()
    holder = view.scroll_area or view.canvas
    view.resize(width, view.height() + height - holder.height())
    settle()
    assert (view.scroll_area or view.canvas).size().toTuple() == (width, height)
    return view


def plots(view):
    return [p.plot.getViewBox() for p in view.shown_panels] + [view.chain_plot.getViewBox()]


# Canvas sizes the window's docks gave the view on the probe's screens, where it used to fail:
# 1366x768 (Tabs, compare), 960x540 logical (dpr 2, Tabs), 1920x1080 and 2560x1440 (All views).
PROBED = [(513, 610), (625, 384), (384, 841), (543, 1170), (960, 480)]


@pytest.mark.parametrize("compare", [False, True], ids=["single", "compare"])
@pytest.mark.parametrize("size", PROBED, ids=[f"{w}x{h}" for w, h in PROBED])
def test_the_probe_finds_nothing_at_the_probed_canvas_sizes(qtbot, size, compare):
    view = view_in_dock(qtbot, *size, flow_state(compare))
    faults = layout_probe.measure_view("flow", view)
    assert not faults, "\n".join(f"{f.kind}: {f.what}" for f in faults)
    for vb in plots(view):
        assert min(vb.width(), vb.height()) >= MIN_PLOT


def test_the_layout_fills_the_canvas_after_a_wider_size(qtbot):
    # At 1920x1080 the dock was wider while the window arranged itself: the layout kept that width
    # when its minimums shrank, and the chain, its title and the texts under it were cut off.
    view = view_in_dock(qtbot, 384, 841, flow_state(False), start=(1100, 500))
    assert view.canvas.ci.geometry() == view.canvas.range
    canvas = view.canvas.mapToScene(view.canvas.viewport().rect()).boundingRect()
    for item in (view.chain_plot, view.explanation, view.chain_text, view.chain_plot.titleLabel):
        assert canvas.adjusted(-1, -1, 1, 1).contains(item.sceneBoundingRect()), item


def test_compare_shows_both_runs_only_where_each_keeps_150_px(qtbot):
    narrow = view_in_dock(qtbot, 513, 610, flow_state(True))  # two matrices would be 146 px wide
    assert len(narrow.shown_panels) == 1 and "run A only" in narrow.explanation.plain_text
    wide = view_in_dock(qtbot, 960, 480, flow_state(True))
    assert len(wide.shown_panels) == 2
    a, b = (p.plot.getViewBox().sceneBoundingRect() for p in wide.shown_panels)
    # one run's label wraps onto two lines, the other's not: the data areas stay level and equal
    assert abs(a.top() - b.top()) < 1 and abs(a.height() - b.height()) < 1


@pytest.mark.parametrize("compare", [False, True], ids=["single", "compare"])
def test_a_dock_too_small_scrolls_instead_of_squeezing(qtbot, compare):
    view = view_in_dock(qtbot, 400, 300, flow_state(compare))
    assert view.scroll_area is not None and view.canvas.minimumHeight() > 300
    assert view.canvas.minimumWidth() == 0  # it grows down, not across
    for vb in plots(view):
        assert min(vb.width(), vb.height()) >= MIN_PLOT
    assert not layout_probe.measure_view("flow", view)  # the whole canvas, of which the dock shows a part
    view.resize(900, 800)  # room again: no scrolling
    settle()
    assert view.canvas.minimumSize().toTuple() == (0, 0)
    assert view.canvas.size() == view.scroll_area.viewport().size()
    assert not layout_probe.measure_view("flow", view)


def test_the_least_canvas_gives_every_plot_its_150_px():
    for runs in (1, 2):
        for width, height in ((400, 300), (1000, 250), (280, 900), (250, 250)):
            g = Geometry(width=width, height=height, runs=runs, **OVER)
            assert not fit_layout(g).legible
            w, h = minimum_canvas(g)
            assert w >= width and h >= height
            fit = fit_layout(replace(g, width=w, height=h))
            assert fit.legible and min(fit.side, *fit.chain) >= MIN_PLOT, (runs, width, height, fit)
    # height first: a 400 px wide dock that can hold the plots one above the other grows only down
    assert minimum_canvas(Geometry(width=400, height=300, runs=1, **OVER))[0] == 400
    roomy = Geometry(width=900, height=800, runs=1, **OVER)
    assert minimum_canvas(roomy) == (900, 800)


def test_a_fit_takes_the_arrangement_that_keeps_150_px_when_only_one_does():
    # wide and low: beside keeps both plots at 150 px, stacked would squeeze the chain
    g = Geometry(width=620, height=390, runs=1, **OVER)
    fit = fit_layout(g)
    assert fit.beside and fit.legible
    assert fit_layout(replace(g, beside=True)).beside
