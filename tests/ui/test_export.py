"""Exports: every view to PNG (size and DPI), SVG (parses), CSV (the view's columns); all at once with
metrics and the experiment; the offscreen plots of `rnn-viz run --plots`."""
from __future__ import annotations

import csv
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from PySide6.QtGui import QImage

from rnn_viz.experiment import config as cfgmod
from rnn_viz.experiment.io import MetricsWriter
from rnn_viz.experiment.loop import Trainer
from rnn_viz.ui import export, files
from rnn_viz.ui.plots import render_run_plots
from rnn_viz.ui.views import ALL_VIEWS
from tests.ui.app_fixtures import make_window, records_state, small_config, step

SVG = "{http://www.w3.org/2000/svg}svg"


@pytest.fixture(scope="module")
def run():
    """Two updates of a small experiment: the last record (heavy) and its metrics rows."""
    config = small_config()
    trainer = Trainer(config)
    records = [trainer.step(heavy=i == 1) for i in range(2)]
    return config, records


@pytest.mark.parametrize("name, cls, title", ALL_VIEWS, ids=[v[0] for v in ALL_VIEWS])
def test_every_view_exports_png_svg_and_csv(qtbot, tmp_path, run, name, cls, title):
    view = cls()
    qtbot.addWidget(view)
    view.resize(600, 400)
    view.show()
    view.render(records_state(*run))

    png = tmp_path / f"{name}.png"
    # The height from the aspect ratio the view has when asked (the export then lays it out and
    # settles its layout, which a view that has not been painted yet has not done).
    expected = export_png_height(view, 320)
    assert export.export_png(view, png, width=320, dpi=200) == (320, expected)
    image = QImage(str(png))
    assert not image.isNull() and image.width() == 320
    assert round(image.dotsPerMeterX() * 0.0254) == 200

    svg = tmp_path / f"{name}.svg"
    export.export_svg(view, svg)
    root = ET.parse(svg).getroot()
    assert root.tag == SVG and len(list(root.iter())) > 5

    table = tmp_path / f"{name}.csv"
    columns = export.export_csv(view, table)
    with table.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    assert rows[0] == list(view.csv_table()[0]) == columns
    assert len(rows) - 1 == len(view.csv_table()[1])


def export_png_height(view, width):
    """The height that keeps the item's aspect ratio at ``width``, to the nearest pixel."""
    rect = view.export_item().sceneBoundingRect()
    return round(width * rect.height() / rect.width())


def test_png_of_an_exact_size(qtbot, tmp_path, run):
    _, cls, _ = ALL_VIEWS[0]
    view = cls()
    qtbot.addWidget(view)
    view.show()
    view.render(records_state(*run))
    assert export.export_png(view, tmp_path / "g.png", width=400, height=250) == (400, 250)
    assert QImage(str(tmp_path / "g.png")).size().toTuple() == (400, 250)


def test_unwritable_target_is_a_typed_error(qtbot, tmp_path, run):
    _, cls, _ = ALL_VIEWS[1]
    view = cls()
    qtbot.addWidget(view)
    view.show()
    view.render(records_state(*run))
    with pytest.raises(export.ExportError, match="missing"):
        export.export_view(view, tmp_path / "missing" / "x.csv")
    with pytest.raises(export.ExportError, match="format"):
        export.export_view(view, tmp_path / "x.jpg")


def test_export_all_from_the_window_and_the_right_click_menu(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, views=ALL_VIEWS)
    step(qtbot, window, 2)
    out = tmp_path / "figures"
    window.prompts.directory_answer = out
    window.prompts.png_answer = (480, 0, 120.0)
    written = window.files.export_all_views()
    names = {p.name for p in written}
    for name, _, _ in ALL_VIEWS:
        assert {f"{name}.png", f"{name}.svg", f"{name}.csv"} <= names
    assert {"metrics.csv", "experiment.toml"} <= names
    assert cfgmod.load_config(out / "experiment.toml") == window.edited_config
    with (out / "metrics.csv").open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert [int(r["step"]) for r in rows] == [1, 2] and "loss" in rows[0]
    assert QImage(str(out / "graph.png")).width() == 480

    # One view through File > Export view (and the same actions sit in its right-click menu).
    flow_view = dict((n, v) for n, v, _ in window.views)["flow"]
    scene = flow_view.export_item().scene()
    menu = scene.contextMenu[0]
    assert [a.objectName() for a in menu.actions()] == ["Export_flow_png", "Export_flow_svg", "Export_flow_csv"]
    window.prompts.save_answer = tmp_path / "flow.csv"
    menu.actions()[2].trigger()
    with (tmp_path / "flow.csv").open(newline="") as fh:
        header = next(csv.reader(fh))
    assert header[0] == "t" and len(header) == 1 + 12


def test_render_run_plots_writes_every_view(qtbot, tmp_path, run):
    config, records = run
    metrics = tmp_path / "metrics.csv"
    with MetricsWriter(metrics) as writer:
        for r in records:
            writer.write(r.metrics)
    written = render_run_plots(tmp_path / "plots", records[-1].trace, metrics, config, formats=("png", "svg"))
    assert len(written) == 2 * len(ALL_VIEWS)
    for path in written:
        assert path.stat().st_size > 0
        if path.suffix == ".png":
            assert QImage(str(path)).width() == 1000
        else:
            assert ET.parse(path).getroot().tag == SVG
