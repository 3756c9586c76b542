"""Which experiment the window opens with when no file is given: on the very first launch (empty
settings) the guided experiment that shows the vanishing gradient, with a one-line hint; after that
the experiment open when the app last closed.

The default experiment (resources/presets/default.toml) stays what `rnn-viz run default` and an
empty Reset build; only what a bare `rnn-viz` opens first changes.
"""
from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QScrollArea

from rnn_viz.experiment.presets import PRESETS_DIR

__all__ = ["FIRST_EXPERIMENT", "FIRST_HINT", "LAST_KEY", "initial_experiment", "remember_last", "show_first_hint",
           "fit_guided_dock"]

FIRST_EXPERIMENT = PRESETS_DIR / "1-vanishing-gradients.toml"
FIRST_HINT = ("Press Train (Space) and watch \u201cGradient per time step\u201d: the error signal fades by "
              "orders of magnitude on its way back from the loss steps (55-59) to the symbols (0-4).")
MAX_WIDTH = 560  # the widest the guided column grows to on a first launch
LAST_KEY = "session/last_experiment"  # the file (or preset) open at the end; "" for an unsaved one


def initial_experiment(settings) -> tuple[Path | None, bool]:
    """(the experiment file to open, None for the default; True on the very first launch).

    ``settings``: AppSettings. A first launch has no settings at all (no window geometry either:
    settings written by a version without LAST_KEY are a returning user, who gets the default as before)."""
    last = settings.value(LAST_KEY)
    if last is None:
        first = settings.geometry() is None and not settings.recent_files()
        return (FIRST_EXPERIMENT, True) if first else (None, False)
    path = Path(str(last)) if last else None
    return (path if path is not None and path.is_file() else None), False


def remember_last(settings, document) -> None:
    """Keep LAST_KEY up to date as experiments are opened and saved in ``document`` (ui.document.Document)."""
    def store(*_args) -> None:
        path = document.path or document.preset_path
        settings.set_value(LAST_KEY, str(Path(path).resolve()) if path is not None else "")

    document.opened.connect(store)
    document.changed.connect(store)  # a Save As names a new file


def show_first_hint(window) -> None:
    """The first launch: the hint on top of the guided panel and in the status bar."""
    window.guided.panel.set_hint(FIRST_HINT)
    window.statusBar().showMessage(FIRST_HINT, 60_000)


def fit_guided_dock(window, keep_for_settings: int = 220) -> None:
    """Give the guided dock the height its text needs (once the window is laid out), leaving
    ``keep_for_settings`` px to the settings above it, which scroll. When both do not fit (a laptop
    screen), the guided dock becomes a tab in front of the settings, with the whole column's height,
    widened if even that is not enough. Measured on the laid-out panel (its scroll range), since
    word-wrapped labels only know their height once they have their width."""
    dock, panel = window.guided.dock, window.guided.panel
    if dock.isHidden():
        return
    bar = panel.findChild(QScrollArea, "presetPanelScroll").verticalScrollBar()

    def overflow() -> int:
        QApplication.processEvents()
        return bar.maximum()

    total = dock.height() + window.settings_dock.height()
    need = dock.height() + overflow()
    if need <= total - keep_for_settings:
        for _ in range(3):  # a taller dock rewraps nothing, but the first resize may not take exactly
            window.resizeDocks([dock, window.settings_dock], [need, total - need], Qt.Orientation.Vertical)
            more = overflow()
            if not more:
                return
            need += more
        return
    window.tabifyDockWidget(window.settings_dock, dock)
    dock.raise_()
    width = dock.width()
    while overflow() and width < MAX_WIDTH:  # still too tall for the column (a 1280x720 screen): widen it
        width += 20
        window.resizeDocks([dock], [width], Qt.Orientation.Horizontal)
