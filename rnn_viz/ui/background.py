"""Run one heavy job (building a model and its first full trace) off the GUI thread, and wait for it
with the event loop still turning.

``run_while_painting(job)`` starts ``job`` in a thread and, until it ends, keeps processing the GUI
thread's events except user input: the window repaints, resizes, shows its progress message and
draws the training still in flight, while a click or key press waits for the result (no second
Reset can start inside the first). It returns the job's result or raises its exception in the
caller, so a caller's transaction (build, evaluate, only then replace) reads as sequential code.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QCoreApplication, QEventLoop, QThread

__all__ = ["run_while_painting", "PAINT_MS"]

T = TypeVar("T")
PAINT_MS = 30  # the longest the GUI thread spends in events between two looks at the job


def run_while_painting(job: Callable[[], T], name: str = "rnn-viz-build") -> T:
    """``job()`` in a worker thread, the GUI thread's non-input events processed meanwhile."""
    app = QCoreApplication.instance()
    if app is None or QThread.currentThread() is not app.thread():
        return job()  # no event loop to keep alive (headless use, or already off the GUI thread)
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = job()
        except BaseException as exc:  # re-raised in the caller, with its own traceback
            outcome["error"] = exc

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    while thread.is_alive():
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents, PAINT_MS)
        thread.join(0.005)
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
