"""Bounded memories of a run: metrics rows for the curves and a few heavy traces for the history slider.

Both keep memory flat for runs of any length by decimating (keep every other entry, then keep one in
twice as many new ones), so a 100,000-update run costs the same as a 10,000-update one.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

import numpy as np

__all__ = ["MetricsHistory", "TraceHistory", "HistoryEntry", "trace_nbytes"]


class MetricsHistory:
    """metrics.csv rows as growing columns, decimated by two whenever ``capacity`` rows are held.

    ``columns()`` returns a read-only mapping column -> (N,) float64 array that stays valid (never
    rewritten) after later appends, so a ViewState can hold it without copying.
    """

    def __init__(self, capacity: int = 50_000):
        if capacity < 4:
            raise ValueError("capacity must be at least 4")
        self.capacity = capacity
        self.clear()

    def clear(self) -> None:
        self._data: dict[str, np.ndarray] = {}
        self._n = 0
        self._stride = 1  # keep one row in `stride` of those arriving
        self._skip = 0
        self._seen = 0
        self._cache: Mapping[str, np.ndarray] | None = None

    def __len__(self) -> int:
        return self._n

    @property
    def rows_seen(self) -> int:
        """How many rows were offered, kept or not."""
        return self._seen

    @property
    def stride(self) -> int:
        return self._stride

    def extend(self, rows: Iterable[Mapping[str, float]]) -> None:
        for row in rows:
            self.append(row)

    def append(self, row: Mapping[str, float]) -> None:
        self._seen += 1
        if self._skip:
            self._skip -= 1
            return
        self._skip = self._stride - 1
        if self._n == self.capacity:
            self._decimate()
        for key in row:
            if key not in self._data:
                # A column that appears late (e.g. val_loss on the first evaluation) is NaN before.
                self._data[key] = np.full(self.capacity, np.nan)
        for key, column in self._data.items():
            value = row.get(key, np.nan)
            try:
                column[self._n] = float(value)
            except (TypeError, ValueError):
                column[self._n] = np.nan
        self._n += 1
        self._cache = None

    def _decimate(self) -> None:
        # New arrays, not in-place: ViewStates handed out earlier keep their (now older) columns intact.
        half = (self._n + 1) // 2
        for key, column in self._data.items():
            fresh = np.full(self.capacity, np.nan)
            fresh[:half] = column[: self._n : 2]
            self._data[key] = fresh
        self._n = half
        self._stride *= 2
        self._skip = self._stride - 1

    def columns(self) -> Mapping[str, np.ndarray]:
        """Column name -> (N,) read-only float64 array of the kept rows, in order."""
        if self._cache is None:
            out = {}
            for key, column in self._data.items():
                view = column[: self._n]
                view.flags.writeable = False
                out[key] = view
            self._cache = MappingProxyType(out)
        return self._cache


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
