"""`rnn-viz run --plots`: DIR/{graph,heatmaps,gradients,flow,curves,predictions}.{png,svg,csv}; with
--compare, DIR drawn as compare mode draws both runs and DIR/compare run B alone; CSVs write counting
columns as integers and curves.csv in metrics.csv's order; Qt's propagateSizeHints warning never
appears. A real process, so that what Qt prints on stderr is seen."""
from __future__ import annotations

import csv
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest
from PySide6.QtGui import QImage

from rnn_viz.ui.plots import PLOT_SIZE
from tests.ui.test_export_layout import lower_half_rows_with_content

VIEWS = ("graph", "heatmaps", "gradients", "flow", "curves", "predictions")
EXPECTED = {f"{v}.{fmt}" for v in VIEWS for fmt in ("png", "svg", "csv")}
RUN_FILES = {"config.toml", "metrics.csv", "trace.npz", "checkpoint.npz"}

EXPERIMENT = """
[data]
source = "sine"
seq_len = 12
batch_size = 4
val_size = 8
[model]
hidden_size = 6
[training]
val_every = 2
[compare]
label = "truncated, k2 = 3"
[compare.training]
bptt = "truncated"
k2 = 3
"""


def _rows(path):
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


@pytest.fixture(scope="module")
def plotted(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plots")
    exp = folder / "exp.toml"
    exp.write_text(EXPERIMENT, encoding="utf-8")
    out = folder / "run"
    env = {k: v for k, v in os.environ.items() if k != "QT_QPA_PLATFORM"}  # the CLI chooses offscreen itself
    done = subprocess.run([sys.executable, "-m", "rnn_viz", "run", str(exp), "--steps", "3", "--out", str(out),
                           "--compare", "--plots", "--quiet"], capture_output=True, text=True, env=env, timeout=600)
    return out, done


def test_the_file_set_has_the_exact_names(plotted):
    out, done = plotted
    assert done.returncode == 0, done.stderr
    assert {p.name for p in out.iterdir() if p.is_file()} == EXPECTED | RUN_FILES
    assert {p.name for p in (out / "compare").iterdir()} == EXPECTED | RUN_FILES


def test_qt_prints_no_propagate_size_hints_warning(plotted):
    _, done = plotted
    assert "propagateSizeHints" not in done.stderr
    assert done.stderr == ""  # --quiet, and nothing from Qt


@pytest.mark.parametrize("where", ["", "compare"])
def test_pngs_are_laid_out_at_the_plot_size_and_svgs_parse(plotted, where):
    out = plotted[0] / where
    for view in VIEWS:
        assert QImage(str(out / f"{view}.png")).size().toTuple() == PLOT_SIZE
        assert lower_half_rows_with_content(out / f"{view}.png") > 0.4, view
        assert ET.parse(out / f"{view}.svg").getroot().tag == "{http://www.w3.org/2000/svg}svg"


def test_dir_holds_both_runs_as_compare_mode_draws_them_and_compare_holds_run_b(plotted):
    out = plotted[0]
    header_a, _ = _rows(out / "metrics.csv")
    header_b, _ = _rows(out / "compare" / "metrics.csv")
    header, rows = _rows(out / "curves.csv")
    assert header[:len(header_a)] == header_a  # run A's columns in metrics.csv's order, then run B's
    assert header[len(header_a):] == [f"{c} [truncated, k2 = 3]" for c in header_b]
    assert len(rows) == 3
    header, rows = _rows(out / "compare" / "curves.csv")
    assert header == header_b and len(rows) == 3  # run B alone
    # compare mode's gradient profile has a curve per run, run B's alone only B's
    both, alone = _rows(out / "gradients.csv")[0], _rows(out / "compare" / "gradients.csv")[0]
    assert len(both) > len(alone)


@pytest.mark.parametrize("where", ["", "compare"])
def test_integer_columns_parse_as_integers(plotted, where):
    out = plotted[0] / where
    for name, column in (("curves", "step"), ("graph", "t"), ("graph", "window_start"), ("flow", "t"),
                         ("predictions", "t"), ("predictions", "loss_step"), ("heatmaps", "t")):
        header, rows = _rows(out / f"{name}.csv")
        j = header.index(column)
        assert [int(r[j]) for r in rows if r[j]] and all(r[j].lstrip("-").isdigit() for r in rows if r[j]), (name, column)
    header, rows = _rows(out / "curves.csv")
    assert [int(r[0]) for r in rows] == [1, 2, 3]
