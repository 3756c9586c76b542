"""A status-bar label whose new text lays the window out again only when it needs another size.

QLabel.setText asks its parent for a new layout whenever the text changes (``updateGeometry``), and
in the status bar that reaches the main window: QMainWindowLayout lays every dock out again and, with
animated docks, starts (and at once ends) a QPropertyAnimation per dock. The status bar's step, loss
and rate change with every update, so that cost about 0.9 ms CPU a frame (measured: a status update
and its paint, 0.6-0.9 ms, down to the labels' own repaint). Qt skips the request for a widget whose
size is fixed (minimum = maximum), so the label keeps a fixed size that fits its text: it grows at
once when a text needs more room and shrinks only when one needs much less (a run that stopped), so
a count growing by a digit or a loss with another last digit costs no layout.
"""
from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtWidgets import QLabel

__all__ = ["SteadyLabel"]

SHRINK_BELOW = 2 / 3  # of the width held: a text this much narrower gives the room back


class SteadyLabel(QLabel):
    def __init__(self, text: str = "", parent=None, min_width: int = 0):
        super().__init__(text, parent)
        self.min_width = min_width
        self._fit()

    def setText(self, text: str) -> None:
        if text == self.text():
            return
        super().setText(text)
        self._fit()

    def text_size(self) -> QSize:
        """The size QLabel.sizeHint gives a plain one-line text (which a fixed-size QLabel does not
        work out again when its text changes): the text's extent plus margins."""
        size = self.fontMetrics().size(0, self.text())
        m = self.contentsMargins()
        return QSize(size.width() + m.left() + m.right() + 2 * self.margin(),
                     size.height() + m.top() + m.bottom() + 2 * self.margin())

    def _fit(self) -> None:
        hint = self.text_size()
        wanted = max(hint.width(), self.min_width)
        width = self.maximumWidth() if self.minimumWidth() == self.maximumWidth() else 0
        if wanted > width or wanted < SHRINK_BELOW * width or hint.height() != self.maximumHeight():
            self.setFixedSize(wanted, hint.height())
