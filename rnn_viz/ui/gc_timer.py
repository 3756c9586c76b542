"""Python's cyclic garbage collector, run on a GUI-thread timer instead of wherever it triggers.

The collector runs in whichever thread happens to allocate, including the training worker;
collecting Qt graphics items there while the GUI thread paints crashes the process. This is
pyqtgraph's ``util.garbage_collector.GarbageCollector`` (the same thresholds and generations), here
so the app can start it without importing pyqtgraph before its frame is painted (first_frame).
"""
from __future__ import annotations

import gc

from PySide6.QtCore import QTimer

__all__ = ["GarbageCollector"]


class GarbageCollector:
    """Turns automatic collection off and collects each generation past its threshold every
    ``interval`` seconds, in the thread that made this object (the GUI thread)."""

    def __init__(self, interval: float = 1.0):
        self.threshold = gc.get_threshold()
        gc.disable()
        self.timer = QTimer()
        self.timer.timeout.connect(self.check)
        self.timer.start(int(interval * 1000))

    def check(self) -> None:
        l0, l1, l2 = gc.get_count()
        if l0 > self.threshold[0]:
            gc.collect(0)
            if l1 > self.threshold[1]:
                gc.collect(1)
                if l2 > self.threshold[2]:
                    gc.collect(2)
