"""Run one heavy job (building a model and its first full trace) off the GUI thread, and wait for it
with the event loop still turning.

``run_while_painting(job)``, called from inside the GUI thread's event loop (a Reset clicked, a file
opened), starts ``job`` in a thread and, until it ends, runs a nested event loop that excludes user
input: the window repaints, resizes, shows its progress message and
draws the training still in flight, while a click or key press waits for the result (no second
Reset can start inside the first). It returns the job's result or raises its exception in the
caller, so a caller's transaction (build, evaluate, only then replace) reads as sequential code.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

from PySide6.QtCore import QCoreApplication, QEventLoop, QThread, QTimer

__all__ = ["run_while_painting", "POLL_MS"]

T = TypeVar("T")
POLL_MS = 5  # how often the waiting event loop looks whether the job has ended


def run_while_painting(job: Callable[[], T], name: str = "rnn-viz-build") -> T:
    """``job()`` in a worker thread, the GUI thread's non-input events processed meanwhile."""
    app = QCoreApplication.instance()
    if app is None or QThread.currentThread() is not app.thread() or QThread.currentThread().loopLevel() == 0:
        # No event loop to keep alive: headless use, already off the GUI thread, or the window's
        # first model, built before the application's loop starts (nothing is on screen yet).
        return job()
    outcome: dict[str, object] = {}

    def run() -> None:
        try:
            outcome["value"] = job()
        except BaseException as exc:  # re-raised in the caller, with its own traceback
            outcome["error"] = exc

    thread = threading.Thread(target=run, name=name, daemon=True)
    loop = QEventLoop()
    poll = QTimer()
    poll.setInterval(POLL_MS)
    poll.timeout.connect(lambda: None if thread.is_alive() else loop.quit())
    thread.start()
    poll.start()
    loop.exec(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
    poll.stop()
    thread.join()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]
