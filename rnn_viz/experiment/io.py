"""The files a run leaves behind: trace.npz, metrics.csv and checkpoints (formats in docs/file-formats.md).

Every writer leaves a valid file even when the process is interrupted: .npz files are written to a
temporary name and renamed into place, and metrics.csv is flushed after every row.
"""
from __future__ import annotations

import csv
import io
import math
import os
import zipfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

__all__ = [
    "RunFileError", "write_trace", "read_trace", "MetricsWriter", "read_metrics",
    "save_checkpoint", "load_checkpoint", "CHECKPOINT_FORMAT", "CHECKPOINT_VERSION",
]

# A checkpoint carries this 0-d string so a foreign .npz is recognised as such, and a version so a
# future layout can be told apart.
CHECKPOINT_FORMAT = "rnn-viz checkpoint"
CHECKPOINT_VERSION = 1
_MARK, _VERSION = "checkpoint_format", "checkpoint_version"


class RunFileError(ValueError):
    """A trace, metrics or checkpoint file that is missing, corrupt or not rnn-viz's; the message
    names the file and what is wrong."""


def _atomic_savez(path: Path, arrays: Mapping[str, np.ndarray]) -> None:
    for key, value in arrays.items():
        if np.asarray(value).dtype.hasobject:
            raise TypeError(f"{key}: object arrays cannot be stored without pickle")
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        # A file object, not a name: np.savez would append ".npz" to a name without it.
        with open(tmp, "wb") as f:
            np.savez(f, **{k: np.asarray(v) for k, v in arrays.items()})
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _load_npz(path: str | Path, what: str) -> dict[str, np.ndarray]:
    path = Path(path)
    try:
        with open(path, "rb") as f:
            magic = f.read(4)
        if magic != b"PK\x03\x04":
            # np.load would take any other bytes for a pickle and say only that pickles are refused.
            kind = "a single .npy array" if magic == b"\x93NUM" else "not an .npz archive"
            raise RunFileError(f"{path}: not a {what} ({kind})")
        with np.load(path, allow_pickle=False) as npz:
            return {key: npz[key] for key in npz.files}
    except FileNotFoundError:
        raise RunFileError(f"{path}: no such file") from None
    except IsADirectoryError:
        raise RunFileError(f"{path}: is a directory, not a {what}") from None
    except RunFileError:
        raise
    except ValueError as exc:
        if "pickle" in str(exc):
            raise RunFileError(f"{path}: holds Python objects (pickled); rnn-viz never loads those") from None
        raise RunFileError(f"{path}: not a {what} (unreadable .npz: {exc})") from None
    except (OSError, EOFError, zipfile.BadZipFile) as exc:
        raise RunFileError(f"{path}: not a {what} (corrupt or truncated .npz: {exc})") from None


# --- trace.npz -----------------------------------------------------------------------------------

def write_trace(path: str | Path, trace: Mapping[str, np.ndarray], config_json: str) -> None:
    """Write one step's trace (keys as in docs/trace-keys.md) plus ``config``, the resolved
    experiment as JSON text in a 0-d str array (replacing any ``config`` in ``trace``)."""
    arrays = {k: v for k, v in trace.items() if k != "config"}
    arrays["config"] = np.array(str(config_json))
    _atomic_savez(Path(path), arrays)


def read_trace(path: str | Path) -> dict[str, np.ndarray]:
    """Every array of a trace.npz (``config`` stays a 0-d str array; ``str(t["config"])`` is the
    JSON). Raises RunFileError for a missing, corrupt or foreign file."""
    arrays = _load_npz(path, "trace")
    config = arrays.get("config")
    if config is None or config.ndim != 0 or config.dtype.kind != "U":
        raise RunFileError(f"{path}: not an rnn-viz trace (no 0-d string 'config' entry)")
    return arrays


# --- metrics.csv ---------------------------------------------------------------------------------

def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, (bool, np.bool_)):
        return str(int(value))
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    value = float(value)
    # repr gives the shortest text that reads back to the same float.
    return "" if math.isnan(value) else repr(value)


class MetricsWriter:
    """metrics.csv, one row per update, flushed as written so an interrupted run leaves a valid file.

    The header is ``columns`` if given (written at once), else the first row's keys. A row may leave
    columns out (empty cells) but not add new ones; NaN and None are written as empty cells.
    """

    def __init__(self, path: str | Path, columns: list[str] | tuple[str, ...] | None = None):
        self.path = Path(path)
        self._file = open(self.path, "w", newline="", encoding="utf-8")
        self._writer = csv.writer(self._file, lineterminator="\n")
        self.columns: tuple[str, ...] | None = None
        if columns is not None:
            self._write_header(columns)

    def _write_header(self, columns) -> None:
        self.columns = tuple(columns)
        self._writer.writerow(self.columns)
        self._file.flush()

    def write(self, row: Mapping[str, object]) -> None:
        if self.columns is None:
            self._write_header(row.keys())
        extra = [k for k in row if k not in self.columns]
        if extra:
            raise ValueError(f"{self.path}: row has columns {extra} not in the header {list(self.columns)}")
        self._writer.writerow([_cell(row.get(c)) for c in self.columns])
        self._file.flush()

    def close(self) -> None:
        if not self._file.closed:
            self._file.close()

    def __enter__(self) -> MetricsWriter:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def read_metrics(path: str | Path) -> dict[str, np.ndarray]:
    """Columns of a metrics.csv as 1-D arrays of one length (rows): int64 where every cell is an
    integer, else float64 with NaN for empty cells. Raises RunFileError naming file and line."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise RunFileError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise RunFileError(f"{path}: cannot read metrics ({exc})") from None
    rows = list(csv.reader(io.StringIO(text)))
    if not rows or not rows[0] or not all(rows[0]):
        raise RunFileError(f"{path}: not a metrics file (no header line of column names)")
    header = rows[0]
    cells: list[list[str]] = [[] for _ in header]
    for line, row in enumerate(rows[1:], start=2):
        if len(row) != len(header):
            raise RunFileError(f"{path}: line {line} has {len(row)} cells, the header has {len(header)}")
        for col, value in zip(cells, row):
            col.append(value)
    out: dict[str, np.ndarray] = {}
    for name, col, number in zip(header, cells, range(1, len(header) + 1)):
        try:
            out[name] = np.array([int(v) for v in col], dtype=np.int64)
            continue
        except ValueError:
            pass
        try:
            out[name] = np.array([float(v) if v else math.nan for v in col], dtype=np.float64)
        except ValueError:
            bad = next(i for i, v in enumerate(col) if v and not _is_float(v))
            raise RunFileError(f"{path}: line {bad + 2}, column {number} ({name}): "
                               f"{col[bad]!r} is not a number") from None
    return out


def _is_float(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


# --- checkpoints ---------------------------------------------------------------------------------

def save_checkpoint(path: str | Path, arrays: Mapping[str, np.ndarray]) -> None:
    """Write a checkpoint (the trainer's state: parameters, optimiser state, random state, step and
    ``config``, the experiment as JSON in a 0-d str array), marked as rnn-viz's."""
    if "config" not in arrays:
        raise ValueError("a checkpoint needs 'config' (the experiment as JSON) so a resume can check it")
    if _MARK in arrays or _VERSION in arrays:
        raise ValueError(f"{_MARK!r} and {_VERSION!r} are reserved checkpoint keys")
    marked = dict(arrays)
    marked[_MARK] = np.array(CHECKPOINT_FORMAT)
    marked[_VERSION] = np.array(CHECKPOINT_VERSION, dtype=np.int64)
    _atomic_savez(Path(path), marked)


def load_checkpoint(path: str | Path) -> dict[str, np.ndarray]:
    """The arrays handed to :func:`save_checkpoint` (format marks removed). Raises RunFileError for
    a missing, corrupt, foreign or newer-format file."""
    arrays = _load_npz(path, "checkpoint")
    mark = arrays.pop(_MARK, None)
    version = arrays.pop(_VERSION, None)
    if mark is None or mark.ndim != 0 or str(mark) != CHECKPOINT_FORMAT:
        raise RunFileError(f"{path}: not an rnn-viz checkpoint (an .npz written by something else)")
    if version is None or version.ndim != 0 or version.dtype.kind not in "iu" or int(version) > CHECKPOINT_VERSION:
        raise RunFileError(f"{path}: checkpoint format version {version} is newer than this rnn-viz "
                           f"understands ({CHECKPOINT_VERSION}); update rnn-viz")
    config = arrays.get("config")
    if config is None or config.ndim != 0 or config.dtype.kind != "U":
        raise RunFileError(f"{path}: damaged checkpoint (no 0-d string 'config' entry)")
    return arrays
