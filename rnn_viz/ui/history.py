"""Bounded memories of a run: metrics rows for the curves and a few heavy traces for the history slider.

Both keep memory flat for runs of any length by decimating (keep every other entry, then keep one in
twice as many new ones), so a 100,000-update run costs the same as a 10,000-update one. The metrics
rows' rule lives in rnn_viz.experiment.metrics_history (checkpoints carry the same rows).
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from rnn_viz.experiment.metrics_history import MetricsHistory

__all__ = ["MetricsHistory", "TraceHistory", "HistoryEntry", "trace_nbytes"]


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """One remembered update: its step and heavy trace(s) (``trace_b`` in compare mode)."""

    step: int
    trace: Mapping[str, np.ndarray]
    trace_b: Mapping[str, np.ndarray] | None = None


def trace_nbytes(trace: Mapping[str, np.ndarray] | None) -> int:
    if trace is None:
        return 0
    return int(sum(getattr(v, "nbytes", 0) for v in trace.values()))


class TraceHistory:
    """Heavy traces of earlier updates for the training-history slider, within a memory budget.

    Keeps at most ``max_entries`` entries and at most ``budget_bytes`` of trace arrays, spread evenly
    over the run: an update is kept only if at least ``stride`` updates passed since the last kept
    one; when full, every other entry is dropped and the stride doubles.
    """

    def __init__(self, max_entries: int = 48, budget_bytes: int = 256 * 2**20):
        self.max_entries = max(2, max_entries)
        self.budget_bytes = budget_bytes
        self.clear()

    def clear(self) -> None:
        self._entries: list[HistoryEntry] = []
        self._stride = 1
        self._capacity = self.max_entries

    def __len__(self) -> int:
        return len(self._entries)

    def __getitem__(self, index: int) -> HistoryEntry:
        return self._entries[index]

    @property
    def steps(self) -> list[int]:
        return [e.step for e in self._entries]

    def offer(self, step: int, trace: Mapping[str, np.ndarray], trace_b=None) -> bool:
        """Remember this update if it is due; returns whether it was kept."""
        if self._entries and step < self._entries[-1].step + self._stride:
            return False
        if not self._entries:
            size = trace_nbytes(trace) + trace_nbytes(trace_b)
            # Large models get fewer entries rather than more memory.
            self._capacity = max(2, min(self.max_entries, self.budget_bytes // max(size, 1)))
        if len(self._entries) >= self._capacity:
            self._entries = self._entries[::2]
            self._stride *= 2
            if step < self._entries[-1].step + self._stride:
                return False
        self._entries.append(HistoryEntry(step, trace, trace_b))
        return True
