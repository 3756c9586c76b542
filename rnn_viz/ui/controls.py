"""The settings dock: one widget per experiment setting, with a one-line tooltip each.

The panel edits a plain nested dict (the experiment file's tables) and emits it on every change; it
never validates beyond the widgets' ranges. The controller validates (config_from_dict) and tells
the panel which message to show. Settings that need a new model are marked and apply on Reset;
learning rate and clipping apply live.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QValidator
from PySide6.QtWidgets import (
    QCheckBox, QComboBox, QDoubleSpinBox, QFormLayout, QGroupBox, QHBoxLayout, QLabel, QLineEdit,
    QPushButton, QScrollArea, QSpinBox, QVBoxLayout, QWidget,
)

from rnn_viz.data.config import DATA_SOURCES, SCHEMAS

__all__ = ["SettingsPanel", "LIVE_KEYS", "RESET_MARK"]

# Settings the running trainer takes without a new model.
LIVE_KEYS = frozenset({("training", "learning_rate"), ("training", "clip_norm"), ("training", "clip_value")})
RESET_MARK = "\u21bb"  # ↻ next to settings that apply on Reset


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


MODEL_FIELDS = (
    Field("model", "cell", "choice", "Cell", "rnn: h_t = act(W_hh h_{t-1} + W_xh x_t + b_h); lstm and gru add gates "
          "that can keep the gradient alive", choices=("rnn", "lstm", "gru")),
    Field("model", "activation", "choice", "Activation", "The rnn cell's nonlinearity (lstm and gru have fixed ones)",
          choices=("tanh", "relu", "linear")),
    Field("model", "num_layers", "int", "Layers", "Stacked recurrent layers; layer l reads layer l-1's state", 1, 4),
    Field("model", "hidden_size", "int", "Hidden units", "Units H in each layer's hidden state h_t", 1, 4096),
    Field("model", "init", "choice", "Recurrent init", "How W_hh starts: orthogonal, Gaussian or identity, scaled "
          "to the spectral radius below", choices=("orthogonal", "gaussian", "identity")),
    Field("model", "spectral_radius", "float", "Spectral radius", "Largest |eigenvalue| of W_hh at init: "
          "below 1 gradients tend to vanish, above 1 to explode", 0.0, 100.0),
)

TRAINING_FIELDS = (
    Field("training", "bptt", "choice", "BPTT", "full: the exact gradient; truncated: each error travels back "
          "at most k2 steps (TBPTT(k1, k2))", choices=("full", "truncated")),
    Field("training", "k1", "int", "k1", "Truncated BPTT: backpropagate every k1 steps (1 = after every step)",
          1, 100_000),
    Field("training", "k2", "int", "k2", "Truncated BPTT: how many steps back each error travels, its own "
          "included (the source text: about 5)", 1, 100_000),
    Field("training", "optimizer", "choice", "Optimizer", "The update rule: sgd, momentum, adam or rmsprop "
          "(defined as in PyTorch)", choices=("sgd", "momentum", "adam", "rmsprop")),
    Field("training", "learning_rate", "log", "Learning rate", "Step size of each update; applies at once, "
          "even while training", 1e-12, 1e3),
    Field("training", "momentum", "float", "Momentum", "momentum optimizer: weight of the previous update "
          "direction", 0.0, 0.9999),
    Field("training", "beta1", "float", "Adam beta1", "adam: decay of the running mean of gradients", 0.0, 0.9999),
    Field("training", "beta2", "float", "Adam beta2", "adam: decay of the running mean of squared gradients",
          0.0, 0.99999),
    Field("training", "decay", "float", "RMSprop decay", "rmsprop: decay of the running mean of squared "
          "gradients", 0.0, 0.9999),
    Field("training", "eps", "log", "Epsilon", "adam/rmsprop: added to the denominator for stability", 1e-20, 1.0),
    Field("training", "clip_norm", "float", "Clip norm", "Rescale the gradient when its global norm exceeds "
          "this (0 = off; Pascanu et al. 2013); applies at once", 0.0, 1e9),
    Field("training", "clip_value", "float", "Clip value", "Clamp every gradient entry to +-this (0 = off); "
          "applies at once", 0.0, 1e9),
    Field("training", "loss", "choice", "Loss", "auto: the task's own loss; or force mse / cross_entropy",
          choices=("auto", "mse", "cross_entropy")),
    Field("training", "seed", "int", "Seed", "Seeds weights and batches: the same seed gives the same run",
          0, 2**31 - 1),
    Field("training", "dtype", "choice", "Precision", "float64 (the numbers to trust) or float32 (faster)",
          choices=("float64", "float32")),
    Field("training", "flow_sample", "int", "Flow sample", "Which sample of the batch the flow matrix and "
          "Jacobian norms start on (the sample selector changes it live)", 0, 65_535),
    Field("training", "val_every", "int", "Validate every", "Updates between validation losses", 1, 1_000_000),
)

_OPTIMIZER_KEYS = {"momentum": {"momentum"}, "adam": {"beta1", "beta2", "eps"}, "rmsprop": {"decay", "eps"}, "sgd": set()}
_DATA_KINDS = {"int": "int", "float": "float", "bool": "bool", "choice": "choice", "str": "path",
               "columns": "columns", "header": "header"}


def data_fields(source: str) -> tuple[Field, ...]:
    """The [data] widgets of one source, from the data layer's own schema (its docs are the tooltips)."""
    out = []
    for key in SCHEMAS[source]:
        kind = _DATA_KINDS[key.kind]
        label = key.name.replace("_", " ").capitalize()
        tip = key.doc[:1].upper() + key.doc[1:] if key.doc else key.name
        out.append(Field("data", key.name, kind, label, tip, key.lo, key.hi, tuple(key.choices)))
    return tuple(out)


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
        scroll = QScrollArea(self)
        scroll.setObjectName("SettingsScroll")
        scroll.setWidgetResizable(True)
        scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        inner = QWidget()
        self._inner_layout = QVBoxLayout(inner)
        self._inner_layout.setContentsMargins(0, 0, 0, 0)
        scroll.setWidget(inner)
        outer.addWidget(note)
        outer.addWidget(self.pending_label)
        outer.addWidget(self.error_label)
        outer.addWidget(scroll, 1)

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
            w = QSpinBox(self)
            w.setRange(int(f.lo if f.lo is not None else 0), int(min(f.hi if f.hi is not None else 2**31 - 1, 2**31 - 1)))
            w.setKeyboardTracking(False)
            w.valueChanged.connect(lambda v, f=f: self._set(f, int(v)))
        elif f.kind == "float":
            w = QDoubleSpinBox(self)
            w.setDecimals(4)
            w.setRange(f.lo if f.lo is not None else 0.0, f.hi if f.hi is not None else 1e9)
            w.setSingleStep(0.05)
            w.setKeyboardTracking(False)
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
            if f.section == "data" and self._values["data"].get("source") == "copy" and f.key in ("length", "delay"):
                self._values["data"].pop("seq_len", None)  # derived: length + delay + length
        if f.section == "model" and f.key == "cell":
            if value == "rnn":
                self._values["model"].setdefault("activation", "tanh")
            else:
                self._values["model"].pop("activation", None)
        self._refresh_enabled()
        self._refresh_pending()
        self.edited.emit(self.values())

    def _refresh_enabled(self) -> None:
        training = self._values["training"]
        truncated = training.get("bptt") == "truncated"
        for key in ("k1", "k2"):
            self._set_row_enabled("training", key, truncated)
        used = _OPTIMIZER_KEYS.get(training.get("optimizer", "adam"), set())
        for key in ("momentum", "beta1", "beta2", "decay", "eps"):
            self._set_row_visible("training", key, key in used)
        self._set_row_enabled("model", "activation", self._values["model"].get("cell", "rnn") == "rnn")
        if self._values["data"].get("source") == "copy":
            self._set_row_enabled("data", "seq_len", False)

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

    def _refresh_pending(self) -> None:
        keys = self.pending_keys()
        if keys:
            shown = ", ".join(keys[:4]) + (" ..." if len(keys) > 4 else "")
            self.pending_label.setText(f"{RESET_MARK} Changed: {shown}. Press Reset to build the new model.")
        self.pending_label.setVisible(bool(keys))


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
    elif isinstance(w, QSpinBox):
        w.setValue(int(value))
    elif isinstance(w, QDoubleSpinBox):
        w.setValue(float(value))
    elif isinstance(w, QCheckBox):
        w.setChecked(bool(value))
    elif hasattr(w, "edit"):
        w.edit.setText(str(value))
    elif isinstance(w, QLineEdit):
        w.setText(", ".join(str(v) for v in value) if isinstance(value, (list, tuple)) else str(value))
