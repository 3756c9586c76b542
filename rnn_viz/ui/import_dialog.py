"""File > Import trained model: a PyTorch weights file, then the data, with a preview of what the
file holds (cell, layers, sizes, activation, parameter count, ignored keys, modules) and the parity
with torch before the window opens it as an experiment with ``[model] weights``.

The preview is experiment.import_preview (the Trainer that opening the experiment builds); this
module only lays it out. Nothing is written and the window is untouched until the user accepts.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QPlainTextEdit,
    QPushButton, QVBoxLayout,
)

from rnn_viz.data.config import DATA_SOURCES
from rnn_viz.data.weights import read_state_dict
from rnn_viz.engine.cell_kinds import CELL_KINDS
from rnn_viz.experiment import config as cfgmod
from rnn_viz.experiment.import_preview import ImportPreview, import_config, preview_import
from rnn_viz.experiment.torch_map import NO_READOUT, linear_candidates, map_state_dict, recurrent_candidates
from rnn_viz.ui.errors import error_text

__all__ = ["ImportModelDialog", "check_weights_file"]

# Built-in tasks the data choice offers: every source but a file (chosen with "Your file...").
_TASKS = tuple(s for s in DATA_SOURCES if s not in ("file", "text"))
_AUTO = "(found from the file)"


def check_weights_file(path: Path) -> dict:
    """The file's state dict, or DataError/ConfigError naming the file and key.

    A file whose keys cannot map with the modules found automatically is refused here, unless it
    holds several recurrent or Linear modules (then the dialog lets the user choose)."""
    state = read_state_dict(path)
    try:
        map_state_dict(state, str(path))
    except cfgmod.ConfigError:
        if len(recurrent_candidates(state)) <= 1 and len(linear_candidates(state)) <= 1:
            raise
    return state


class ImportModelDialog(QDialog):
    """Construction reads ``weights`` (DataError/ConfigError for a bad file: the caller shows it).
    ``base``: the experiment now shown (its data, training settings); ``config()``: the experiment
    to open after Accept. A choice that does not fit (data sizes, modules) disables OK and says why.
    ``choose_file``: callable() -> a ``[data]`` table or None (the window's sequence preview)."""

    def __init__(self, weights: Path, base: cfgmod.ExperimentConfig, base_dir: Path, choose_file=None, parent=None):
        super().__init__(parent)
        self.setObjectName("ImportModelDialog")
        self.weights = Path(weights)
        self.setWindowTitle(f"Import trained model: {self.weights.name}")
        self.base, self.base_dir, self._choose_file = base, Path(base_dir), choose_file
        state = check_weights_file(self.weights)
        self._config: cfgmod.ExperimentConfig | None = None
        self.preview: ImportPreview | None = None
        data = dict(base.data)
        self._file_data = data if data.get("source") == "file" else None

        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"<b>{self.weights.name}</b> ({self.weights.parent})", self))
        data_box = QGroupBox("Data to run it on", self)
        row = QHBoxLayout(data_box)
        self.data = QComboBox(self)
        self.data.setObjectName("ImportData")
        self.data.setToolTip("A built-in task, or your own sequences (Your file...)")
        for task in _TASKS:
            self.data.addItem(task, task)
        self.file_button = QPushButton("Your file\u2026", self)
        self.file_button.setObjectName("ImportDataFile")
        self.file_button.clicked.connect(self._pick_file)
        row.addWidget(self.data, 1)
        row.addWidget(self.file_button)
        layout.addWidget(data_box)

        model_box = QGroupBox("Modules", self)
        form = QFormLayout(model_box)
        self.module = self._combo("ImportModule", [(_AUTO, None)] + [(m or "(top level)", m) for m in recurrent_candidates(state)])
        self.readout = self._combo("ImportReadout", [(_AUTO, None)]
                                   + [(m or "(top level)", m) for m in linear_candidates(state)]
                                   + [("none: a fresh readout", NO_READOUT)])
        self.activation = self._combo("ImportActivation", [("tanh (assumed: the file cannot tell)", None),
                                                           ("relu", "relu"), ("tanh", "tanh")])
        form.addRow("Recurrent module", self.module)
        form.addRow("Readout (nn.Linear)", self.readout)
        form.addRow("Activation (nn.RNN only)", self.activation)
        layout.addWidget(model_box)

        self.summary = QPlainTextEdit(self)
        self.summary.setObjectName("ImportSummary")
        self.summary.setReadOnly(True)
        layout.addWidget(self.summary, 1)
        self.error = QLabel(self)
        self.error.setObjectName("ImportError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        parent=self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Open this model")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        if self._file_data is not None:
            self._add_file_item()
        else:
            index = self.data.findData(data.get("source"))
            self.data.setCurrentIndex(max(index, 0))
        for combo in (self.data, self.module, self.readout, self.activation):
            combo.currentIndexChanged.connect(self.refresh)
        self.resize(620, 520)
        self.refresh()

    def _combo(self, name: str, items) -> QComboBox:
        box = QComboBox(self)
        box.setObjectName(name)
        for text, value in items:
            box.addItem(text, value)
        return box

    def _add_file_item(self) -> None:
        name = Path(str(self._file_data.get("path", "file"))).name
        index = self.data.findData("file")
        if index < 0:
            self.data.addItem("", "file")
            index = self.data.count() - 1
        self.data.setItemText(index, f"your file: {name}")
        self.data.setCurrentIndex(index)

    def _pick_file(self) -> None:
        section = self._choose_file() if self._choose_file is not None else None
        if section is not None:
            self.set_file_data(section)

    def set_file_data(self, section: dict) -> None:
        """Run the model on the user's file: ``section`` is the sequence preview's ``[data]`` table."""
        self._file_data = dict(section)
        self.data.blockSignals(True)
        self._add_file_item()
        self.data.blockSignals(False)
        self.refresh()

    def data_section(self) -> dict:
        source = self.data.currentData()
        if source == "file":
            return dict(self._file_data)
        if source == self.base.data.get("source"):
            return dict(self.base.data)  # keep the experiment's settings of that task
        return {"source": source}

    def refresh(self, *_args) -> None:
        """Rebuild the preview for the choices shown."""
        self._config = self.preview = None
        try:
            config = import_config(self.base, self.weights, self.data_section(), self.module.currentData(),
                                   self.readout.currentData(), self.activation.currentData())
            preview = preview_import(config, self.base_dir)
        except Exception as exc:  # the typed errors name the file and the key; anything else is shown too
            self.summary.setPlainText("")
            self._set_error(error_text(exc))
            return
        self._config, self.preview = config, preview
        self.activation.setEnabled(CELL_KINDS[preview.cell].takes_activation)
        self.summary.setPlainText("\n".join(preview.lines))
        self._set_error(preview.parity if preview.warning else None, block=False)

    def _set_error(self, message: str | None, block: bool = True) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not (message and block))

    def config(self) -> cfgmod.ExperimentConfig | None:
        """The experiment to open (None while the choices shown do not fit)."""
        return self._config

