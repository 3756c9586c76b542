"""The Jacobian chain: its y range covers all three curves however many decades apart; its legend
line never breaks inside a name and is never cut, at any size."""
from dataclasses import replace

import numpy as np
import pytest
from PySide6.QtWidgets import QApplication

from rnn_viz.engine.analysis import jacobian_chain
from rnn_viz.ui.views import FlowMatrixView
from rnn_viz.ui.views.flow import resolve_chain, resolve_flow
from rnn_viz.ui.views.flow_chain import CHAIN_LEGEND
from tests.ui.synthetic import make_state


def far_apart_state(T=200, time_step=0):
    """Factors near 0.7 (bound 0.7^199 ~ 1e-31) and an actual ratio a further 60 decades down."""
    state = make_state("rnn", 1, T=T, decay=0.7, time_step=time_step)
    trace = dict(state.trace)
    F = trace["flow/0"].copy()
    t, k = np.indices(F.shape)
    F = np.where(F > 0, F * 10.0 ** (-0.3 * (t - k)), 0.0)
    trace["flow/0"] = F
    return replace(state, trace=trace)


def finite(values):
    values = np.asarray(values, dtype=np.float64)
    return values[np.isfinite(values)]


def test_the_span_covers_factors_bound_and_ratio_90_decades_apart():
    state = far_apart_state()
    frame = resolve_flow(state.trace)
    chain = resolve_chain(frame, 199, 0)
    lo, hi = chain.span[1]
    curves = [finite(chain.factors[1]), finite(chain.bound[1]), finite(chain.actual[1])]
    assert min(c.min() for c in curves) < -90 and max(c.max() for c in curves) >= -0.2
    for c in curves:
        assert lo <= c.min() and c.max() <= hi
    assert lo <= 0.0 <= hi  # bars grow from 1


def test_the_plot_shows_all_three_curves(qtbot):
    view = FlowMatrixView()
    qtbot.addWidget(view)
    view.resize(900, 800)
    view.show()
    state = far_apart_state(time_step=0)
    view.render(state)
    QApplication.processEvents()
    y0, y1 = view.chain_plot.viewRange()[1]
    factors, product = jacobian_chain(state.trace["jacobian_norm/0"], 0, 199)
    assert np.log10(product) < -30 and np.all(factors[1:] > 0.3)
    for item in (view.factors_item, view.bound_item, view.actual_item):
        y = finite(item.getData()[1])
        assert y.size and y0 <= y.min() and y.max() <= y1, type(item)
    assert finite(view.actual_item.getData()[1]).min() < np.log10(product) - 30  # 30+ decades below the bound
    # the decade axis labels a thinned set of decades that fit its height
    axis = view.chain_plot.getAxis("left")
    labelled = [v for spacing, values in axis.tickValues(y0, y1, axis.height()) if spacing == 1.0 for v in values]
    px_per_decade = view.chain_plot.getViewBox().height() / (y1 - y0)
    assert len(labelled) >= 2 and min(np.diff(sorted(labelled))) * px_per_decade >= axis.MIN_LABEL_SPACING


def legend_lines(label):
    """[(line index, x0, x1)] of each CHAIN_LEGEND name in the title label's laid-out text."""
    doc = label.item.document()
    block = doc.begin()
    found = {}
    while block.isValid():
        text = block.text().replace("\u00a0", " ")
        layout = block.layout()
        for name in CHAIN_LEGEND:
            start = text.find(name)
            if start < 0:
                continue
            end = start + len(name)
            first, last = layout.lineForTextPosition(start), layout.lineForTextPosition(end - 1)
            assert first.isValid() and last.isValid()
            found[name] = (first.lineNumber(), last.lineNumber(), first.cursorToX(start)[0], last.cursorToX(end)[0])
        block = block.next()
    return found


@pytest.mark.parametrize("size", [(450, 400), (600, 500), (1000, 330), (1000, 900), (1400, 500)])
@pytest.mark.parametrize("compare", [False, True])
def test_the_legend_keeps_each_name_on_one_line_inside_the_plot(qtbot, size, compare):
    view = FlowMatrixView()
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    view.render(make_state("rnn", 1, T=60, compare=compare, time_step=20))
    for _ in range(3):
        QApplication.processEvents()
    title = view.chain_plot.titleLabel
    found = legend_lines(title)
    assert set(found) == set(CHAIN_LEGEND)
    width = title.item.textWidth()
    for name, (first, last, x0, x1) in found.items():
        assert first == last, f"{name!r} breaks across lines at {size}"
        assert 0 <= x0 < x1 <= width + 0.5
    by_line = {}
    for first, _, x0, x1 in found.values():
        by_line.setdefault(first, []).append((x0, x1))
    for spans in by_line.values():  # names on one line do not overlap
        spans.sort()
        assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:]))
    # not cut: the title's whole text fits the rectangle the layout gives it, inside the plot
    doc_h = title.item.document().size().height()
    assert doc_h <= title.rect().height() + 1
    assert view.chain_plot.sceneBoundingRect().contains(title.sceneBoundingRect().adjusted(1, 1, -1, -1))


@pytest.mark.parametrize("span, size, labelled", [((-2.5, 1.2), 400, [-2.0, -1.0, 0.0, 1.0]),
                                                  ((-12.0, 1.0), 100, [-10.0, -5.0, 0.0])])
def test_the_chain_axis_labels_whole_decades_and_marks_the_digits_between(qtbot, span, size, labelled):
    from rnn_viz.ui.views.axes import DecadeAxis

    axis = DecadeAxis("left")
    (_, major), (_, rest) = axis.logTickValues(*span, size, None)
    assert major == labelled
    lo, hi = span
    decades = range(int(np.ceil(lo)), int(np.floor(hi)) + 1)
    digits = [v + np.log10(d) for v in range(int(np.ceil(lo)) - 1, int(np.floor(hi)) + 1) for d in range(2, 10)
              if lo < v + np.log10(d) < hi]
    unlabelled = [float(v) for v in decades if float(v) not in labelled]
    # the digits 2..9 of each decade are marked only where every decade is labelled (else too dense)
    assert rest == unlabelled + (digits if len(labelled) == len(decades) else [])
