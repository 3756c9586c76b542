"""Missing values in a series: where they are, in words, and the three ways to fill them."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .errors import DataError

POLICY_WORDS = {"interpolate": "linear interpolation", "ffill": "carrying the last value forward",
                "drop": "dropping the rows that hold them"}


@dataclass(frozen=True)
class MissingColumn:
    """``count`` missing values in ``column`` (a label such as 'column "temp"'); ``where`` in words."""

    column: str
    count: int
    where: str


def spans(positions: np.ndarray, unit: str, limit: int = 4) -> str:
    """Sorted ints -> "rows 40-42, 100 and 3 more runs"."""
    if positions.size == 0:
        return ""
    breaks = np.flatnonzero(np.diff(positions) != 1)
    starts = np.r_[positions[0], positions[breaks + 1]]
    ends = np.r_[positions[breaks], positions[-1]]
    parts = [f"{a}" if a == b else f"{a}-{b}" for a, b in zip(starts[:limit], ends[:limit])]
    more = f" and {len(starts) - limit} more run(s)" if len(starts) > limit else ""
    if positions.size == 1 and unit.endswith("s"):
        unit = unit[:-1]
    return f"{unit} {', '.join(parts)}{more}"


def report(values: np.ndarray, labels: list[str], positions: np.ndarray, unit: str) -> list[MissingColumn]:
    """values: (n, C) with NaN where missing; positions: (n,) how each row is named (file row or step)."""
    out = []
    for j, label in enumerate(labels):
        gaps = np.flatnonzero(np.isnan(values[:, j]))
        if gaps.size:
            out.append(MissingColumn(label, int(gaps.size), spans(positions[gaps], unit)))
    return out


def describe(columns: list[MissingColumn], policy: str | None) -> str:
    """One line for a summary: how many, where, and what was done about them."""
    if not columns:
        return "missing values: none"
    total = sum(c.count for c in columns)
    where = "; ".join(f"{c.column}: {c.count} ({c.where})" for c in columns[:4])
    if len(columns) > 4:
        where += f"; {len(columns) - 4} more column(s)"
    done = f", filled by {POLICY_WORDS[policy]}" if policy in ("interpolate", "ffill") else ""
    if policy == "drop":
        done = ", handled by dropping the rows that hold them"
    return f"missing values: {total} ({where}){done}"


def fill(values: np.ndarray, policy: str, labels: list[str], name: str) -> tuple[np.ndarray, np.ndarray]:
    """Fill NaNs in a series. values: (n, C). Returns (filled (m, C), kept (m,) row indices into values).

    interpolate: linear between neighbours; ffill: last value forward. Both fill a leading run from
    the first value (and interpolate a trailing run from the last). drop: remove rows with any NaN.
    """
    nan = np.isnan(values)
    for j in range(values.shape[1]):
        if nan[:, j].all():
            raise DataError(f"{name}: {labels[j]} has no values at all (every cell is missing)")
    if not nan.any():
        return values, np.arange(values.shape[0])
    if policy == "drop":
        keep = np.flatnonzero(~nan.any(axis=1))
        return values[keep], keep
    out = values.copy()
    idx = np.arange(values.shape[0])
    for j in np.flatnonzero(nan.any(axis=0)):
        good = ~nan[:, j]
        if policy == "interpolate":
            out[~good, j] = np.interp(idx[~good], idx[good], values[good, j])
        else:
            # Index of the last good row at or before each row; rows before the first good one use it.
            last = np.maximum.accumulate(np.where(good, idx, -1))
            last[last < 0] = int(np.argmax(good))
            out[:, j] = values[last, j]
    return out, idx


def fill_sequences(values: np.ndarray, policy: str, labels: list[str], name: str) -> tuple[np.ndarray, np.ndarray]:
    """Fill NaNs along time in each sequence. values: (N, T, C). Returns (filled (M, T, C), kept (M,))."""
    nan = np.isnan(values)
    if not nan.any():
        return values, np.arange(values.shape[0])
    if policy == "drop":
        keep = np.flatnonzero(~nan.any(axis=(1, 2)))
        if keep.size == 0:
            raise DataError(f"{name}: every sequence has a missing value, so dropping them leaves nothing; "
                            'use data.missing = "interpolate" or "ffill"')
        return values[keep], keep
    out = values.copy()
    for n in np.flatnonzero(nan.any(axis=(1, 2))):
        try:
            out[n], _ = fill(values[n], policy, labels, name)
        except DataError:
            j = int(np.flatnonzero(nan[n].all(axis=0))[0])
            raise DataError(f"{name}: sequence {n}, {labels[j]} has no values at all (every step is missing)") from None
    return out, np.arange(values.shape[0])
