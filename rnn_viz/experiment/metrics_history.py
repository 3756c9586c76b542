"""A run's metrics rows kept in bounded memory, and the ``history/`` keys a checkpoint carries them in.

One decimation rule serves the app's training curves, the checkpoints the app saves and the ones
``rnn-viz run`` writes: of the rows offered (one per update), keep those whose index counts from 0 is
a multiple of ``stride``, the smallest power of two that leaves at most ``capacity`` rows. Kept
incrementally (``MetricsHistory``: when full, drop every other row and double the stride) or at once
(``decimate``); both give the same rows, so a checkpoint's history is the curves the app showed,
further thinned to ``MAX_HISTORY_ROWS``.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from types import MappingProxyType

import numpy as np

__all__ = ["MetricsHistory", "MAX_HISTORY_ROWS", "HISTORY_PREFIX", "decimation_stride", "decimate",
           "history_arrays", "history_from_checkpoint", "metric_columns", "is_metric_column",
           "with_history", "restore_history", "run_histories"]

# A checkpoint's history: at most this many rows (docs/file-formats.md, "Checkpoints").
MAX_HISTORY_ROWS = 10_000
HISTORY_PREFIX = "history/"


def metric_columns(num_layers: int, rnn: bool, cross_entropy: bool, validation: bool) -> list[str]:
    """The columns of metrics.csv, in their documented order (docs/file-formats.md): the one owner
    of that order, for metrics.csv, the curves' CSV, Export all's metrics.csv and checkpoints."""
    cols = ["step", "loss", "grad_norm", "step_seconds", "learning_rate"]
    cols += [f"sigma_max/{l}" for l in range(num_layers)]
    if rnn:
        cols += [f"rho/{l}" for l in range(num_layers)]
    if cross_entropy:
        cols.append("accuracy")
    if validation:
        cols.append("val_loss")
        if cross_entropy:
            cols.append("val_accuracy")
    return cols


def is_metric_column(name: str) -> bool:
    """Whether ``name`` is a column metrics.csv can have for some model (any cell, loss, depth)."""
    from rnn_viz.engine.network import MAX_LAYERS

    return name in metric_columns(MAX_LAYERS, True, True, True)


def decimation_stride(rows: int, capacity: int) -> int:
    """The smallest power of two ``s`` with ceil(rows / s) <= capacity (1 when rows fit)."""
    if capacity < 1:
        raise ValueError("capacity must be at least 1")
    stride = 1
    while -(-rows // stride) > capacity:
        stride *= 2
    return stride


def decimate(columns: Mapping[str, np.ndarray], capacity: int) -> dict[str, np.ndarray]:
    """Every column (N,) kept at rows 0, s, 2s, ... with s = decimation_stride(N, capacity); the
    column order is kept."""
    n = min((len(v) for v in columns.values()), default=0)
    stride = decimation_stride(n, capacity)
    return {k: np.asarray(v)[:n:stride] for k, v in columns.items()}


class MetricsHistory:
    """metrics.csv rows as growing columns, decimated by two whenever ``capacity`` rows are held.

    ``columns()`` returns a read-only mapping column -> (N,) float64 array, in the order the
    columns first appeared (the rows' order: metrics.csv's), that stays valid (never rewritten)
    after later appends, so a ViewState can hold it without copying.
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
        index = self._seen  # of this row, counting from 0
        self._seen += 1
        if self._skip:
            self._skip -= 1
            return
        if self._n == self.capacity:
            self._decimate()
            if index % self._stride:  # (an odd capacity) this row falls between the kept ones
                self._skip = -(index + 1) % self._stride
                return
        self._skip = self._stride - 1
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

    def restore(self, columns: Mapping[str, np.ndarray], rows_seen: int) -> None:
        """Continue a history saved earlier: ``columns`` (N,) as decimated by this rule from the
        first ``rows_seen`` rows (a checkpoint's history, N <= capacity); the next rows are kept
        or skipped as if every row had been offered here."""
        self.clear()
        n = min((len(v) for v in columns.values()), default=0)
        if n == 0:
            return
        if n > self.capacity:
            columns = decimate(columns, self.capacity)
            n = min(len(v) for v in columns.values())
        step = np.asarray(columns.get("step", np.arange(n)), dtype=np.float64)
        stride = int(step[1] - step[0]) if n > 1 and np.isfinite(step[:2]).all() else 1
        if stride < 1 or stride & (stride - 1):
            stride = 1  # not this rule's rows: go on keeping every row
        for key, v in columns.items():
            column = np.full(self.capacity, np.nan)
            column[:n] = np.asarray(v, dtype=np.float64)[:n]
            self._data[key] = column
        self._n = n
        self._stride = stride
        self._seen = max(int(rows_seen), (n - 1) * stride + 1)
        self._skip = (-self._seen) % stride

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


def history_arrays(columns: Mapping[str, np.ndarray], known: Sequence[str]) -> dict[str, np.ndarray]:
    """A checkpoint's ``history/`` entries from metrics ``columns`` (name -> (N,)): the columns in
    ``known`` (the run's metrics.csv columns; ``step`` among them) decimated to at most
    MAX_HISTORY_ROWS rows, ``history/step`` int64 and the others float64. Empty without rows."""
    names = [k for k in known if k in columns]
    if "step" not in names:
        return {}
    kept = decimate({k: columns[k] for k in names}, MAX_HISTORY_ROWS)
    if len(kept["step"]) == 0:
        return {}
    out = {}
    for k, v in kept.items():
        dtype = np.int64 if k == "step" else np.float64
        out[HISTORY_PREFIX + k] = np.ascontiguousarray(v, dtype=dtype)
    return out


def history_from_checkpoint(arrays: Mapping[str, np.ndarray], known: Sequence[str]) -> dict[str, np.ndarray] | None:
    """The metrics columns (in the order of ``known``, metrics.csv's) a checkpoint's ``history/``
    entries hold, float64; None when it carries no history (saved by an older rnn-viz). Columns of
    another length than ``history/step`` or not in ``known`` are left out."""
    step = arrays.get(HISTORY_PREFIX + "step")
    if step is None:
        return None
    n = len(np.asarray(step))
    out = {}
    for k in known:
        v = arrays.get(HISTORY_PREFIX + k)
        if v is not None and np.asarray(v).shape == (n,):
            out[k] = np.asarray(v, dtype=np.float64)
    return out


def with_history(trainer, history: MetricsHistory) -> dict[str, np.ndarray]:
    """``trainer.checkpoint()`` with the ``history/`` entries of ``history`` (its metrics rows)."""
    return {**trainer.checkpoint(), **history_arrays(history.columns(), trainer.metric_columns())}


def restore_history(history: MetricsHistory, arrays: Mapping[str, np.ndarray], trainer) -> str:
    """Fill ``history`` from a checkpoint's ``arrays`` so that training goes on from it; returns ""
    or, for a checkpoint that carries no history (an older rnn-viz), a note saying so."""
    columns = history_from_checkpoint(arrays, trainer.metric_columns())
    step = int(trainer.step_count)
    if columns is None or "step" not in columns or len(columns["step"]) == 0:
        history.clear()
        if step == 0:
            return ""
        return f"the checkpoint carries no history of updates 1-{step} (saved by an older rnn-viz)"
    first = float(columns["step"][0])
    history.restore(columns, rows_seen=step - int(first) + 1 if np.isfinite(first) else step)
    return ""


def run_histories(runs, resumed: Mapping[str, np.ndarray] | None = None) -> list[MetricsHistory]:
    """``rnn-viz run``'s histories for its checkpoints, one per run: empty, or for ``--resume``
    (one run) continuing the ``history/`` entries of the ``resumed`` checkpoint's arrays."""
    histories = [MetricsHistory(capacity=MAX_HISTORY_ROWS) for _ in runs]
    if resumed is not None and len(runs) == 1:
        restore_history(histories[0], resumed, runs[0])
    return histories
