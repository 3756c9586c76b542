"""Starting the desktop app: ``run_app(path)`` opens the main window and runs the event loop."""
from __future__ import annotations

import sys
from pathlib import Path

__all__ = ["run_app", "make_application"]


def make_application(argv: list[str] | None = None):
    """The QApplication (created once), named so QSettings land in one place."""
    from PySide6.QtWidgets import QApplication

    from rnn_viz.ui.settings import APPLICATION, ORGANIZATION

    app = QApplication.instance()
    if app is None:
        app = QApplication(argv if argv is not None else [sys.argv[0]])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationDisplayName("rnn-viz")
    return app


def run_app(path: Path | None = None) -> int:
    """Open the main window on ``path`` (an experiment file) or the default experiment; returns the
    exit code when the window closes."""
    app = make_application()
    from rnn_viz.ui.main_window import MainWindow

    window = MainWindow(Path(path) if path else None)
    window.show()
    return int(app.exec())
