"""The sweep's figures: a line per measure over one grid, a heatmap over two, drawn from sweep.csv's
values (failed points as gaps), exported to PNG and SVG that parse."""
import math
import xml.etree.ElementTree as ET

import numpy as np
import pyqtgraph as pg
from PySide6.QtGui import QImage

from rnn_viz.ui.sweep_plot import render_sweep_plots, sweep_figures


def rows_for(values, measures, table, failed=()):
    rows = []
    for i, v in enumerate(values):
        row = {"point": str(i), "error": "boom" if i in failed else ""}
        for m in measures:
            row[m] = "" if i in failed else repr(float(table[m][i]))
        rows.append(row)
    return rows


def curves(fig):
    return [item for item in fig.plot.listDataItems() if isinstance(item, pg.PlotDataItem)]


def test_one_grid_draws_each_measure_and_all_together(qtbot, tmp_path):
    gains = [0.5, 1.0, 1.5, 2.0]
    table = {"top_lyapunov": [-0.7, 0.0, 0.05, 0.15], "grad_decay": [-0.69, 0.001, 0.06, 0.14]}
    rows = rows_for(gains, table, table, failed=(2,))
    figs = dict(sweep_figures(["model.gain"], [gains], list(table), rows))
    assert list(figs) == ["top_lyapunov", "grad_decay", "sweep"]
    for name in table:
        for fig in (figs[name], figs["sweep"]):
            x, y = next(c for c in curves(fig) if c.name() == name).getData()
            np.testing.assert_array_equal(x, gains)
            want = np.array(table[name])
            want[2] = np.nan  # the failed point is a gap, not a zero
            np.testing.assert_array_equal(y, want)
    written = render_sweep_plots(tmp_path, ["model.gain"], [gains], list(table), rows)
    assert sorted(p.name for p in written) == sorted(f"{n}.{f}" for n in figs for f in ("png", "svg"))
    for path in written:
        if path.suffix == ".png":
            assert QImage(str(path)).width() == 900
        else:
            assert ET.parse(path).getroot().tag.endswith("svg")


def test_two_grids_draw_a_heatmap_first_grid_on_x(qtbot, tmp_path):
    rho, seeds = [0.5, 1.0, 1.5], ["a", "b"]
    values = [math.log(r) + 0.01 * s for s in range(2) for r in rho]  # point = i_rho + 3 i_seed
    rows = [{"point": str(i), "final_loss": repr(v), "error": ""} for i, v in enumerate(values)]
    (name, fig), = sweep_figures(["model.spectral_radius", "training.note"], [rho, seeds], ["final_loss"], rows)
    image = next(item for item in fig.plot.items if isinstance(item, pg.ImageItem))
    assert image.image.shape == (2, 3)  # row-major: (second grid, first grid)
    np.testing.assert_allclose(image.image, np.reshape(values, (2, 3)))
    assert fig.plot.getAxis("left").labelText == "training.note"
    render_sweep_plots(tmp_path, ["model.spectral_radius", "training.note"], [rho, seeds], ["final_loss"], rows)
    ET.parse(tmp_path / "final_loss.svg")
