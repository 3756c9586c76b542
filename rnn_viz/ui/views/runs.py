"""The "run" selector of a view in compare mode: which of the runs (A, B, ...) the view draws.

Views that can show only one run at a time (flow matrix, heatmaps, unrolled graph, dynamics) carry
one. It is hidden outside compare mode, where the view always draws run A. It offers every run of
the ViewState (``state.runs``), so a third run needs no change in any view.
"""
from __future__ import annotations

import html
from collections.abc import Mapping

import numpy as np
from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QWidget

from rnn_viz.ui.state import ViewState

__all__ = ["RunSelector"]

RUN_TIP = "Compare mode: which run this view draws (the runs train side by side on the same batches)"


class RunSelector(QWidget):
    """A "run" label and a QComboBox (objectName ``name``) offering each run of the state.

    ``sync(state)`` shows it only when the state has several runs (falling back to run A otherwise)
    and returns the name of the run to draw ("A", "B", ...); ``changed`` fires when the user picks
    another run.
    """

    changed = Signal()

    def __init__(self, name: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName(f"{name}Selector")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 2, 6, 0)
        layout.addWidget(QLabel("run"))
        self.box = QComboBox()
        self.box.setObjectName(name)
        self.box.setToolTip(RUN_TIP)
        # As wide as the labels where the dock allows, narrower (elided) in a narrow dock; the
        # item tooltips keep the whole label.
        self.box.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.box.setMinimumWidth(70)
        self.box.addItem("run A", "A")
        self.box.addItem("run B", "B")
        self.box.currentIndexChanged.connect(lambda _: self.changed.emit())
        layout.addWidget(self.box)
        layout.addStretch(1)
        self.setHidden(True)
        self._labels: tuple[tuple[str, str], ...] | None = None

    @property
    def run(self) -> str:
        return self.box.currentData() or "A"

    def sync(self, state: ViewState, shown: bool | None = None) -> str:
        """Show or hide the selector for ``state`` and return the run to draw ("A", "B", ...).
        ``shown``: whether to show it (default: in compare mode); a view that draws every run
        says False, rather than hide it again after this showed it (each show lays the view out
        at once, each hide again later: a new size and a whole repaint, twice a frame)."""
        compare = state.compare
        visible = compare if shown is None else bool(shown)
        if self.isHidden() == visible:
            self.setHidden(not visible)
        self.box.blockSignals(True)  # the view is drawing already: no second redraw from in here
        if not compare and self.box.currentIndex() != 0:
            self.box.setCurrentIndex(0)  # leaving compare mode returns to run A
        labels = tuple((r.name, r.label) for r in state.runs)
        if compare and labels != self._labels:
            self._labels = labels
            chosen = self.run
            while self.box.count() > len(labels):
                self.box.removeItem(self.box.count() - 1)
            for i, (name, label) in enumerate(labels):
                if i >= self.box.count():
                    self.box.addItem("", name)
                self.box.setItemText(i, f"{name}: {label}")
                self.box.setItemData(i, name)
                self.box.setItemData(i, f"run {name}: {label}", Qt.ItemDataRole.ToolTipRole)
            index = self.box.findData(chosen)
            self.box.setCurrentIndex(index if index >= 0 else 0)
        self.box.blockSignals(False)
        return state.run(self.run).name if compare else "A"

    def select(self, state: ViewState, shown: bool | None = None) -> tuple[str, Mapping[str, np.ndarray] | None, str]:
        """sync() plus what every view needs from it: (run, that run's trace, title prefix)."""
        run = self.sync(state, shown)
        return run, self.trace(state, run), self.title_prefix(state, run)

    @staticmethod
    def trace(state: ViewState, run: str) -> Mapping[str, np.ndarray] | None:
        return state.run(run).trace

    @staticmethod
    def title_prefix(state: ViewState, run: str) -> str:
        """What a view's title starts with in compare mode to say which run it shows ("" otherwise)."""
        if not state.compare:
            return ""
        r = state.run(run)
        return f"Run {r.name} ({html.escape(r.label)}) · "
