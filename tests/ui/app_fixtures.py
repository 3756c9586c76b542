"""Helpers for the app tests: a tiny experiment, a recording stand-in view, and Prompts that answer
without blocking."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from rnn_viz.experiment import config as cfgmod

SMALL = {
    "data": {"source": "sine", "seq_len": 12, "batch_size": 4, "val_size": 8},
    "model": {"cell": "rnn", "hidden_size": 6, "num_layers": 1},
    "training": {"seed": 3, "val_every": 2},
}


def small_config(**sections) -> cfgmod.ExperimentConfig:
    """A fast experiment (T = 12, H = 6, B = 4); ``sections`` override whole keys per section."""
    d = {k: dict(v) for k, v in SMALL.items()}
    for section, values in sections.items():
        d.setdefault(section, {}).update(values)
    return cfgmod.config_from_dict(d, "test")


class RecordingView(QWidget):
    """A stand-in view: remembers every ViewState it was given and plots one curve of it."""

    timeStepSelected = Signal(int)

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("recordingView")
        self.states = []
        layout = QVBoxLayout(self)
        self.plot = pg.PlotWidget()
        self.curve = self.plot.plot([0, 1], [0, 1])
        layout.addWidget(self.plot)

    def render(self, state) -> None:
        self.states.append(state)
        if state.trace is not None:
            y = np.asarray(state.trace["dL_dh_norm/0"])
            self.curve.setData(np.arange(len(y)), y)

    def export_item(self):
        return self.plot.getPlotItem()

    def csv_table(self):
        state = self.states[-1]
        y = np.asarray(state.trace["dL_dh_norm/0"])
        return ["t", "grad_norm"], np.column_stack([np.arange(len(y)), y])


STANDIN_VIEWS = tuple((name, RecordingView, title) for name, title in (
    ("graph", "Unrolled graph"), ("heatmaps", "Hidden states"), ("gradients", "Gradient per time step"),
    ("flow", "Gradient flow"), ("curves", "Training curves"), ("predictions", "Predictions")))


class FakePrompts:
    """Answers the window's blocking questions from attributes set by the test, and records them."""

    def __init__(self):
        self.asked = []
        self.open_answer: Path | None = None
        self.save_answer: Path | None = None
        self.directory_answer: Path | None = None
        self.unsaved_answer = "discard"
        self.png_answer = (320, 200, 150.0)
        self.preview_edit = None  # callable(section) -> section, or None to accept as shown
        self.confirm_answer = True  # what confirm() answers
        self.import_edit = None  # callable(ImportModelDialog) to change its choices, or None

    def confirm(self, title, text):
        self.asked.append(("confirm", title, text))
        return self.confirm_answer

    def open_path(self, kind, title):
        self.asked.append(("open", kind))
        return self.open_answer

    def save_path(self, kind, title, suggested=""):
        self.asked.append(("save", kind))
        return self.save_answer

    def directory(self, title):
        self.asked.append(("directory",))
        return self.directory_answer

    def unsaved_changes(self, what):
        self.asked.append(("unsaved", what))
        return self.unsaved_answer

    def png_options(self, width, height):
        self.asked.append(("png", width, height))
        return self.png_answer

    def sequence_preview(self, path, data, base_dir):
        from rnn_viz.ui.preview import SequencePreviewDialog

        self.asked.append(("preview", Path(path).name))
        dialog = SequencePreviewDialog(path, data, base_dir)  # raises DataError like the real one
        self.last_preview = dialog
        section = dialog.data_section()
        dialog.deleteLater()
        return self.preview_edit(section) if self.preview_edit else section

    def import_model(self, weights, base, base_dir):
        from rnn_viz.ui.import_dialog import ImportModelDialog

        self.asked.append(("import", Path(weights).name))
        dialog = ImportModelDialog(weights, base, base_dir)  # raises for a bad file like the real one
        self.last_import = dialog
        if self.import_edit is not None:
            self.import_edit(dialog)
        config = dialog.config()
        dialog.deleteLater()
        return config


def make_window(qtbot, tmp_path: Path, config=None, views=STANDIN_VIEWS, path: Path | None = None):
    """A MainWindow on ``config`` (default: small_config()) with settings in tmp_path and prompts
    answered by a FakePrompts (``window.prompts``). The window is closed at teardown by qtbot."""
    from rnn_viz.ui.main_window import MainWindow
    from rnn_viz.ui.settings import AppSettings

    window = MainWindow(path, settings=AppSettings(tmp_path / "settings.ini"), views=views,
                        config=config or small_config())
    window.prompts = FakePrompts()
    qtbot.addWidget(window)
    window.show()
    return window


def records_state(config, records, time_step: int = 3):
    """The ViewState of a run's StepRecords: the last one's trace, every record's metrics as history."""
    from rnn_viz.ui.state import ViewState

    history = {k: np.array([r.metrics[k] for r in records], dtype=float) for k in records[-1].metrics}
    return ViewState(trace=records[-1].trace, history=history, config=cfgmod.to_dict(config), time_step=time_step)


def bring_into_sight(qtbot, window, name: str):
    """Pick view ``name``'s tab (as a user clicks it) once the window is laid out, and return the
    view when it is on screen. (The window's first show re-tabs the docks: a dock raised before it
    may end up behind another again.)"""
    qtbot.waitUntil(lambda: window._first_show_done)
    dock = window.view_docks[name]
    dock.show()
    dock.raise_()
    view = dock.widget()
    qtbot.waitUntil(view.on_screen)
    return view


def wait_idle(qtbot, window, timeout=10_000):
    """Wait until the worker thread has finished (after Step or a pause)."""
    qtbot.waitUntil(lambda: not window.controller.running, timeout=timeout)


def step(qtbot, window, n=1):
    """Press Step ``n`` times, waiting for each update to be drawn."""
    for _ in range(n):
        target = window.controller.trainer.step_count + 1
        window.acts.step.trigger()
        qtbot.waitUntil(lambda: window.controller.trainer.step_count >= target and not window.controller.running,
                        timeout=10_000)
        window.controller.render_now()
