"""The one QApplication of the process, named so QSettings land in one place.

Its own module (importing no other part of rnn_viz.ui but the settings names), so both the app
(rnn_viz.ui.app) and offscreen plotting (rnn_viz.ui.plots) can create it without importing each
other.
"""
from __future__ import annotations

import sys

__all__ = ["make_application"]


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
