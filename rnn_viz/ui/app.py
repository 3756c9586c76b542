"""Starting the desktop app: ``run_app(path)`` opens the main window and runs the event loop."""
from __future__ import annotations

from pathlib import Path

from rnn_viz.ui.application import make_application

__all__ = ["run_app", "make_application"]


def run_app(path: Path | None = None) -> int:
    """Open the main window on ``path`` (an experiment file) or the default experiment; returns the
    exit code when the window closes."""
    app = make_application()
    from pyqtgraph.util.garbage_collector import GarbageCollector

    from rnn_viz.ui.main_window import MainWindow

    # Python's cyclic collector runs in whichever thread happens to allocate, including the training
    # worker; collecting Qt graphics items there while the GUI thread paints crashes the process.
    # This turns automatic collection off and collects on a GUI-thread timer instead.
    collector = GarbageCollector(interval=1.0)  # noqa: F841 (kept alive until exec() returns)
    window = MainWindow(Path(path) if path else None)
    window.show()
    return int(app.exec())
