"""Show the window's frame first, build its views right after.

Importing pyqtgraph and building the seven views with their plots takes about as long as everything
before it (0.3-0.6 s and 0.4 s of a 0.8-1.1 s start, measured with benchmarks/startup.py), so the
app shows the frame (menus, toolbar, settings, empty docks) as soon as it exists and builds the
views once that frame has been painted: the user sees the window at about half the time.
"""
from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer

__all__ = ["build_after_first_paint", "FALLBACK_MS"]

# A window that is never exposed (minimised, on a platform that sends no paint) still gets its views.
FALLBACK_MS = 1000


class _FirstPaint(QObject):
    def __init__(self, window):
        super().__init__(window)
        self.window = window
        self.done = False
        window.installEventFilter(self)
        QTimer.singleShot(FALLBACK_MS, self.build)

    def eventFilter(self, watched, event) -> bool:
        if watched is self.window and event.type() == QEvent.Type.Paint and not self.done:
            # After this paint has been flushed to the screen, on the next turn of the event loop.
            QTimer.singleShot(0, self.build)
        return False

    def build(self) -> None:
        if self.done:
            return
        self.done = True
        self.window.removeEventFilter(self)
        self.window.build_views()


def build_after_first_paint(window) -> None:
    """Call ``window.build_views()`` once ``window`` (a MainWindow(defer_views=True)) has been
    painted for the first time (or after FALLBACK_MS at the latest)."""
    _FirstPaint(window)
