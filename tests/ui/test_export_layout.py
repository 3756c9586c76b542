"""Exports look like the window: a PNG at W x H is the view laid out at W x H (plots fill it, no blank
lower half), without interactive hints; Export all honours the height, creates its folder and says
what it wrote; CSVs write counting columns as integers and metrics in metrics.csv's order; a loaded
checkpoint brings its training history (or the curves say it has none) and names the window."""
from __future__ import annotations

import csv

import numpy as np
import pyqtgraph as pg
import pytest
from PySide6.QtGui import QImage
from PySide6.QtWidgets import QApplication

from rnn_viz.experiment.io import load_checkpoint, save_checkpoint
from rnn_viz.experiment.loop import Trainer
from rnn_viz.ui import export
from rnn_viz.ui.views import ALL_VIEWS
from tests.ui.app_fixtures import bring_into_sight, make_window, records_state, small_config, step


@pytest.fixture(scope="module")
def run():
    config = small_config(data={"seq_len": 20})
    trainer = Trainer(config)
    records = [trainer.step(heavy=i == 5) for i in range(6)]
    return config, records


def _pixels(path) -> np.ndarray:
    """(H, W) uint32 RGB pixels of a PNG."""
    image = QImage(str(path)).convertToFormat(QImage.Format.Format_RGB32)
    w, h = image.width(), image.height()
    flat = np.frombuffer(image.constBits(), dtype=np.uint32, count=image.bytesPerLine() * h // 4)
    return flat.reshape(h, -1)[:, :w].copy()


def lower_half_rows_with_content(path) -> float:
    """The fraction of the lower half's pixel rows that are not all one colour."""
    pixels = _pixels(path)
    lower = pixels[pixels.shape[0] // 2:]
    return float(np.mean([(row != row[0]).any() for row in lower]))


def _view(qtbot, cls, run, size=(500, 260)):
    view = cls()
    qtbot.addWidget(view)
    view.resize(*size)  # a narrow dock: the export must not be this layout scaled up
    view.show()
    view.render(records_state(*run))
    QApplication.processEvents()  # settled as the window shows it
    return view


@pytest.mark.parametrize("width, height", [(1200, 800), (640, 360)])
@pytest.mark.parametrize("name, cls, title", ALL_VIEWS, ids=[v[0] for v in ALL_VIEWS])
def test_a_png_at_a_chosen_size_is_the_view_laid_out_at_that_size(qtbot, tmp_path, run, name, cls, title,
                                                                  width, height):
    view = _view(qtbot, cls, run)
    on_screen = view.export_item().geometry()
    with export.laid_out(view, width, height) as item:
        boxes = [i.sceneBoundingRect() for i in item.scene().items() if isinstance(i, pg.ViewBox) and i.isVisible()]
        # the plots reach into the lower half and across the width: laid out at W x H, not scaled
        assert max(r.bottom() for r in boxes) > 0.55 * height
        assert max(r.right() for r in boxes) > 0.85 * width
    assert view.export_item().geometry() == on_screen  # and back as it was

    path = tmp_path / f"{name}.png"
    assert export.export_png(view, path, width, height) == (width, height)
    assert QImage(str(path)).size().toTuple() == (width, height)
    # Before the fix a 1200 x 800 export of the graph had content in 15 % of its lower rows.
    assert lower_half_rows_with_content(path) > 0.4
    assert view.export_item().geometry() == on_screen


def test_svg_is_laid_out_at_the_chosen_size_too(qtbot, tmp_path, run):
    import xml.etree.ElementTree as ET

    view = _view(qtbot, ALL_VIEWS[0][1], run)
    export.export_svg(view, tmp_path / "g.svg", 1000, 700)
    root = ET.parse(tmp_path / "g.svg").getroot()
    assert [float(v) for v in root.get("viewBox").split()] == [0, 0, 1000, 700]


def test_an_export_leaves_the_hints_out_and_puts_them_back(qtbot, tmp_path, run, monkeypatch):
    from pyqtgraph.exporters import ImageExporter, SVGExporter

    view = _view(qtbot, ALL_VIEWS[3][1], run)
    calls, during = [], []
    monkeypatch.setattr(view, "apply_export_mode", calls.append)
    for exporter in (ImageExporter, SVGExporter):
        original = exporter.export
        monkeypatch.setattr(exporter, "export", lambda self, *a, _o=original, **k: (during.append(view.export_mode),
                                                                                  _o(self, *a, **k))[1])
    export.export_png(view, tmp_path / "f.png", 300, 200)
    export.export_svg(view, tmp_path / "f.svg")
    assert during == [True, True] and calls == [True, False, True, False] and not view.export_mode

    def broken(self, *a, **k):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(ImageExporter, "export", broken)
    with pytest.raises(RuntimeError):
        export.export_png(view, tmp_path / "g.png", 300, 200)
    assert not view.export_mode  # hints back even when the export failed


def _read_csv(path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def test_export_all_honours_the_height_creates_the_folder_and_says_what_it_wrote(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, views=ALL_VIEWS, config=small_config(model={"num_layers": 2}))
    step(qtbot, window, 3)
    out = tmp_path / "not" / "yet" / "there"
    window.prompts.directory_answer = out
    window.prompts.png_answer = (640, 420, 96.0)
    written = window.files.export_all_views()
    assert out.is_dir() and all(p.exists() for p in written)
    for name, _, _ in ALL_VIEWS:
        assert QImage(str(out / f"{name}.png")).size().toTuple() == (640, 420)
        assert lower_half_rows_with_content(out / f"{name}.png") > 0.4, name
    message = window.statusBar().currentMessage()
    assert str(out) in message and f"{len(written)} files" in message
    assert "graph" in message and ".svg" in message and "metrics.csv" in message

    # metrics.csv and curves.csv: metrics.csv's documented order (the trainer's metric_columns)
    order = window.controller.trainer.metric_columns()
    assert "sigma_max/1" in order and "val_loss" in order
    header, rows = _read_csv(out / "metrics.csv")
    assert header == order
    assert [int(r[0]) for r in rows] == [1, 2, 3]
    assert _read_csv(out / "curves.csv")[0] == order
    # counting columns parse as integers in every view's CSV
    for name, column in (("curves", "step"), ("graph", "t"), ("graph", "loss_step"), ("graph", "window_start"),
                         ("flow", "t"), ("heatmaps", "t"), ("gradients", "t"), ("predictions", "t")):
        header, rows = _read_csv(out / f"{name}.csv")
        j = header.index(column)
        assert rows and all(int(r[j]) >= 0 for r in rows), (name, column)
    header, rows = _read_csv(out / "curves.csv")
    assert "." in rows[0][header.index("loss")]  # a float stays a float


def test_integer_columns_are_those_that_count_and_hold_whole_numbers():
    rows = np.array([[0.0, 1.5, 2.0, 3.0], [1.0, 2.5, np.nan, 4.5]])
    assert export.integer_columns(["t", "loss", "step [run B]", "t2"], rows) == [True, False, True, False]
    assert export.integer_columns(["t"], np.array([[0.5], [1.0]])) == [False]  # fractional seconds


def test_a_loaded_checkpoint_brings_its_history_and_names_the_window(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, views=ALL_VIEWS)
    step(qtbot, window, 3)
    shown = {k: v.copy() for k, v in window.controller.metrics.columns().items()}
    ckpt = tmp_path / "first" / "checkpoint.npz"
    ckpt.parent.mkdir()
    window.prompts.save_answer = ckpt
    assert window.files.save_checkpoint()
    assert load_checkpoint(ckpt)["history/step"].tolist() == [1, 2, 3]

    window.files.apply_config(small_config(training={"seed": 9}))  # another model, its history gone
    assert len(window.controller.metrics) == 0
    window.prompts.open_answer = ckpt
    assert window.files.load_checkpoint()
    window.controller.render_now()
    curves = bring_into_sight(qtbot, window, "curves")
    x, y = curves.loss_a.getData()
    np.testing.assert_array_equal(x, shown["step"])
    np.testing.assert_allclose(y, np.log10(shown["loss"]))  # the loss axis is log10
    assert "first/checkpoint.npz" in window.windowTitle()
    assert "no history" not in curves.loss_plot.titleLabel.text

    # A checkpoint of an older rnn-viz (no history/ keys) still loads; the curves say why they are empty.
    old = tmp_path / "old.npz"
    save_checkpoint(old, {k: v for k, v in load_checkpoint(ckpt).items() if not k.startswith("history/")})
    window.prompts.open_answer = old
    assert window.files.load_checkpoint()
    window.controller.render_now()
    assert len(window.controller.metrics) == 0 and window.controller.trainer.step_count == 3
    assert "carries no history of updates 1-3" in curves.loss_plot.titleLabel.text
    assert "no history" in window.statusBar().currentMessage()
    step(qtbot, window, 1)  # training goes on from update 4; the note stays (updates 1-3 are missing)
    assert window.controller.metrics.columns()["step"].tolist() == [4]
    assert "no history" in curves.loss_plot.titleLabel.text


def test_export_all_in_compare_mode_writes_each_runs_metrics_in_their_order(qtbot, tmp_path):
    window = make_window(qtbot, tmp_path, views=ALL_VIEWS)
    assert window.files.apply_config(window.controller.config, compare=True)
    step(qtbot, window, 2)
    window.prompts.directory_answer = tmp_path / "both"
    window.prompts.png_answer = (500, 300, 96.0)
    names = {p.name for p in window.files.export_all_views()}
    assert {"metrics.csv", "metrics_b.csv", "curves.csv"} <= names
    runs = window.controller.session.runs
    assert _read_csv(tmp_path / "both" / "metrics.csv")[0] == runs[0].metric_columns()
    assert _read_csv(tmp_path / "both" / "metrics_b.csv")[0] == runs[1].metric_columns()
    header = _read_csv(tmp_path / "both" / "curves.csv")[0]
    assert header[:len(runs[0].metric_columns())] == runs[0].metric_columns()
    assert [c.split(" [")[0] for c in header[len(runs[0].metric_columns()):]] == runs[1].metric_columns()
