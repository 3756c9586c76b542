"""Compare mode's one-line readout in the status bar (objectName ``CompareReadout``): how much of the
gradient flow run B's truncation cuts, and why the two runs may look alike (from the two traces:
rnn_viz.experiment.compare_readout). Shown only when run A is full BPTT and run B truncated."""
from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QSizePolicy

from rnn_viz.experiment.compare_readout import truncation_effect

__all__ = ["CompareReadout", "readout_text"]


def _last_loss(history) -> float | None:
    for key in ("val_loss", "loss"):
        values = np.asarray((history or {}).get(key, ()), dtype=np.float64)
        values = values[np.isfinite(values)]
        if values.size:
            return float(values[-1])
    return None


def readout_text(state) -> str:
    """The line for ViewState ``state`` ("" when it does not compare full with truncated BPTT)."""
    if state.trace is None or state.trace_b is None or state.config_b is None:
        return ""
    a, b = state.config.get("training", {}), state.config_b.get("training", {})
    if a.get("bptt") != "full" or b.get("bptt") != "truncated":
        return ""
    loss_a, loss_b = _last_loss(state.history), _last_loss(state.history_b)
    if loss_a is None or loss_b is None:
        loss_a = loss_b = None
    effect = truncation_effect(state.trace, state.trace_b, int(b["k1"]), int(b["k2"]), loss_a, loss_b)
    return "" if effect is None else effect.text()


class _ElidedLabel(QLabel):
    """A one-line label cut with "..." to its width, re-cut as the window resizes (full text: ``full``)."""

    full = ""

    def set_full(self, text: str) -> None:
        self.full = text
        self.setToolTip(text)
        self._elide()

    def resizeEvent(self, event) -> None:
        super().resizeEvent(event)
        self._elide()

    def _elide(self) -> None:
        self.setText(self.fontMetrics().elidedText(self.full, Qt.TextElideMode.ElideRight, max(self.width(), 40)))


class CompareReadout:
    """Follows the frames ``window.controller`` draws; recomputes only when a new trace is shown."""

    def __init__(self, window):
        self.label = _ElidedLabel(window)
        self.label.setObjectName("CompareReadout")
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        # never widens the window: the line is cut to the space there is, the tooltip holds all of it
        self.label.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        self.label.hide()
        window.statusBar().addWidget(self.label, 1)
        self.text = ""
        self._shown = None
        window.controller.frameRendered.connect(self.update)

    def update(self, state) -> None:
        key = (id(state.trace), id(state.trace_b), len((state.history or {}).get("loss", ())))
        if key == self._shown:
            return
        self._shown = key
        self.text = readout_text(state)
        self.label.setVisible(bool(self.text))
        self.label.set_full(self.text)
