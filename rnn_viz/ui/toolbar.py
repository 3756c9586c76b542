"""The training toolbar: Train/Pause, Step, Reset, speed, the time-step scrubber, the sample selector
and the training-history slider."""
from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QLabel, QSlider, QSpinBox, QToolBar, QWidget

from rnn_viz.ui.worker import SPEED_MAX

__all__ = ["TrainingToolbar", "SPEEDS"]

# (label, updates per redraw); SPEED_MAX posts by time and trains as fast as the engine goes.
SPEEDS = (("max speed", SPEED_MAX), ("1 update / frame", 1), ("5 updates / frame", 5),
          ("20 updates / frame", 20), ("100 updates / frame", 100))


class TrainingToolbar(QToolBar):
    """Emits what the user picked; the window connects it to the controller."""

    speedChanged = Signal(int)
    timeStepChanged = Signal(int)
    sampleChanged = Signal(int)
    historyChanged = Signal(object)  # index into the remembered traces, or None for live

    def __init__(self, actions, parent: QWidget | None = None):
        super().__init__("Training", parent)
        self.setObjectName("TrainingToolbar")
        for action in actions:
            self.addAction(action)
        self.addSeparator()

        self.speed = QComboBox(self)
        self.speed.setObjectName("SpeedCombo")
        self.speed.setToolTip("Updates per redraw: 1 shows every update (slow motion); max trains as fast as "
                              "it can and redraws about 30 times a second")
        for label, value in SPEEDS:
            self.speed.addItem(label, value)
        self.speed.currentIndexChanged.connect(lambda i: self.speedChanged.emit(int(self.speed.itemData(i))))
        self.addWidget(self.speed)
        self.addSeparator()

        self.addWidget(_label("Step t", self))
        self.time_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.time_slider.setObjectName("TimeStepSlider")
        self.time_slider.setMinimumWidth(160)
        self.time_slider.setToolTip("The selected time step, shared by every view (or click a view)")
        self.time_spin = QSpinBox(self)
        self.time_spin.setObjectName("TimeStepSpin")
        self.time_spin.setToolTip("The selected time step (from 0)")
        self.time_slider.valueChanged.connect(self.time_spin.setValue)
        self.time_spin.valueChanged.connect(self.time_slider.setValue)
        self.time_spin.valueChanged.connect(self.timeStepChanged)
        self.addWidget(self.time_slider)
        self.addWidget(self.time_spin)
        self.addSeparator()

        self.addWidget(_label("Sample", self))
        self.sample_spin = QSpinBox(self)
        self.sample_spin.setObjectName("SampleSpin")
        self.sample_spin.setToolTip("Which sequence of the batch the per-sample views show (from 0); "
                                    "the flow matrix is recomputed for it")
        self.sample_spin.valueChanged.connect(self.sampleChanged)
        self.addWidget(self.sample_spin)
        self.addSeparator()

        self.addWidget(_label("History", self))
        self.history_slider = QSlider(Qt.Orientation.Horizontal, self)
        self.history_slider.setObjectName("HistorySlider")
        self.history_slider.setMinimumWidth(120)
        self.history_slider.setToolTip("Revisit the traces of earlier updates (a bounded selection spread over "
                                       "the run); far right = live")
        self.history_slider.setRange(0, 0)
        self.history_label = QLabel("live", self)
        self.history_label.setObjectName("HistoryLabel")
        self.history_label.setMinimumWidth(90)
        self.history_slider.valueChanged.connect(self._history_moved)
        self.addWidget(self.history_slider)
        self.addWidget(self.history_label)
        self._history_steps: list[int] = []

    def set_time_range(self, steps: int) -> None:
        for w in (self.time_slider, self.time_spin):
            w.blockSignals(True)
            w.setRange(0, max(0, steps - 1))
            w.blockSignals(False)

    def set_time_step(self, t: int) -> None:
        if self.time_spin.value() != t:
            self.time_spin.setValue(t)

    def set_sample_range(self, batch: int) -> None:
        self.sample_spin.blockSignals(True)
        self.sample_spin.setRange(0, max(0, batch - 1))
        self.sample_spin.blockSignals(False)

    def set_sample(self, b: int) -> None:
        if self.sample_spin.value() != b:
            self.sample_spin.setValue(b)

    def set_speed(self, speed: int) -> None:
        i = self.speed.findData(speed)
        if i >= 0:
            self.speed.setCurrentIndex(i)

    def set_history(self, steps: list[int]) -> None:
        """The remembered updates; keeps the slider on live if it was there."""
        live = self.history_slider.value() >= len(self._history_steps)
        self._history_steps = list(steps)
        self.history_slider.blockSignals(True)
        self.history_slider.setRange(0, len(steps))
        if live:
            self.history_slider.setValue(len(steps))
        self.history_slider.blockSignals(False)
        self._show_history_label()

    def _history_moved(self, value: int) -> None:
        self._show_history_label()
        self.historyChanged.emit(None if value >= len(self._history_steps) else value)

    def _show_history_label(self) -> None:
        value = self.history_slider.value()
        if value >= len(self._history_steps):
            self.history_label.setText("live")
        else:
            self.history_label.setText(f"update {self._history_steps[value]}")


def _label(text: str, parent) -> QLabel:
    label = QLabel(f" {text} ", parent)
    return label
