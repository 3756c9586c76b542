"""What every view promises the window: objectName, cheap re-render, csv_table, exports that decode."""
from xml.etree import ElementTree

import numpy as np
import pytest
from PySide6.QtGui import QImage

from rnn_viz.ui.views import ALL_VIEWS
from tests.ui.synthetic import make_state

SHAPES = {
    "rnn-1layer-T5": dict(cell="rnn", layers=1, T=5, H=4),
    "lstm-2layers-T500": dict(cell="lstm", layers=2, T=500, H=6, bptt="truncated", k1=20, k2=40),
    "gru-2layers-T30-compare": dict(cell="gru", layers=2, T=30, H=5, compare=True),
}
VIEW_IDS = [name for name, _, _ in ALL_VIEWS]


@pytest.fixture(params=ALL_VIEWS, ids=VIEW_IDS)
def view(request, qtbot):
    _, cls, _ = request.param
    widget = cls()
    qtbot.addWidget(widget)
    widget.resize(700, 500)
    widget.show()
    return widget


def test_all_views_are_six_distinct_named_widgets():
    names = [name for name, _, _ in ALL_VIEWS]
    classes = [cls for _, cls, _ in ALL_VIEWS]
    assert names == ["graph", "heatmaps", "gradients", "flow", "curves", "predictions"]
    assert len({cls.OBJECT_NAME for cls in classes}) == 6
    assert all(title for _, _, title in ALL_VIEWS)


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_render_twice_reuses_every_item(view, qtbot, shape):
    assert view.objectName() == type(view).OBJECT_NAME
    state = make_state(**shape, time_step=3)
    view.render(state)
    qtbot.wait(1)  # let pyqtgraph's deferred layout run once, so the counts below are settled
    before = list(view.canvas.scene().items())
    view.render(state)
    view.render(make_state(**shape, time_step=4, seed=7))
    after = list(view.canvas.scene().items())
    assert len(after) == len(before)
    assert set(map(id, after)) == set(map(id, before)), "render() created or removed plot items"


@pytest.mark.parametrize("shape", SHAPES.values(), ids=SHAPES.keys())
def test_csv_table_matches_its_columns(view, shape):
    state = make_state(**shape)
    view.render(state)
    columns, rows = view.csv_table()
    assert columns and all(isinstance(c, str) and c for c in columns)
    assert len(set(columns)) == len(columns), "duplicate CSV column names"
    rows = np.asarray(rows)
    assert rows.ndim == 2 and rows.shape[1] == len(columns) and rows.shape[0] > 0


def test_views_without_a_trace_draw_nothing_and_do_not_fail(view):
    state = make_state(cell="rnn", layers=1, T=5)
    from dataclasses import replace
    view.render(replace(state, trace=None))
    columns, rows = view.csv_table()
    assert len(columns) >= 1


def test_png_and_svg_export_of_every_view(view, qtbot, tmp_path):
    from pyqtgraph.exporters import ImageExporter

    from rnn_viz.ui import export

    view.render(make_state(cell="lstm", layers=2, T=40, H=6, compare=True, time_step=10))
    qtbot.wait(1)
    exporter = ImageExporter(view.export_item())
    exporter.parameters()["width"] = 640
    image = exporter.export(toBytes=True)
    assert isinstance(image, QImage) and image.width() == 640 and image.height() > 100
    export.export_svg(view, tmp_path / "view.svg")  # the app's SVG path (with the Qt >= 6.11 workaround)
    root = ElementTree.parse(tmp_path / "view.svg").getroot()
    assert root.tag.endswith("svg")


@pytest.mark.parametrize("entry", ALL_VIEWS, ids=VIEW_IDS)
def test_hidden_views_draw_when_shown_exported_or_asked_for_data(qtbot, entry):
    _, cls, _ = entry
    view = cls()
    qtbot.addWidget(view)
    state = make_state(cell="rnn", layers=1, T=8, compare=True)
    view.render(state)
    assert view._pending is state, "a hidden view should only keep the state"
    columns, rows = view.csv_table()
    assert view._pending is None and len(rows) > 0
    later = make_state(cell="rnn", layers=1, T=8, seed=3)
    view.render(later)
    view.export_item()
    assert view._pending is None
    view.render(state)
    view.show()
    assert view._pending is None


def test_degenerate_shapes_and_model_changes_do_not_break_a_view(view):
    """T = 1, one sample, one unit; then the model changes shape (layers, cell) between updates."""
    view.render(make_state(cell="rnn", layers=1, T=1, H=1, B=1, I=1, O=1))
    for shape in (dict(cell="lstm", layers=3, T=6, H=2), dict(cell="rnn", layers=1, T=9, H=3),
                  dict(cell="gru", layers=2, T=4, H=2, compare=True)):
        state = make_state(**shape, sample=5, time_step=30)  # sample and step out of range on purpose
        view.render(state)
        columns, rows = view.csv_table()
        assert np.asarray(rows).shape[1] == len(columns)


def test_non_finite_values_are_drawn_as_gaps_not_errors(view):
    state = make_state(cell="rnn", layers=2, T=8)
    trace = dict(state.trace)
    for key in ("hidden/0", "dL_dh_norm/1", "dL_dh_norm_sample/0", "flow/0", "predictions"):
        value = np.array(trace[key], dtype=float)
        value.flat[0], value.flat[-1] = np.nan, np.inf
        trace[key] = value
    from dataclasses import replace
    view.render(replace(state, trace=trace))
    view.csv_table()


def test_titles_wrap_in_a_narrow_dock_and_no_legend_covers_a_plot(view, qtbot):
    """A dock 260 px wide: every plot title is shown whole (wrapped, not cut), and legends sit in the
    titles rather than over the data."""
    import pyqtgraph as pg

    view.resize(260, 700)
    view.render(make_state(cell="rnn", layers=2, T=30, H=5, compare=True, time_step=3))
    plots = [item for item in view.canvas.scene().items() if isinstance(item, pg.PlotItem)]
    titled = [p for p in plots if p.titleLabel.isVisible() and p.titleLabel.text]
    assert titled

    def whole(plot) -> bool:
        label = plot.titleLabel
        text = label.item.mapRectToParent(label.item.boundingRect())
        return (text.width() <= label.rect().width() + 1 and text.height() <= label.rect().height() + 1
                and label.rect().width() <= plot.rect().width())

    qtbot.waitUntil(lambda: all(whole(p) for p in titled), timeout=2000)
    assert all(p.legend is None for p in plots)
