"""The SVG workaround for pyqtgraph #3495: close commands (``Z``) leave the path data before
pyqtgraph's coordinate parser runs and come back at the same places; exports then parse."""
import importlib
import xml.etree.ElementTree as ET

import pyqtgraph as pg

from rnn_viz.ui import pyqtgraph_svg_3495 as fix


def test_split_takes_out_every_close_and_restore_puts_it_back():
    d = "M0,0 L433.859,0 L433.859,264.5 Z M1,1 L2,2z"
    kept, closes = fix.split_closes(d)
    assert kept == "M0,0 L433.859,0 L433.859,264.5 M1,1 L2,2"
    assert closes == [(3, "Z"), (5, "z")]
    # pyqtgraph writes the transformed coordinates back, one token each, with a trailing space.
    moved = "M10,10 L443.859,10 L443.859,274.5 M11,11 L12,12 "
    assert fix.restore_closes(moved, closes) == "M10,10 L443.859,10 L443.859,274.5 Z M11,11 L12,12 z"


def test_paths_without_close_and_paths_that_changed_length_are_left_alone():
    assert fix.split_closes("M0,0 L1,1") == ("M0,0 L1,1", [])
    assert fix.restore_closes("M0,0 L1,1 ", []) == "M0,0 L1,1 "
    assert fix.restore_closes("M0,0", [(3, "Z")]) == "M0,0"
    assert fix.split_closes("ZM0,0 L1,1 Z") == ("M0,0 L1,1", [(0, "Z"), (2, "Z")])


def test_install_is_idempotent_and_the_exported_svg_parses(qtbot):
    fix.install()
    module = importlib.import_module("pyqtgraph.exporters.SVGExporter")
    wrapped = module.correctCoordinates
    fix.install()
    assert module.correctCoordinates is wrapped
    plot = pg.PlotWidget()
    qtbot.addWidget(plot)
    plot.plot([1, 5, 2, 4, 3], fillLevel=0, brush=(0, 0, 255, 80))
    plot.resize(400, 300)
    plot.show()
    data = pg.exporters.SVGExporter(plot.getPlotItem()).export(toBytes=True)
    root = ET.fromstring(data)
    paths = [p.get("d") for p in root.iter("{http://www.w3.org/2000/svg}path")]
    assert paths
    for d in paths:
        for token in d.split():
            assert token in ("Z", "z") or len(token.lstrip("MLCQ").split(",")) == 2, d
