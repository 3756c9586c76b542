"""Starting the desktop app: ``run_app(path)`` opens the main window and runs the event loop."""
from __future__ import annotations

from pathlib import Path

from rnn_viz.ui.application import make_application

__all__ = ["run_app", "make_application"]


def run_app(path: Path | None = None) -> int:
    """Open the main window on ``path`` (an experiment file) or the default experiment; returns the
    exit code when the window closes."""
    app = make_application()
    from PySide6.QtCore import QCoreApplication, QEvent

    from rnn_viz.ui.gc_timer import GarbageCollector

    from rnn_viz.ui.first_frame import build_after_first_paint
    from rnn_viz.ui.main_window import MainWindow

    # Python's cyclic collector runs in whichever thread happens to allocate, including the training
    # worker; collecting Qt graphics items there while the GUI thread paints crashes the process.
    # This turns automatic collection off and collects on a GUI-thread timer instead.
    collector = GarbageCollector(interval=1.0)  # noqa: F841 (kept alive until exec() returns)
    window = MainWindow(Path(path) if path else None, defer_views=True)
    window.show()
    # The frame is on screen before pyqtgraph is imported and the views are built (rnn_viz.ui.first_frame).
    build_after_first_paint(window)
    code = int(app.exec())
    # Closing the last window posts a Quit that may outlive exec(); left queued, it would end the
    # next event loop of this process at once (a second run_app, tests).
    QCoreApplication.removePostedEvents(app, QEvent.Type.Quit)
    return code
