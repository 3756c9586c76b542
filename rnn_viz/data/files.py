"""A user's file -> Dataset, by its extension; and the preview the app shows before training."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from . import missing as mv
from .arrays import read_npy, read_npz
from .config import SCHEMAS, resolve_data_section
from .dataset import Dataset
from .errors import DataError
from .reading import (SUFFIXES, check_file, check_fits, decode_text, display_name, memory_budget, read_bytes,
                      resolve_path)
from .series import Numbers, build
from .table import SUB_PERIODS, Table, parse_table, period_stamps, time_stamps
from .textdata import DEFAULT_TEXT, build_text

# Parsing a table in Python costs far more than its bytes: cell strings, lists, floats.
TABLE_BYTES_FACTOR = 24
TEXT_BYTES_FACTOR = 24


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in SUFFIXES:
        shown = f'"{path.suffix}"' if path.suffix else "no extension"
        raise DataError(f"{display_name(path)}: unsupported file type ({shown}); allowed: {', '.join(SUFFIXES)}")
    return suffix


def read_text_file(path: Path) -> str:
    """A text file's contents, after the existence, size and encoding checks."""
    size = check_file(path)
    check_fits(display_name(path), size * TEXT_BYTES_FACTOR, "reading it")
    return decode_text(read_bytes(path, memory_budget() // TEXT_BYTES_FACTOR), display_name(path))


def read_table(path: Path, d: dict) -> Table:
    size = check_file(path)
    check_fits(display_name(path), size * TABLE_BYTES_FACTOR, "parsing it")
    text = decode_text(read_bytes(path, memory_budget() // TABLE_BYTES_FACTOR), display_name(path))
    return parse_table(text, display_name(path), path.suffix.lower(), d["header"], d["delimiter"])


def table_numbers(t: Table) -> Numbers:
    """A parsed table as Numbers: a long series, columns without numbers marked unusable."""
    why, usable, notes = {}, [], []
    for j, ok in enumerate(t.numeric):
        if j == t.time_column:
            why[j] = "it is the time column (dates/times), which is skipped"
        elif j == t.sub_time_column:
            why[j] = f"it is part of the time column ({t.columns[j]} of the year), which is skipped"
        elif not ok:
            row, cell = t.text_examples.get(j, (None, ""))
            why[j] = f'it holds text, not numbers (row {row}: "{cell}")'
        elif np.isnan(t.values[:, j]).all():
            why[j] = "every cell is empty"
        usable.append(j not in why)
    if t.time_column is not None:
        first, last = t.time_values[0], t.time_values[-1]
        if t.sub_time_column is not None:
            first, last = f"{first}/{t.sub_time_values[0]}", f"{last}/{t.sub_time_values[-1]}"
            notes.append(f"time {t.label(t.time_column)} with {t.label(t.sub_time_column)} recognised and skipped "
                         f"({first} to {last})")
        else:
            notes.append(f"time {t.label(t.time_column)} recognised and skipped ({first} to {last})")
    left = [f"{t.label(j)} ({'text' if not t.numeric[j] else 'empty'})" for j in why
            if j not in (t.time_column, t.sub_time_column)]
    if left:
        notes.append("not numeric, left out unless chosen: " + ", ".join(left))
    labels = tuple(t.label(j) for j in range(len(t.columns)))
    if t.sub_time_column is not None:
        stamps = period_stamps(t.time_values, t.sub_time_values, t.columns[t.sub_time_column].strip().lower())
    else:
        stamps = time_stamps(t.time_values) if t.time_column is not None else None
    return Numbers(name=t.name, values=t.values, columns=t.columns, usable=tuple(usable), labels=labels,
                   positions=t.rows, unit="rows", why_unusable=why, notes=tuple(notes + list(t.notes)),
                   time=stamps, time_name=t.columns[t.time_column] if stamps is not None else None)


def wide_numbers(t: Table, d: dict) -> Numbers:
    """``layout = "wide"``: column 0 is the period (a year, say), the other columns its sub-periods
    in file order (twelve months, four quarters); read row by row as one series named after the file.
    Its time axis: the start of each month or quarter when the periods are years and there are 12 or
    4 sub-periods, else the file row."""
    for key in ("inputs", "targets"):
        if d.get(key):
            raise DataError(f'data.{key} must be empty with data.layout = "wide": {t.name} is read as one series')
    if len(t.columns) < 2:
        raise DataError(f'{t.name}: data.layout = "wide" needs a period column and at least one sub-period column')
    subs = list(range(1, len(t.columns)))
    for j in subs:
        if not t.numeric[j] and j != t.sub_time_column:
            row, cell = t.text_examples.get(j, (None, ""))
            raise DataError(f'{t.name}: {t.label(j)} holds text (row {row}: "{cell}"); with data.layout = "wide" '
                            "every column after the first is a sub-period of numbers")
    if t.sub_time_column is not None:
        raise DataError(f'{t.name}: {t.label(t.sub_time_column)} is a time column; data.layout = "wide" expects '
                        'one period column, then the sub-periods (use data.layout = "long" for this table)')
    n, k = t.values.shape[0], len(subs)
    series = t.values[:, subs].reshape(n * k, 1)  # row-major: period by period, sub-periods in file order
    years = t.time_values or tuple(str(int(v)) if np.isfinite(v) and v == int(v) else "" for v in t.values[:, 0])
    stamps = period_stamps(years, None, None, per_row=k) if k in SUB_PERIODS.values() else None
    stem = t.name.rsplit("/", 1)[-1].rsplit(".", 1)[0]
    return Numbers(name=t.name, values=series, columns=(stem,), usable=(True,), labels=(f'series "{stem}"',),
                   positions=np.repeat(t.rows, k), unit="rows",
                   notes=(f"wide table: {n} periods ({t.columns[0]}) x {k} sub-periods read row by row as one series",),
                   time=stamps, time_name=t.columns[0] if stamps is not None else None)


def numbers_of_table(t: Table, d: dict) -> Numbers:
    """A parsed table as Numbers, by ``data.layout``."""
    return wide_numbers(t, d) if d.get("layout") == "wide" else table_numbers(t)


def _float(a: np.ndarray, name: str) -> np.ndarray:
    out = a.astype(np.float64)
    if np.isinf(out).any():
        raise DataError(f"{name}: holds infinite values; only finite numbers (or NaN for missing) can be used")
    return out


def array_numbers(arrays: dict[str, np.ndarray], name: str) -> Numbers:
    """Arrays of an .npy/.npz -> Numbers. A single 1-D/2-D array is a long series (steps x features),
    3-D is (sequences, steps, features); ``inputs`` with ``targets`` (and ``mask``) are sequences."""
    if "series" in arrays or "targets" not in arrays:
        if "mask" in arrays:
            raise DataError(f"{name}: has a mask but no targets; a mask says which targets count")
        key = "series" if "series" in arrays else "inputs"
        a = arrays[key]
        shown = name if key == "series" else f"{name}[{key}]"
        if a.ndim not in (1, 2, 3):
            raise DataError(f"{shown}: holds a {a.ndim}-D array (shape {a.shape}); expected 1-D or 2-D (a long "
                            "series: steps x features) or 3-D (sequences x steps x features)")
        if a.size == 0:
            raise DataError(f"{shown}: the array is empty (shape {a.shape})")
        v = _float(a, shown)
        if v.ndim == 1:
            v = v[:, None]
        C = v.shape[-1]
        cols = tuple(str(j) for j in range(C))
        return Numbers(name=name, values=v, columns=cols, usable=(True,) * C,
                       labels=tuple(f"column {j}" for j in range(C)), positions=np.arange(v.shape[0]),
                       unit="steps")
    x, y = arrays["inputs"], arrays["targets"]
    if x.ndim == 2:
        x = x[..., None]
    if x.ndim != 3 or x.size == 0:
        raise DataError(f"{name}[inputs]: expected (sequences, steps) or (sequences, steps, features), got shape {arrays['inputs'].shape}")
    N, T = x.shape[:2]
    if y.shape[:2] != (N, T) or y.ndim not in (2, 3):
        raise DataError(f"{name}[targets]: expected shape ({N}, {T}) (class indices) or ({N}, {T}, outputs) to "
                        f"match inputs {x.shape}, got {y.shape}")
    if y.dtype.kind in "biu":
        if y.ndim != 2:
            raise DataError(f"{name}[targets]: integer targets are class indices and need shape ({N}, {T}), got {y.shape}")
        if y.dtype.kind == "i" and (y < 0).any():
            raise DataError(f"{name}[targets]: class indices must be 0 or more, found {int(y.min())}")
        if int(y.max()) >= 100_000:
            raise DataError(f"{name}[targets]: class index {int(y.max())} is too large (at most 99999 classes)")
        y = y.astype(np.int64)
    else:
        y = _float(y, f"{name}[targets]")
        if y.ndim == 2:
            y = y[..., None]
        if np.isnan(y).any():
            raise DataError(f"{name}[targets]: holds {int(np.isnan(y).sum())} missing (NaN) values; mark steps "
                            "without a target with a mask array instead")
    mask = arrays.get("mask")
    if mask is None:
        mask = np.ones((N, T), dtype=bool)
    else:
        if mask.shape != (N, T):
            raise DataError(f"{name}[mask]: expected shape ({N}, {T}) to match inputs, got {mask.shape}")
        if mask.dtype.kind != "b" and not np.isin(mask, (0, 1)).all():
            raise DataError(f"{name}[mask]: must hold booleans or 0/1, found other values")
        mask = mask.astype(bool)
        if not mask.any():
            raise DataError(f"{name}[mask]: is False everywhere, so no step carries a loss")
    F = x.shape[-1]
    return Numbers(name=name, values=_float(x, f"{name}[inputs]"), columns=tuple(str(j) for j in range(F)),
                   usable=(True,) * F, labels=tuple(f"input {j}" for j in range(F)),
                   positions=np.arange(N), unit="sequences", targets=y, mask=mask)


def read_numbers(path: Path, d: dict) -> Numbers:
    suffix = _suffix(path)
    if suffix in (".csv", ".tsv"):
        return numbers_of_table(read_table(path, d), d)
    if d.get("layout") == "wide":
        raise DataError(f'{display_name(path)}: data.layout = "wide" is for tables (.csv, .tsv); arrays are long already')
    check_file(path)
    arrays = {"series": read_npy(path)} if suffix == ".npy" else read_npz(path)
    return array_numbers(arrays, display_name(path))


def load_file(path: Path, d: dict) -> Dataset:
    """A resolved ``[data]`` table with ``path`` already absolute -> Dataset."""
    if _suffix(path) == ".txt":
        return build_text(read_text_file(path), display_name(path), d)
    return build(read_numbers(path, d), d)


def load_text_source(d: dict, base_dir: Path | None) -> Dataset:
    """``data.source = "text"``: the file at ``data.path``, or the built-in text when it is ""."""
    path = resolve_path(d["path"], base_dir) if d["path"] else DEFAULT_TEXT
    return build_text(read_text_file(path), display_name(path), d)


@dataclass(frozen=True)
class FilePreview:
    """What the app's "Open sequence" dialog shows before training.

    ``kind``: "table" (.csv/.tsv), "series" (1-D/2-D array), "sequences" (3-D or inputs/targets),
    "text". ``columns``/``numeric``: every column and whether it holds numbers (the time column does
    not). ``rows``: the first rows of a table as text. ``missing``: per numeric column, how many
    values are missing and where. ``error``: why the current choices (columns, seq_len, ...) cannot
    train, or None; ``summary`` is then the file's description instead of the dataset's.
    """

    path: str
    kind: str
    summary: str
    columns: tuple[str, ...] = ()
    numeric: tuple[bool, ...] = ()
    header: bool | None = None
    delimiter: str | None = None
    time_column: str | None = None
    rows: tuple[tuple[str, ...], ...] = ()
    shape: tuple[int, ...] = ()
    missing: tuple[mv.MissingColumn, ...] = ()
    missing_text: str = "missing values: none"
    notes: tuple[str, ...] = ()
    error: str | None = None


def inspect_file(path, section: dict | None = None, base_dir: Path | None = None) -> FilePreview:
    """A preview of ``path`` under the options of ``section`` (a ``[data]`` table; keys a file does
    not take are ignored). Raises DataError for anything wrong with the file itself, exactly as
    load_dataset would; mistakes in the choices (columns, seq_len, val_fraction) go to ``error``."""
    keys = {k.name for k in SCHEMAS["file"]}
    given = {k: v for k, v in (section or {}).items() if k in keys}
    given.update(source="file", path=str(path))
    d = resolve_data_section(given)
    p = resolve_path(d["path"], base_dir)
    suffix = _suffix(p)
    name = display_name(p)
    if suffix == ".txt":
        text = read_text_file(p)
        try:
            ds, error = build_text(text, name, d), None
        except DataError as exc:
            ds, error = None, str(exc)
        first = tuple((line,) for line in text.split("\n", 10)[:10])
        summary = ds.summary if ds else f"text: {name}, {len(text)} characters"
        return FilePreview(path=str(p), kind="text", summary=summary, rows=first, shape=(len(text),), error=error)
    table = read_table(p, d) if suffix in (".csv", ".tsv") else None
    src = numbers_of_table(table, d) if table else read_numbers(p, d)
    usable = [j for j, ok in enumerate(src.usable) if ok]
    if src.is_sequences:
        report = [mv.MissingColumn(src.labels[j], int(np.isnan(src.values[..., j]).sum()),
                                   mv.spans(np.flatnonzero(np.isnan(src.values[..., j]).any(axis=1)), "sequences"))
                  for j in usable if np.isnan(src.values[..., j]).any()]
    else:
        report = mv.report(src.values[:, usable], [src.labels[j] for j in usable], src.positions, src.unit)
    try:
        ds, error = build(src, d), None
    except DataError as exc:
        ds, error = None, str(exc)
    shape = tuple(src.values.shape)
    kind = "table" if table else ("sequences" if src.is_sequences else "series")
    if ds is not None:
        summary = ds.summary
    else:
        what = f"{shape[0]} sequences of {shape[1]} steps" if src.is_sequences else f"{shape[0]} time steps"
        summary = "\n".join([f"{name}: {what}, {len(usable)} numeric column(s)", mv.describe(report, d["missing"]),
                             *src.notes])
    return FilePreview(
        path=str(p), kind=kind, summary=summary, columns=src.columns, numeric=tuple(src.usable),
        header=table.header if table else None, delimiter=table.delimiter if table else None,
        time_column=table.columns[table.time_column] if table and table.time_column is not None else None,
        rows=table.preview if table else (), shape=shape, missing=tuple(report),
        missing_text=mv.describe(report, d["missing"]), notes=src.notes, error=error,
    )
