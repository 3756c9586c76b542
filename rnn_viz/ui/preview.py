"""File > Open sequence: a preview of the file (summary, first rows, missing values) and the choice
of columns and windowing before anything is trained on it."""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
    QListWidget, QListWidgetItem, QPlainTextEdit, QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout,
)

from rnn_viz.data import DataError, SCHEMAS, inspect_file

__all__ = ["SequencePreviewDialog", "SEQUENCE_SUFFIXES"]

SEQUENCE_SUFFIXES = (".csv", ".tsv", ".npy", ".npz", ".txt")
_FILE_KEYS = {k.name: k for k in SCHEMAS["file"]}


class SequencePreviewDialog(QDialog):
    """Shows ``inspect_file(path, section)`` and lets the user pick columns and windowing.

    Construction raises DataError when the file itself cannot be read (the caller shows it); bad
    choices only disable OK and say why. ``data_section()`` is the ``[data]`` table to train on.
    """

    def __init__(self, path: Path, data: dict, base_dir: Path, parent=None):
        super().__init__(parent)
        self.setObjectName("SequencePreviewDialog")
        self.setWindowTitle(f"Open sequence: {Path(path).name}")
        self.path = Path(path)
        self.base_dir = Path(base_dir)
        self._batch_size = int(data.get("batch_size", 32))
        given = {k: v for k, v in data.items() if k in _FILE_KEYS} if data.get("source") == "file" else {}
        given.pop("path", None)
        # Column choices belong to the file they were made for.
        if data.get("path") and Path(str(data["path"])).name != self.path.name:
            given.pop("inputs", None)
            given.pop("targets", None)
        self._section = {"source": "file", "path": str(self.path), **given}
        self.preview = inspect_file(self.path, self._section, self.base_dir)  # DataError: the caller says so

        layout = QVBoxLayout(self)
        self.summary = QPlainTextEdit(self)
        self.summary.setObjectName("PreviewSummary")
        self.summary.setReadOnly(True)
        self.summary.setMaximumHeight(120)
        layout.addWidget(QLabel(f"<b>{self.path.name}</b> ({self.preview.kind})", self))
        layout.addWidget(self.summary)

        self.table = QTableWidget(self)
        self.table.setObjectName("PreviewTable")
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setMaximumHeight(170)
        layout.addWidget(self.table)

        columns_box = QGroupBox("Columns (none ticked = every numeric column)", self)
        columns_row = QHBoxLayout(columns_box)
        self.inputs = self._column_list("PreviewInputs", "Inputs x_t")
        self.targets = self._column_list("PreviewTargets", "Targets (predicted ahead)")
        for title, widget in (("Inputs", self.inputs), ("Targets", self.targets)):
            col = QVBoxLayout()
            col.addWidget(QLabel(title, self))
            col.addWidget(widget)
            columns_row.addLayout(col)
        layout.addWidget(columns_box)
        columns_box.setVisible(bool(self.preview.columns) and self.preview.kind != "text")

        options = QGroupBox("Windows", self)
        form = QFormLayout(options)
        self.seq_len = self._spin("seq_len", "PreviewSeqLen")
        self.horizon = self._spin("horizon", "PreviewHorizon")
        self.stride = self._spin("stride", "PreviewStride")
        self.val_fraction = QDoubleSpinBox(self)
        self.val_fraction.setObjectName("PreviewValFraction")
        self.val_fraction.setRange(0.0, 0.9)
        self.val_fraction.setSingleStep(0.05)
        self.val_fraction.setValue(float(self._section.get("val_fraction", _FILE_KEYS["val_fraction"].default)))
        self.val_fraction.setToolTip(_FILE_KEYS["val_fraction"].doc)
        self.missing = QComboBox(self)
        self.missing.setObjectName("PreviewMissing")
        self.missing.addItems(list(_FILE_KEYS["missing"].choices))
        self.missing.setCurrentText(str(self._section.get("missing", "interpolate")))
        self.missing.setToolTip("How to fill missing values: linear interpolation, carry forward, or drop")
        form.addRow("Sequence length (T)", self.seq_len)
        if self.preview.kind != "text":
            form.addRow("Predict ahead (steps)", self.horizon)
            form.addRow("Window stride", self.stride)
            form.addRow("Missing values", self.missing)
        form.addRow("Validation fraction", self.val_fraction)
        layout.addWidget(options)

        self.error = QLabel(self)
        self.error.setObjectName("PreviewError")
        self.error.setWordWrap(True)
        self.error.setStyleSheet("color: #b00020;")
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        parent=self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText("Train on this")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        self._fill_columns()
        self._show(self.preview)
        for w in (self.seq_len, self.horizon, self.stride):
            w.valueChanged.connect(self._refresh)
        self.val_fraction.valueChanged.connect(self._refresh)
        self.missing.currentTextChanged.connect(self._refresh)
        self.inputs.itemChanged.connect(self._refresh)
        self.targets.itemChanged.connect(self._refresh)
        self.resize(640, 640)

    def _column_list(self, name: str, tip: str) -> QListWidget:
        w = QListWidget(self)
        w.setObjectName(name)
        w.setToolTip(tip)
        w.setMaximumHeight(120)
        return w

    def _spin(self, key: str, name: str) -> QSpinBox:
        k = _FILE_KEYS[key]
        w = QSpinBox(self)
        w.setObjectName(name)
        w.setRange(int(k.lo), int(min(k.hi, 2**31 - 1)))
        w.setValue(int(self._section.get(key, k.default)))
        w.setToolTip(k.doc[:1].upper() + k.doc[1:])
        w.setKeyboardTracking(False)
        return w

    def _fill_columns(self) -> None:
        chosen_in = set(map(str, self._section.get("inputs", [])))
        chosen_out = set(map(str, self._section.get("targets", [])))
        for widget, chosen in ((self.inputs, chosen_in), (self.targets, chosen_out)):
            widget.blockSignals(True)
            for name, numeric in zip(self.preview.columns, self.preview.numeric):
                item = QListWidgetItem(name, widget)
                flags = Qt.ItemFlag.ItemIsUserCheckable | (Qt.ItemFlag.ItemIsEnabled if numeric else Qt.ItemFlag.NoItemFlags)
                item.setFlags(flags)
                item.setCheckState(Qt.CheckState.Checked if name in chosen else Qt.CheckState.Unchecked)
                if not numeric:
                    item.setToolTip("not numeric: cannot be used")
            widget.blockSignals(False)

    @staticmethod
    def _checked(widget: QListWidget) -> list[str]:
        return [widget.item(i).text() for i in range(widget.count())
                if widget.item(i).checkState() == Qt.CheckState.Checked]

    def data_section(self) -> dict:
        """The ``[data]`` table for this file and these choices (batch size kept from before)."""
        section = dict(self._section)
        section.update(seq_len=self.seq_len.value(), batch_size=self._batch_size,
                       val_fraction=round(self.val_fraction.value(), 4))
        if self.preview.kind != "text":
            section.update(horizon=self.horizon.value(), stride=self.stride.value(),
                           missing=self.missing.currentText(),
                           inputs=self._checked(self.inputs), targets=self._checked(self.targets))
        return section

    def _refresh(self, *_args) -> None:
        try:
            preview = inspect_file(self.path, self.data_section(), self.base_dir)
        except DataError as exc:
            self._set_error(str(exc))
            return
        self._show(preview)

    def _show(self, preview) -> None:
        self.preview = preview
        text = preview.summary
        if preview.missing_text and preview.missing_text not in text:
            text += "\n" + preview.missing_text
        self.summary.setPlainText(text)
        rows = preview.rows
        columns = list(preview.columns) if preview.kind != "text" else ["first lines"]
        self.table.setColumnCount(max(1, len(columns)))
        self.table.setHorizontalHeaderLabels(columns or [""])
        self.table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            for j, cell in enumerate(row[: self.table.columnCount()]):
                self.table.setItem(i, j, QTableWidgetItem(str(cell)))
        self._set_error(preview.error)

    def _set_error(self, message: str | None) -> None:
        self.error.setText(message or "")
        self.error.setVisible(bool(message))
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setEnabled(not message)
