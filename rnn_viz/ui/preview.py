"""File > Open sequence: a preview of the file (summary, first rows or lines, missing values, a plot
of the input series the model will train on) and the choice of columns and windowing before anything
is trained on it."""
from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
    QListWidget, QListWidgetItem, QPlainTextEdit, QSpinBox, QTableWidget, QTableWidgetItem, QVBoxLayout,
)

from rnn_viz.data import DataError, SCHEMAS, inspect_file, load_dataset

__all__ = ["SequencePreviewDialog", "SEQUENCE_SUFFIXES"]

SEQUENCE_SUFFIXES = (".csv", ".tsv", ".npy", ".npz", ".txt")
TEXT_COLUMNS = 80  # the first lines of a .txt are shown at least this many characters wide
_TEXT = "#202020"
_COLOURS = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9")  # Okabe-Ito
_FILE_KEYS = {k.name: k for k in SCHEMAS["file"]}


class SequencePreviewDialog(QDialog):
    """Shows ``inspect_file(path, section)`` and lets the user pick columns and windowing.

    Construction raises DataError when the file itself cannot be read (the caller shows it); bad
    choices only disable OK and say why. ``data_section()`` is the ``[data]`` table to train on.
    """

    def __init__(self, path: Path, data: dict, base_dir: Path, parent=None):
        import pyqtgraph as pg  # here, not at import: the window's frame is painted before pyqtgraph loads

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

        text = self.preview.kind == "text"
        self.table = QTableWidget(self)
        self.table.setObjectName("PreviewTable")
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setMaximumHeight(170)
        layout.addWidget(self.table)
        # A text file's first lines as lines, in a fixed font, wide enough to read (not a table column)
        self.lines = QPlainTextEdit(self)
        self.lines.setObjectName("PreviewLines")
        self.lines.setReadOnly(True)
        self.lines.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)  # whole lines, no sideways scrolling
        self.lines.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.lines.setMinimumWidth(self.lines.fontMetrics().horizontalAdvance("x" * TEXT_COLUMNS) + 24)
        spacing = self.lines.fontMetrics().lineSpacing()
        self.lines.setMinimumHeight(spacing * 12 + 12)
        self.lines.setMaximumHeight(spacing * 24 + 12)
        layout.addWidget(self.lines)
        self.table.setVisible(not text)
        self.lines.setVisible(text)

        # What the model will see: the chosen input columns, filled and normalised, training | validation
        self.plot = pg.PlotWidget(background="w")
        self.plot.setObjectName("PreviewPlot")
        self.plot.setMinimumHeight(170)
        item = self.plot.getPlotItem()
        item.hideButtons()
        item.setMenuEnabled(False)
        for side in ("left", "bottom"):
            item.getAxis(side).setPen(pg.mkPen(_TEXT))
            item.getAxis(side).setTextPen(pg.mkPen(_TEXT))
        item.setLabel("bottom", "time step", color=_TEXT)
        item.setLabel("left", "input", color=_TEXT)
        item.addLegend(offset=(6, 6), labelTextColor=_TEXT, brush=pg.mkBrush(255, 255, 255, 220),
                       pen=pg.mkPen("#bbbbbb"))
        self.series_curves: list = []
        self.split_line = pg.InfiniteLine(angle=90, pen=pg.mkPen("#777777", style=Qt.PenStyle.DashLine))
        item.addItem(self.split_line)
        layout.addWidget(self.plot)
        self.plot.setVisible(not text)

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
        else:  # a text file has none of these: hidden, not left parentless at the dialog's corner
            for w in (self.horizon, self.stride, self.missing):
                w.hide()
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
        self.resize(max(680, self.minimumSizeHint().width()), 760)

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
        if preview.kind == "text":
            self.lines.setPlainText("\n".join(row[0] for row in preview.rows))
        else:
            self._plot_series(None if preview.error else self.data_section())
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

    def _plot_series(self, section: dict | None) -> None:
        """Plot the input series ``section`` trains on (None: nothing, the choices cannot train)."""
        import pyqtgraph as pg

        series, n_train = None, 0
        if section is not None:
            try:
                ds = load_dataset(section, self.base_dir)
                series, n_train = ds.details.get("series"), int(ds.details.get("train_size", 0))
                names = ds.input_names
            except DataError:
                series = None
        item = self.plot.getPlotItem()
        for curve in self.series_curves:
            item.removeItem(curve)
        self.series_curves = []
        if item.legend is not None:
            item.legend.clear()
        if series is None:
            self.split_line.hide()
            item.setTitle("")
            return
        values = np.asarray(series)[0]  # (T, I): the one series, or a file's first sequence
        steps = np.arange(values.shape[0])
        for k in range(values.shape[1]):
            curve = item.plot(steps, values[:, k], pen=pg.mkPen(_COLOURS[k % len(_COLOURS)], width=1.5),
                              name=str(names[k]) if k < len(names) else f"input {k}")
            curve.setDownsampling(auto=True, method="peak")
            curve.setClipToView(True)
            self.series_curves.append(curve)
        sequences = np.asarray(series).shape[0] > 1
        self.split_line.setVisible(not sequences and 0 < n_train < values.shape[0])
        self.split_line.setPos(n_train)
        norm = "z-scores" if "input_mean" in ds.details else "as in the file"
        item.setTitle(f"what the model trains on: {'sequence 0 of the file' if sequences else 'inputs'} ({norm})"
                      + ("" if sequences or not n_train else "; dashed: training | validation"), size="9pt", color=_TEXT)
