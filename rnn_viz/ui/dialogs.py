"""Dialogs: errors and divergence in plain words, the unsaved-changes prompt, PNG export options.

Blocking questions (file pickers, "save changes?") go through :class:`Prompts`, which tests replace;
messages (errors, divergence) are non-blocking boxes with an objectName, so training and tests go on.
"""
from __future__ import annotations

import math
from pathlib import Path

from PySide6.QtWidgets import (
    QDialog, QDialogButtonBox, QDoubleSpinBox, QFileDialog, QFormLayout, QMessageBox, QSpinBox, QWidget,
)

from rnn_viz.experiment.advice import RESTART_CLIP_NORM
from rnn_viz.experiment.advice import divergence_advice as build_advice

__all__ = ["Prompts", "show_message", "divergence_advice", "show_divergence", "PngOptionsDialog", "FILE_FILTERS"]

FILE_FILTERS = {
    "experiment": "Experiment files (*.toml);;All files (*)",
    "sequence": "Sequences (*.csv *.tsv *.npy *.npz *.txt);;All files (*)",
    "checkpoint": "Checkpoints (*.npz);;All files (*)",
    "weights": "PyTorch state dicts (*.safetensors *.pt *.pth *.npz);;All files (*)",
    "png": "PNG image (*.png)",
    "svg": "SVG image (*.svg)",
    "csv": "CSV table (*.csv)",
}


def show_message(parent: QWidget, title: str, text: str, *, name: str = "ErrorDialog",
                 icon=QMessageBox.Icon.Warning, details: str | None = None) -> QMessageBox:
    """A non-blocking message box (one per ``name``: a new message replaces the old one)."""
    old = parent.findChild(QMessageBox, name)
    if old is not None:
        old.close()
        old.deleteLater()
    box = QMessageBox(icon, title, text, QMessageBox.StandardButton.Ok, parent)
    box.setObjectName(name)
    if details:
        box.setInformativeText(details)
    box.open()
    return box


def divergence_advice(error, config, trainer=None) -> tuple[str, str]:
    """(what happened, what to change) for a DivergenceError under ``config``, in plain words, from
    the one builder the CLI uses too (rnn_viz.experiment.advice); ``trainer``: the run that diverged."""
    advice = build_advice(error, config, trainer)
    return advice.happened, advice.tips_text()


def show_divergence(parent: QWidget, error, config, trainer, reset_with_clipping) -> QMessageBox:
    """The divergence dialog (``DivergenceDialog``); when the last good state is wrecked it carries a
    "Reset with clipping" button (``ResetWithClippingButton``) that calls ``reset_with_clipping()``."""
    advice = build_advice(error, config, trainer)
    box = show_message(parent, "Training diverged", advice.happened, name="DivergenceDialog",
                       details=advice.tips_text())
    if advice.start_over:
        button = box.addButton("Reset with clipping", QMessageBox.ButtonRole.AcceptRole)
        button.setObjectName("ResetWithClippingButton")
        button.setToolTip(f"Set Clip norm to {RESTART_CLIP_NORM:g} and build a fresh model")
        button.clicked.connect(reset_with_clipping)
        box.setDefaultButton(button)
    return box


class Prompts:
    """The blocking questions the window asks. Tests swap in an object with the same methods."""

    def __init__(self, parent: QWidget, settings):
        self.parent = parent
        self.settings = settings

    def open_path(self, kind: str, title: str) -> Path | None:
        path, _ = QFileDialog.getOpenFileName(self.parent, title, self.settings.last_dir(kind), FILE_FILTERS[kind])
        if not path:
            return None
        self.settings.set_last_dir(kind, Path(path))
        return Path(path)

    def save_path(self, kind: str, title: str, suggested: str = "") -> Path | None:
        start = str(Path(self.settings.last_dir(kind)) / suggested) if suggested else self.settings.last_dir(kind)
        path, _ = QFileDialog.getSaveFileName(self.parent, title, start, FILE_FILTERS[kind])
        if not path:
            return None
        path = Path(path)
        suffix = {"experiment": ".toml", "checkpoint": ".npz"}.get(kind, f".{kind}")
        if path.suffix.lower() != suffix:
            path = path.with_suffix(path.suffix + suffix if path.suffix else suffix)
        self.settings.set_last_dir(kind, path)
        return path

    def directory(self, title: str) -> Path | None:
        path = QFileDialog.getExistingDirectory(self.parent, title, self.settings.last_dir("export"))
        if not path:
            return None
        self.settings.set_last_dir("export", Path(path))
        return Path(path)

    def unsaved_changes(self, what: str) -> str:
        """'save', 'discard' or 'cancel'."""
        buttons = (QMessageBox.StandardButton.Save | QMessageBox.StandardButton.Discard
                   | QMessageBox.StandardButton.Cancel)
        box = QMessageBox(QMessageBox.Icon.Question, "Unsaved changes",
                          f"The experiment has unsaved changes. Save them before {what}?", buttons, self.parent)
        box.setObjectName("UnsavedDialog")
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        return {QMessageBox.StandardButton.Save: "save",
                QMessageBox.StandardButton.Discard: "discard"}.get(QMessageBox.StandardButton(answer), "cancel")

    def confirm(self, title: str, text: str) -> bool:
        """A yes/no question whose safe answer (No) is the default: reading a file a shared file named."""
        box = QMessageBox(QMessageBox.Icon.Question, title, text,
                          QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No, self.parent)
        box.setObjectName("ConfirmDialog")
        box.setDefaultButton(QMessageBox.StandardButton.No)
        return QMessageBox.StandardButton(box.exec()) == QMessageBox.StandardButton.Yes

    def png_options(self, width: int, height: int) -> tuple[int, int, float] | None:
        dialog = PngOptionsDialog(width, height, self.parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.values()

    def sequence_preview(self, path: Path, data: dict, base_dir: Path) -> dict | None:
        from rnn_viz.ui.preview import SequencePreviewDialog

        dialog = SequencePreviewDialog(path, data, base_dir, self.parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.data_section()

    def import_model(self, weights: Path, base, base_dir: Path):
        """The experiment to open from a weights file (ImportModelDialog), or None if cancelled."""
        from rnn_viz.ui.import_dialog import ImportModelDialog

        def choose_file():
            path = self.open_path("sequence", "Data for the imported model")
            return None if path is None else self.sequence_preview(path, dict(base.data), base_dir)

        dialog = ImportModelDialog(weights, base, base_dir, choose_file, self.parent)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.config()


class PngOptionsDialog(QDialog):
    """Width and height in pixels and the DPI written into the PNG (height follows the aspect ratio)."""

    def __init__(self, width: int, height: int, parent=None):
        super().__init__(parent)
        self.setObjectName("PngOptionsDialog")
        self.setWindowTitle("PNG size")
        self._aspect = height / width if width else 1.0
        form = QFormLayout(self)
        self.width_spin = QSpinBox(self)
        self.width_spin.setObjectName("PngWidth")
        self.width_spin.setRange(16, 20000)
        self.width_spin.setValue(max(16, width))
        self.width_spin.setSuffix(" px")
        self.height_spin = QSpinBox(self)
        self.height_spin.setObjectName("PngHeight")
        self.height_spin.setRange(16, 20000)
        self.height_spin.setValue(max(16, height))
        self.height_spin.setSuffix(" px")
        self.dpi_spin = QDoubleSpinBox(self)
        self.dpi_spin.setObjectName("PngDpi")
        self.dpi_spin.setRange(10, 2400)
        self.dpi_spin.setDecimals(0)
        self.dpi_spin.setValue(150)
        self.dpi_spin.setToolTip("Dots per inch stored in the file: decides the printed size")
        self.width_spin.valueChanged.connect(
            lambda w: self.height_spin.setValue(max(16, int(math.floor(w * self._aspect + 0.5)))))
        form.addRow("Width", self.width_spin)
        form.addRow("Height", self.height_spin)
        form.addRow("DPI", self.dpi_spin)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                   parent=self)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form.addRow(buttons)

    def values(self) -> tuple[int, int, float]:
        return self.width_spin.value(), self.height_spin.value(), self.dpi_spin.value()
