"""The settings dock: one widget per experiment setting, with its one-line doc as the tooltip.

Every row is built from a schema: the data layer's ``SCHEMAS`` for ``[data]`` and the experiment
layer's settings (rnn_viz.experiment.schema, declared on ModelConfig and TrainingConfig) for
``[model]`` and ``[training]``, so the widgets take every value the experiment file takes (a seed
of 2**40 or a k2 above 2**31 gets a 64-bit spin box, a spectral radius of 150 an unbounded one).
The panel edits a plain nested dict (the experiment file's tables) and emits it on every change; it
never validates beyond the widgets' ranges: the window validates (config_from_dict) and tells the
panel which message to show. Settings marked live apply to the running model at once (the
controller owns them); the others are marked and apply on Reset.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QAbstractSpinBox, QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel,
    QLineEdit, QPushButton, QScrollArea, QSpinBox, QVBoxLayout, QWidget,
)

from rnn_viz.data.config import DATA_SOURCES, SCHEMAS, derived_keys
from rnn_viz.engine.cell_kinds import CELL_KINDS
from rnn_viz.engine.network import DEFAULT_ACTIVATION
from rnn_viz.experiment.config import MODEL_SETTINGS, TRAINING_SETTINGS
from rnn_viz.experiment.schema import MAX_INT, Float, Int, Setting, without_unused

__all__ = ["SettingsPanel", "LIVE_KEYS", "RESET_MARK", "BigIntSpinBox"]

# Settings the running trainer takes without a new model, from the schema.
LIVE_KEYS = frozenset((s.section, s.name) for s in MODEL_SETTINGS + TRAINING_SETTINGS if s.live)
RESET_MARK = "\u21bb"  # ↻ next to settings that apply on Reset


def _schema_fallbacks() -> dict[tuple[str, str], object]:
    """What a setting left out of the file stands for, for the panel to show: bias, the schema's
    fallback (True). gain has none (left out, W_hh is scaled to the spectral radius): it shows the
    spectral radius' own fallback, the radius a gain g gives by the circular law."""
    by_name = {s.name: s for s in MODEL_SETTINGS}
    # Only these two: the others a file leaves out come from a weights file (init, spectral radius)
    # or are always in the resolved experiment the panel shows.
    return {("model", "bias"): by_name["bias"].fallback, ("model", "gain"): by_name["spectral_radius"].fallback}


UNSET_SHOWN = _schema_fallbacks()
QT_INT_MAX = 2**31 - 1  # QSpinBox holds a C int
FLOAT_MAX = 1e300  # "no upper bound" for a float widget (its text stays short: %.6g)


@dataclass(frozen=True)
class Field:
    section: str
    key: str
    kind: str  # choice, int, float, log, bool, str, path, columns, header
    label: str
    tip: str
    lo: float | None = None
    hi: float | None = None
    choices: tuple = ()
    setting: Setting | None = None  # the schema entry ([model], [training])


def _tip(doc: str) -> str:
    return doc[:1].upper() + doc[1:] if doc else doc


def schema_field(s: Setting) -> Field:
    """The widget description of one [model]/[training] setting."""
    allows = s.allows
    lo = hi = None
    if isinstance(allows, Int):
        lo, hi = allows.lo, allows.top
    elif isinstance(allows, Float):
        lo = allows.lo if not allows.lo_open else (1e-300 if allows.lo == 0 else allows.lo)
        hi = allows.hi if allows.hi is not None else FLOAT_MAX
        if allows.hi is not None and allows.hi_open:
            hi = allows.hi - (allows.hi - allows.lo) * 1e-5  # [0, 1) shown as [0, 0.99999]
    tip = _tip(s.doc) + ("; applies at once, even while training" if s.live else "")
    return Field(s.section, s.name, s.widget, s.label, tip, lo, hi, tuple(getattr(allows, "values", ())), s)


MODEL_FIELDS = tuple(schema_field(s) for s in MODEL_SETTINGS)
TRAINING_FIELDS = tuple(schema_field(s) for s in TRAINING_SETTINGS)

_DATA_KINDS = {"int": "int", "float": "float", "bool": "bool", "choice": "choice", "str": "path",
               "columns": "columns", "header": "header"}


def data_fields(source: str) -> tuple[Field, ...]:
    """The [data] widgets of one source, from the data layer's own schema (its docs are the tooltips)."""
    out = []
    for key in SCHEMAS[source]:
        kind = _DATA_KINDS[key.kind]
        label = key.name.replace("_", " ").capitalize()
        tip = _tip(key.doc) if key.doc else key.name
        out.append(Field("data", key.name, kind, label, tip, key.lo, key.hi, tuple(key.choices)))
    return tuple(out)


class BigIntSpinBox(QAbstractSpinBox):
    """A spin box for whole numbers beyond a C int (a seed up to 2**63 - 1): holds a Python int.

    ``valueChanged(int)`` fires when the value changes (typing commits on Enter or focus out).
    """

    valueChanged = Signal(object)

    def __init__(self, lo: int, hi: int, parent=None):
        super().__init__(parent)
        self._lo, self._hi, self._value = int(lo), int(hi), int(lo)
        self.lineEdit().setText(str(self._value))
        self.editingFinished.connect(self._commit)

    def value(self) -> int:
        return self._value

    def minimum(self) -> int:
        return self._lo

    def maximum(self) -> int:
        return self._hi

    def setValue(self, value: int) -> None:
        value = max(self._lo, min(self._hi, int(value)))
        self.lineEdit().setText(str(value))
        if value != self._value:
            self._value = value
            self.valueChanged.emit(value)

    def stepBy(self, steps: int) -> None:
        self.setValue(self._value + steps)

    def stepEnabled(self):
        flags = QAbstractSpinBox.StepEnabledFlag.StepNone
        if self._value < self._hi:
            flags |= QAbstractSpinBox.StepEnabledFlag.StepUpEnabled
        if self._value > self._lo:
            flags |= QAbstractSpinBox.StepEnabledFlag.StepDownEnabled
        return flags

    def validate(self, text: str, pos: int):
        t = text.strip()
        if t in ("", "-", "+"):
            return QValidator.State.Intermediate, text, pos
        try:
            value = int(t)
        except ValueError:
            return QValidator.State.Invalid, text, pos
        ok = self._lo <= value <= self._hi
        return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate), text, pos

    def fixup(self, text: str) -> str:
        return str(self._value)

    def _commit(self) -> None:
        try:
            self.setValue(int(self.lineEdit().text().strip()))
        except ValueError:
            self.lineEdit().setText(str(self._value))

    def sizeHint(self) -> QSize:
        hint = super().sizeHint()
        digits = min(len(str(self._hi)), 20)
        return QSize(max(hint.width(), self.fontMetrics().horizontalAdvance("8" * digits) + 30), hint.height())


class WideDoubleSpinBox(QDoubleSpinBox):
    """A number spin box whose range may be huge (no upper bound in the file): shown as %.6g."""

    def __init__(self, lo: float, hi: float, parent=None):
        super().__init__(parent)
        self.setDecimals(12)
        self.setRange(lo, hi)
        self.setSingleStep(0.05)
        self.setKeyboardTracking(False)

    def textFromValue(self, value: float) -> str:
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        try:
            value = float(text)
        except ValueError:
            return QValidator.State.Intermediate, text, pos
        ok = self.minimum() <= value <= self.maximum() and math.isfinite(value)
        return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate), text, pos


class LogSpinBox(QDoubleSpinBox):
    """A spin box for values spanning decades (learning rate): shows 1e-03 as 0.001, steps x2 / /2."""

    def __init__(self, lo: float, hi: float, parent=None):
        super().__init__(parent)
        self.setDecimals(15)
        self.setRange(lo, hi)
        self.setKeyboardTracking(False)

    def textFromValue(self, value: float) -> str:
        return f"{value:.6g}"

    def valueFromText(self, text: str) -> float:
        try:
            return float(text)
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int):
        try:
            value = float(text)
        except ValueError:
            return QValidator.State.Intermediate, text, pos
        ok = self.minimum() <= value <= self.maximum() and math.isfinite(value)
        return (QValidator.State.Acceptable if ok else QValidator.State.Intermediate), text, pos

    def stepBy(self, steps: int) -> None:
        self.setValue(self.value() * 2.0 ** steps)


class SettingsPanel(QWidget):
    """Every experiment setting. ``edited(dict)`` carries the whole nested dict after any change;
    ``browseRequested`` asks the window for File > Open sequence."""

    edited = Signal(object)
    browseRequested = Signal()

    def __init__(self, parent=None):
        super().__init__(parent)
        self.setObjectName("SettingsPanel")
        self._values: dict[str, dict] = {"data": {}, "model": {}, "training": {}}
        self._widgets: dict[tuple[str, str], QWidget] = {}
        self._rows: dict[tuple[str, str], tuple[QLabel, QWidget]] = {}
        self._updating = False
        self._applied: dict | None = None

        outer = QVBoxLayout(self)
        outer.setContentsMargins(4, 4, 4, 4)
        self.pending_label = QLabel(self)
        self.pending_label.setObjectName("PendingLabel")
        self.pending_label.setWordWrap(True)
        self.pending_label.setStyleSheet("color: #9a4d00; font-weight: bold;")
        self.pending_label.hide()
        self.error_label = QLabel(self)
        self.error_label.setObjectName("SettingsError")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet("color: #b00020;")
        self.error_label.hide()
        note = QLabel(f"{RESET_MARK} = applies on Reset (needs a new model); the others apply at once.", self)
        note.setWordWrap(True)
        note.setStyleSheet("color: #555;")
        self.note = note
        scroll = QScrollArea(self)
        scroll.setObjectName("SettingsScroll")
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget()
        self._inner_layout = QVBoxLayout(inner)
        self._inner_layout.setContentsMargins(0, 0, 0, 0)
        scroll.setWidget(inner)
        # The notes that come and go sit below the fields: above them they pushed every field down
        # as they appeared, under the mouse of whoever had just changed one.
        outer.addWidget(note)
        outer.addWidget(scroll, 1)
        outer.addWidget(self.pending_label)
        outer.addWidget(self.error_label)

        self._data_box = QGroupBox("Data", inner)
        self._data_box.setObjectName("DataSettings")
        self._data_form = QFormLayout(self._data_box)
        self._data_source = ""
        # The source row stays put; only the rows below it follow the chosen source.
        self._add_row(self._data_form, data_fields("sine")[0])
        model_box = QGroupBox("Model", inner)
        model_box.setObjectName("ModelSettings")
        model_form = QFormLayout(model_box)
        for f in MODEL_FIELDS:
            self._add_row(model_form, f)
        training_box = QGroupBox("Training", inner)
        training_box.setObjectName("TrainingSettings")
        training_form = QFormLayout(training_box)
        for f in TRAINING_FIELDS:
            self._add_row(training_form, f)
        for box in (self._data_box, model_box, training_box):
            self._inner_layout.addWidget(box)
        self._inner_layout.addStretch(1)

    # --- building ---------------------------------------------------------------------------------

    def _make_widget(self, f: Field) -> QWidget:
        if f.kind == "choice":
            w = QComboBox(self)
            w.addItems([str(c) for c in f.choices])
            w.currentTextChanged.connect(lambda text, f=f: self._set(f, text))
        elif f.kind == "int":
            lo, hi = int(f.lo if f.lo is not None else 0), int(f.hi if f.hi is not None else MAX_INT)
            if hi > QT_INT_MAX:
                w = BigIntSpinBox(lo, hi, self)
            else:
                w = QSpinBox(self)
                w.setRange(lo, hi)
                w.setKeyboardTracking(False)
            w.valueChanged.connect(lambda v, f=f: self._set(f, int(v)))
        elif f.kind == "float":
            w = WideDoubleSpinBox(f.lo if f.lo is not None else 0.0, f.hi if f.hi is not None else FLOAT_MAX, self)
            w.valueChanged.connect(lambda v, f=f: self._set(f, float(v)))
        elif f.kind == "log":
            w = LogSpinBox(f.lo, f.hi, self)
            w.valueChanged.connect(lambda v, f=f: self._set(f, float(v)))
        elif f.kind == "bool":
            w = QCheckBox(self)
            w.toggled.connect(lambda v, f=f: self._set(f, bool(v)))
        elif f.kind == "header":
            w = QComboBox(self)
            w.addItems(["auto", "yes", "no"])
            w.currentTextChanged.connect(
                lambda t, f=f: self._set(f, {"auto": "auto", "yes": True, "no": False}[t]))
        elif f.kind == "path":
            w = QWidget(self)
            row = QHBoxLayout(w)
            row.setContentsMargins(0, 0, 0, 0)
            edit = QLineEdit(w)
            edit.setObjectName("setting_data_path_edit")
            edit.editingFinished.connect(lambda f=f, e=edit: self._set(f, e.text()))
            button = QPushButton("Browse\u2026", w)
            button.setObjectName("BrowseSequenceButton")
            button.setToolTip("Open a sequence file with a preview (File > Open sequence, Ctrl+O)")
            button.clicked.connect(self.browseRequested)
            row.addWidget(edit, 1)
            row.addWidget(button)
            w.edit = edit
        elif f.kind == "columns":
            w = QLineEdit(self)
            w.setPlaceholderText("all numeric columns")
            w.editingFinished.connect(lambda f=f, e=w: self._set(f, _parse_columns(e.text())))
        else:
            w = QLineEdit(self)
            w.editingFinished.connect(lambda f=f, e=w: self._set(f, e.text()))
        w.setObjectName(f"setting_{f.section}_{f.key}")
        w.setToolTip(f.tip)
        return w

    def _add_row(self, form: QFormLayout, f: Field) -> None:
        widget = self._make_widget(f)
        live = (f.section, f.key) in LIVE_KEYS
        label = QLabel(f"{f.label}" + ("" if live else f" {RESET_MARK}"), self)
        label.setToolTip(f.tip + ("" if live else " (applies on Reset)"))
        form.addRow(label, widget)
        self._widgets[(f.section, f.key)] = widget
        self._rows[(f.section, f.key)] = (label, widget)

    def _rebuild_data(self, source: str) -> None:
        if source == self._data_source:
            return
        for key in [k for k in self._widgets if k[0] == "data" and k[1] != "source"]:
            del self._widgets[key]
            del self._rows[key]
        while self._data_form.rowCount() > 1:
            self._data_form.removeRow(1)
        for f in data_fields(source)[1:]:
            self._add_row(self._data_form, f)
        self._data_source = source

    # --- values -----------------------------------------------------------------------------------

    def set_values(self, values: Mapping[str, Mapping], applied: Mapping[str, Mapping] | None = None) -> None:
        """Show ``values`` (nested dict with data/model/training) without emitting ``edited``;
        ``applied``: what the model was built from, to mark pending Reset-only changes."""
        self._updating = True
        try:
            self._values = {s: dict(values.get(s, {})) for s in ("data", "model", "training")}
            self._rebuild_data(self._values["data"].get("source", "sine"))
            for (section, key), w in self._widgets.items():
                if key in self._values[section]:
                    _show_value(w, self._values[section][key])
                elif (section, key) in UNSET_SHOWN:  # left out of the file: what the model uses
                    _show_value(w, UNSET_SHOWN[(section, key)])
            if applied is not None:
                self._applied = {s: dict(applied.get(s, {})) for s in ("data", "model", "training")}
        finally:
            self._updating = False
        self._refresh_enabled()
        self._refresh_pending()

    def values(self) -> dict[str, dict]:
        return {s: dict(v) for s, v in self._values.items()}

    def widget(self, section: str, key: str) -> QWidget:
        w = self._widgets[(section, key)]
        return getattr(w, "edit", w)

    def set_error(self, message: str | None) -> None:
        self.error_label.setText(message or "")
        self.error_label.setVisible(bool(message))

    def _set(self, f: Field, value) -> None:
        if self._updating:
            return
        if f.section == "data" and f.key == "source":
            # A new task starts from its own defaults: the old task's keys mean nothing to it.
            self._values["data"] = {"source": value}
            self._rebuild_data(value)
        else:
            self._values[f.section][f.key] = value
            if f.section == "data":
                for derived, inputs in derived_keys(self._values["data"].get("source")).items():
                    if f.key in inputs:
                        self._values["data"].pop(derived, None)  # the data layer recomputes it
        if f.section == "model" and f.key == "cell":
            self._values["model"] = without_unused(MODEL_SETTINGS, self._values["model"])
            if CELL_KINDS[value].takes_activation:
                self._values["model"].setdefault("activation", DEFAULT_ACTIVATION)
        self._refresh_enabled()
        self._refresh_pending()
        self.edited.emit(self.values())

    def _refresh_enabled(self) -> None:
        # Which settings matter with the others is the schema's `when`: optimizer-specific rows hide
        # (there are many), the others (k1/k2 without truncation, a gated cell's activation) grey out.
        for f in MODEL_FIELDS + TRAINING_FIELDS:
            used = f.setting.used_with(self._values[f.section])
            if "optimizer" in f.setting.when:
                self._set_row_visible(f.section, f.key, used)
            elif f.setting.when:
                self._set_row_enabled(f.section, f.key, used)
        for derived in derived_keys(self._values["data"].get("source")):
            self._set_row_enabled("data", derived, False)

    def _set_row_enabled(self, section: str, key: str, enabled: bool) -> None:
        for w in self._rows.get((section, key), ()):
            w.setEnabled(enabled)

    def _set_row_visible(self, section: str, key: str, visible: bool) -> None:
        for w in self._rows.get((section, key), ()):
            w.setVisible(visible)

    def pending_keys(self) -> list[str]:
        """Dotted keys whose shown value differs from the model's and that need a Reset."""
        if self._applied is None:
            return []
        out = []
        for section in ("data", "model", "training"):
            now, then = self._values[section], self._applied[section]
            for key in sorted(set(now) | set(then)):
                if (section, key) not in LIVE_KEYS and now.get(key) != then.get(key):
                    out.append(f"{section}.{key}")
        return out

    def pending_text(self) -> str:
        """The note for :meth:`pending_keys` ("" when nothing waits): a new data source is one change,
        "source changed", not the list of the old task's keys it dropped; a key left out now (a
        setting the new choice does not use) is not listed."""
        keys = self.pending_keys()
        if not keys:
            return ""
        now = self._values
        shown = []
        if "data.source" in keys:
            old = (self._applied or {}).get("data", {}).get("source")
            shown.append(f"source changed ({old} \u2192 {now['data'].get('source')})")
            keys = [k for k in keys if not k.startswith("data.")]
        shown += [k for k in keys if now[k.split(".")[0]].get(k.split(".")[1]) is not None]
        if not shown:  # only keys that were dropped: a setting the new choices do not use
            shown = ["settings the new choice does not use"]
        listed = ", ".join(shown[:4]) + (" ..." if len(shown) > 4 else "")
        return f"{RESET_MARK} Changed: {listed}. Press Reset to build the new model."

    def _refresh_pending(self) -> None:
        text = self.pending_text()
        if text:
            self.pending_label.setText(text)
        self.pending_label.setVisible(bool(text))


def _parse_columns(text: str) -> list:
    out = []
    for part in text.split(","):
        part = part.strip()
        if part:
            out.append(int(part) if part.isdigit() else part)
    return out


def _show_value(w: QWidget, value) -> None:
    if isinstance(w, QComboBox):
        text = {True: "yes", False: "no"}.get(value, str(value)) if isinstance(value, bool) else str(value)
        i = w.findText(text)
        if i >= 0:
            w.setCurrentIndex(i)
    elif isinstance(w, (QSpinBox, BigIntSpinBox)):
        w.setValue(int(value))
    elif isinstance(w, QDoubleSpinBox):
        w.setValue(float(value))
    elif isinstance(w, QCheckBox):
        w.setChecked(bool(value))
    elif hasattr(w, "edit"):
        w.edit.setText(str(value))
    elif isinstance(w, QLineEdit):
        w.setText(", ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value))
