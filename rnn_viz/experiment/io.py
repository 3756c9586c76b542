"""The files a run leaves behind: trace.npz, metrics.csv and checkpoints (formats in docs/file-formats.md).

Every writer leaves a valid file even when the process is interrupted: .npz files are written to a
temporary name and renamed into place, and metrics.csv is flushed after every row.
"""
from __future__ import annotations

import csv
import io
import math
import os
import re
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from rnn_viz.data.archive import MAX_JSON_CHARS, ArchiveError, Entry, open_archive, read_arrays
from rnn_viz.data.reading import FileProblem, memory_budget, open_regular

from .metrics_history import HISTORY_PREFIX, MAX_HISTORY_ROWS, is_metric_column

__all__ = [
    "RunFileError", "remove_stale_temp_files", "write_trace", "read_trace", "MetricsWriter", "read_metrics",
    "save_checkpoint", "load_checkpoint", "read_checkpoint_config", "checkpoint_entry",
    "CHECKPOINT_FORMAT", "CHECKPOINT_VERSION", "MAX_STEP",
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
    except OSError as exc:
        # Name the file the user knows, not the temporary one; the previous file is untouched.
        kept = f"; the previous {path.name} is kept" if path.exists() else ""
        raise RunFileError(f"{path}: could not be written ({exc.strerror or exc}){kept}") from None
    finally:
        tmp.unlink(missing_ok=True)


_TEMP = re.compile(r"^\..+\.tmp-(\d+)$")


def _running(pid: int) -> bool:
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return True  # no cheap, safe liveness test: leave the file
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError, OverflowError):
        return True
    return True


def remove_stale_temp_files(folder: str | Path) -> list[Path]:
    """Delete the ``.<name>.tmp-<pid>`` files a writer killed mid-write left in ``folder`` (only
    those whose process no longer runs); returns what was removed."""
    removed = []
    try:
        entries = list(Path(folder).iterdir())
    except OSError:
        return removed
    for entry in entries:
        m = _TEMP.match(entry.name)
        if m and not _running(int(m.group(1))) and entry.is_file() and not entry.is_symlink():
            try:
                entry.unlink()
                removed.append(entry)
            except OSError:
                pass
    return removed


def _run_file_error(exc: ArchiveError, path, what: str) -> RunFileError:
    """An ArchiveError as a RunFileError that says which kind of run file was expected."""
    text = str(exc)
    if exc.kind == "not_zip":
        kind = "a single .npy array" if "single .npy" in text else "not an .npz archive"
        return RunFileError(f"{path}: not a {what} ({kind})")
    if exc.kind == "corrupt" and exc.entry is not None:
        return RunFileError(text if "corrupt or truncated" in text else f"{text} (a corrupt or truncated {what})")
    if exc.kind == "corrupt":
        detail = text.split(": ", 1)[1] if text.startswith(f"{path}") else text
        return RunFileError(f"{path}: not a {what} (corrupt or truncated .npz: {detail})")
    if exc.kind == "folder":
        return RunFileError(f"{path}: is a directory, not a {what}")
    if exc.kind == "missing":
        return RunFileError(f"{path}: no such file")
    return RunFileError(text)


def _load_npz(path: str | Path, what: str, entries, required=()) -> dict[str, np.ndarray]:
    """The members of an .npz that ``entries`` defines (see rnn_viz.data.archive), as RunFileError."""
    try:
        return read_arrays(path, entries, what, required)
    except ArchiveError as exc:
        raise _run_file_error(exc, path, what) from None


# --- trace.npz -----------------------------------------------------------------------------------

def write_trace(path: str | Path, trace: Mapping[str, np.ndarray], config_json: str) -> None:
    """Write one step's trace (keys as in docs/trace-keys.md) plus ``config``, the resolved
    experiment as JSON text in a 0-d str array (replacing any ``config`` in ``trace``)."""
    arrays = {k: v for k, v in trace.items() if k != "config"}
    arrays["config"] = np.array(str(config_json))
    _atomic_savez(Path(path), arrays)


_TRACE_ENTRY = Entry(kinds="biufc")  # dyn/*_eig are complex eigenvalues (docs/trace-keys.md)
_TRACE_CONFIG = Entry(kinds="U", shape=(), max_bytes=4 * MAX_JSON_CHARS)
# 0-d text keys besides config (docs/trace-keys.md): a column name.
_TRACE_TEXT = {"data/time_name": Entry(kinds="U", shape=(), max_bytes=4 * 1024)}


def read_trace(path: str | Path) -> dict[str, np.ndarray]:
    """Every array of a trace.npz (``config`` stays a 0-d str array; ``str(t["config"])`` is the
    JSON). Raises RunFileError for a missing, corrupt or foreign file."""
    arrays = _load_npz(path, "trace", lambda key: _TRACE_CONFIG if key == "config" else _TRACE_TEXT.get(key, _TRACE_ENTRY))
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
        with open_regular(path, str(path)) as f:  # no FIFO or device; bounded even where st_size lies
            limit = memory_budget() // 16  # parsed cells cost far more than their bytes
            data = f.read(limit + 1)
        if len(data) > limit:
            raise RunFileError(f"{path}: too large to read as metrics (more than {limit // 2**20} MB)")
        text = data.decode("utf-8")
    except FileProblem as exc:
        raise RunFileError(f"{path}: no such file" if exc.kind == "missing" else str(exc)) from None
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


# What a checkpoint may hold (docs/file-formats.md). JSON entries are bounded in size and depth;
# counts are bounded far below int64 so arithmetic on them cannot overflow.
_JSON_KEYS = ("config", "rng", "live")
MAX_STEP = 2**53
_MARK_ENTRY = Entry(kinds="U", shape=(), max_bytes=4 * 64)
_VERSION_ENTRY = Entry(kinds="iu", shape=())
_COUNT_ENTRY = Entry(kinds="iu", shape=(), low=0, high=MAX_STEP)


# The training history (metrics.csv columns, decimated): 1-D, at most MAX_HISTORY_ROWS rows.
_HISTORY_STEP_ENTRY = Entry(kinds="iu", shape=(None,), low=0, high=MAX_STEP, max_bytes=8 * MAX_HISTORY_ROWS)
_HISTORY_ENTRY = Entry(kinds="f", shape=(None,), max_bytes=8 * MAX_HISTORY_ROWS)


def checkpoint_entry(key: str, layout: Mapping[str, tuple[int, ...]] | None = None) -> Entry | None:
    """The rule for checkpoint member ``key`` (None: not part of the format, never read).

    ``layout``: {key: shape} of every ``param/``, ``opt/`` array the model defines (from
    ``Trainer.checkpoint_layout()``); without it, any shape of at most 2 axes is accepted here and
    the trainer checks the shapes when it restores. ``history/<column>``: only metrics.csv's
    columns (``history/step`` whole numbers).
    """
    if key in _JSON_KEYS:
        return Entry(kinds="U", shape=(), max_bytes=4 * MAX_JSON_CHARS)
    if key in ("step", "opt/t"):
        return _COUNT_ENTRY
    if key.startswith(HISTORY_PREFIX):
        column = key[len(HISTORY_PREFIX):]
        if column == "step":
            return _HISTORY_STEP_ENTRY
        return _HISTORY_ENTRY if is_metric_column(column) else None
    if key.startswith(("param/", "opt/")):
        if layout is not None:
            return Entry(kinds="f", shape=tuple(layout[key]), finite=True) if key in layout else None
        return Entry(kinds="f", finite=True)
    return None


def _checkpoint_marks(ar, path) -> None:
    if _MARK not in ar or ar.header(_MARK).dtype.kind != "U" or ar.text(_MARK, 64) != CHECKPOINT_FORMAT:
        raise RunFileError(f"{path}: not an rnn-viz checkpoint (an .npz written by something else)")
    if _VERSION not in ar:
        raise RunFileError(f"{path}: damaged checkpoint (no '{_VERSION}' entry)")
    version = int(ar.array(_VERSION, _VERSION_ENTRY)[()])
    if version > CHECKPOINT_VERSION:
        raise RunFileError(f"{path}: checkpoint format version {version} is newer than this rnn-viz "
                           f"understands ({CHECKPOINT_VERSION}); update rnn-viz")
    if version < 1:
        raise RunFileError(f"{path}: checkpoint format version {version} was never written by rnn-viz "
                           f"(versions 1 to {CHECKPOINT_VERSION} exist)")


def read_checkpoint_config(path: str | Path) -> str:
    """Only the experiment (JSON text) a checkpoint was saved for, after its format marks: nothing
    else is read, so a resume can compare it with the experiment before loading anything."""
    try:
        with open_archive(path, "checkpoint") as ar:
            _checkpoint_marks(ar, path)
            if "config" not in ar:
                raise RunFileError(f"{path}: damaged checkpoint (no 0-d string 'config' entry)")
            ar.json("config")  # depth and size bounded before anyone parses it
            return ar.text("config")
    except ArchiveError as exc:
        raise _run_file_error(exc, path, "checkpoint") from None


def _check_history(arrays: Mapping[str, np.ndarray], path) -> None:
    """Every ``history/`` column as long as ``history/step``, at most MAX_HISTORY_ROWS rows."""
    keys = [k for k in arrays if k.startswith(HISTORY_PREFIX)]
    if not keys:
        return
    step_key = HISTORY_PREFIX + "step"
    if step_key not in arrays:
        raise RunFileError(f"{path}: damaged checkpoint ({keys[0]!r} without {step_key!r})")
    n = len(arrays[step_key])
    for key in keys:
        rows = len(arrays[key])
        if rows > MAX_HISTORY_ROWS:
            raise RunFileError(f"{path}[{key}]: {rows} rows; a checkpoint's history holds at most "
                               f"{MAX_HISTORY_ROWS}")
        if rows != n:
            raise RunFileError(f"{path}[{key}]: {rows} rows, but {step_key!r} has {n}")


def load_checkpoint(path: str | Path, layout: Mapping[str, tuple[int, ...]] | None = None) -> dict[str, np.ndarray]:
    """The arrays handed to :func:`save_checkpoint` (format marks removed), each checked by
    :func:`checkpoint_entry` before its data is read; with ``layout`` every array the model defines
    must be present with its shape. Raises RunFileError for a missing, corrupt, foreign, hostile or
    newer-format file, naming the file and the entry."""
    try:
        with open_archive(path, "checkpoint") as ar:
            _checkpoint_marks(ar, path)
            for key in ("config", *(layout or ())):
                if key not in ar:
                    what = "0-d string 'config' entry" if key == "config" else f"'{key}' entry (the model has it)"
                    raise RunFileError(f"{path}: damaged checkpoint (no {what})")
            arrays = {}
            for key in ar.names:
                entry = checkpoint_entry(key, layout)
                if entry is None:
                    continue
                arrays[key] = ar.array(key, entry)
                if key in _JSON_KEYS:
                    ar.json(key)
            _check_history(arrays, path)
            return arrays
    except ArchiveError as exc:
        raise _run_file_error(exc, path, "checkpoint") from None
