"""CSV and TSV: one long series, rows are time steps, columns are features.

Rows are numbered as a spreadsheet numbers them (from 1, header included: the file's line number);
columns without a header are numbered from 0.
"""
from __future__ import annotations

import csv
import io
import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone

import numpy as np

from .errors import DataError

MISSING_MARKERS = frozenset({"", "na", "n/a", "nan", "null", "none", "?", "#n/a", "-nan"})
NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# Cells a person meant as numbers but wrote in a form we do not read: decimal commas, infinities.
NEAR_NUMBER = re.compile(r"[+-]?(?:\d+,\d+|\d{1,3}(?:,\d{3})+(?:\.\d*)?|inf|infinity)", re.IGNORECASE)
DATE = re.compile(
    r"\d{4}-\d{1,2}(?:-\d{1,2})?(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?(?:Z|[+-]\d{2}:?\d{2})?"
    r"|\d{4}/\d{1,2}/\d{1,2}(?: \d{1,2}:\d{2}(?::\d{2})?)?"
    r"|\d{1,2}[./-]\d{1,2}[./-]\d{2,4}(?: \d{1,2}:\d{2}(?::\d{2})?)?"
    r"|\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?"
)
TIME_NAMES = frozenset({"date", "time", "datetime", "timestamp", "date_time", "year", "month", "period"})
PREVIEW_ROWS = 10


@dataclass(frozen=True, eq=False)
class Table:
    """A parsed table. ``values`` (n, C) float64 holds every column, NaN where missing and for
    columns that are not numeric; ``numeric[j]`` says which columns hold numbers. ``rows`` (n,) int
    is each data row's line in the file."""

    name: str
    columns: tuple[str, ...]
    header: bool
    delimiter: str
    values: np.ndarray
    numeric: tuple[bool, ...]
    rows: np.ndarray
    time_column: int | None = None
    time_values: tuple[str, ...] = ()
    sub_time_column: int | None = None  # a quarter or month column right after a year column
    sub_time_values: tuple[str, ...] = ()
    text_examples: dict = field(default_factory=dict)  # column -> (row, cell) of a non-numeric column
    preview: tuple[tuple[str, ...], ...] = ()
    notes: tuple[str, ...] = ()

    def label(self, j: int) -> str:
        """How messages name column j: by its header name, else by its index from 0."""
        return f'column "{self.columns[j]}"' if self.header else f"column {j}"


def _kind(cell: str) -> str:
    if cell.lower() in MISSING_MARKERS:
        return "missing"
    if NUMBER.fullmatch(cell):
        return "number"
    if DATE.fullmatch(cell):
        return "date"
    return "text"


def sniff_delimiter(text: str, suffix: str) -> str:
    """The separator of a table: tab for .tsv; for .csv whichever of ; , tab splits the first lines
    into the same number (> 1) of fields, ";" first because it is used where "," is the decimal mark."""
    if suffix == ".tsv":
        return "\t"
    lines = [ln for ln in text.split("\n", 200)[:200] if ln.strip() and not ln.lstrip().startswith("#")][:50]
    for delim in (";", ",", "\t", "|"):
        try:
            counts = {len(r) for r in csv.reader(lines, delimiter=delim)}
        except csv.Error:
            continue
        if len(counts) == 1 and counts.pop() > 1:
            return delim
    return ","


def _records(text: str, delim: str, name: str) -> list[tuple[int, list[str]]]:
    """(line number, stripped cells) of each non-blank, non-comment record."""
    out = []
    reader = csv.reader(io.StringIO(text), delimiter=delim)
    last = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise DataError(f"{name}: row {reader.line_num}: cannot be split into cells ({exc})") from None
        start, last = last + 1, reader.line_num
        cells = [c.strip() for c in cells]
        comment = cells and cells[0].startswith("#") and cells[0].lower() not in MISSING_MARKERS
        if not cells or (len(cells) == 1 and not cells[0]) or comment:
            continue
        out.append((start, cells))
    return out


def parse_table(text: str, name: str, suffix: str, header="auto", delimiter: str = "auto") -> Table:
    """Text of a .csv/.tsv -> Table. Raises DataError for an empty file, only a header, ragged rows
    and a non-numeric cell in a numeric column (naming row, column and cell)."""
    delim = sniff_delimiter(text, suffix) if delimiter == "auto" else delimiter
    records = _records(text, delim, name)
    if not records:
        raise DataError(f"{name}: the file is empty (no rows of data)")
    first_line, first = records[0]
    if header == "auto":
        kinds = [_kind(c) for c in first]
        header = "number" not in kinds and "text" in kinds
    if header:
        names = _header_names(first)
        records = records[1:]
        if not records:
            raise DataError(f"{name}: holds only a header ({', '.join(names)}) and no rows of data")
    else:
        names = [f"column {j}" for j in range(len(first))]
    ncols = len(names)
    rows, cells = [], []
    what = "the header has" if header else f"row {first_line} has"
    for line, rec in records:
        if len(rec) > ncols and not any(rec[ncols:]):
            rec = rec[:ncols]  # trailing separators, as some spreadsheets write them
        if len(rec) != ncols:
            cells_word = "cell" if len(rec) == 1 else "cells"
            raise DataError(f"{name}: row {line} has {len(rec)} {cells_word}, but {what} {ncols}; "
                            "every row needs one cell per column")
        rows.append(line)
        cells.append(rec)
    cols = list(zip(*cells))
    table_kw = dict(name=name, columns=tuple(names), header=bool(header), delimiter=delim, rows=np.asarray(rows))
    probe = Table(values=np.empty((0, 0)), numeric=(), **table_kw)
    time_col = _time_column(cols, names, bool(header))
    sub_col = _sub_time_column(cols, names, bool(header), time_col)
    values = np.full((len(rows), ncols), np.nan)
    numeric, text_examples = [], {}
    for j, col in enumerate(cols):
        if j in (time_col, sub_col):
            numeric.append(False)
            continue
        ok, example = _parse_column(col, values[:, j], rows, probe, j, header_auto=(header is False))
        numeric.append(ok)
        if example is not None:
            text_examples[j] = example
    notes = []
    time_values = tuple(cols[time_col]) if time_col is not None else ()
    if time_col is not None:
        spacing = _spacing_note(time_values, rows, probe.label(time_col))
        if spacing:
            notes.append(spacing)
    preview = tuple(tuple(r) for r in cells[:PREVIEW_ROWS])
    sub_values = tuple(cols[sub_col]) if sub_col is not None else ()
    return Table(values=values, numeric=tuple(numeric), time_column=time_col, time_values=time_values,
                 sub_time_column=sub_col, sub_time_values=sub_values,
                 text_examples=text_examples, preview=preview, notes=tuple(notes), **table_kw)


def _header_names(cells: list[str]) -> list[str]:
    """Header cells -> unique column names: empty ones get their index, repeats a suffix (.1, .2)."""
    names, seen = [], Counter()
    for j, c in enumerate(cells):
        base = c or f"column {j}"
        seen[base] += 1
        names.append(base if seen[base] == 1 else f"{base}.{seen[base] - 1}")
    return names


def _time_column(cols: list, names: list[str], header: bool) -> int | None:
    """Column 0 is the time axis if its cells are dates/times, or its header says so."""
    if len(cols) < 2:
        return None
    kinds = {_kind(c) for c in cols[0]} - {"missing"}
    if kinds == {"date"}:
        return 0
    if header and names[0].strip().lower() in TIME_NAMES:
        return 0
    return None


SUB_PERIODS = {"quarter": 4, "month": 12}


def _sub_time_column(cols: list, names: list[str], header: bool, time_col: int | None) -> int | None:
    """Column 1 is part of the time axis when column 0 is a "year" column and column 1 is named
    "quarter" or "month" and holds whole numbers 1-4 or 1-12."""
    if not header or time_col != 0 or len(cols) < 3 or names[0].strip().lower() != "year":
        return None
    top = SUB_PERIODS.get(names[1].strip().lower())
    if top is None:
        return None
    cells = [c for c in cols[1] if c.lower() not in MISSING_MARKERS]
    if cells and all(c.isdigit() and 1 <= int(c) <= top for c in cells):
        return 1
    return None


def period_stamps(years: tuple[str, ...], subs: tuple[str, ...] | None, kind: str | None,
                  per_row: int = 1) -> np.ndarray | None:
    """Unix seconds of the start of each period: years with their quarter or month (``subs``), or
    ``per_row`` sub-periods per year (a wide table: 12 months or 4 quarters per row). None if a
    year is not a whole number."""
    try:
        year = np.array([int(y) for y in years])
        month = np.array([int(s) for s in subs]) if subs is not None else None
    except ValueError:
        return None
    if month is not None and kind == "quarter":
        month = 3 * (month - 1) + 1
    out = []
    for i, y in enumerate(year):
        for k in range(per_row):
            m = int(month[i]) if month is not None else 1 + k * (12 // per_row)
            try:
                out.append(datetime(int(y), m, 1, tzinfo=timezone.utc).timestamp())
            except (ValueError, OverflowError):
                return None
    return np.array(out, dtype=np.float64)


def _parse_column(col, out: np.ndarray, rows: list[int], table: Table, j: int, header_auto: bool):
    """Fill ``out`` (n,) with column j's numbers (NaN where missing). Returns (is_numeric, example)
    where example = (row, cell) of a column with no numbers at all, which is left out, not an error."""
    bad = None
    numbers = 0
    meant_number = False
    for i, cell in enumerate(col):
        low = cell.lower()
        if low in MISSING_MARKERS:
            continue
        if NUMBER.fullmatch(cell):
            v = float(cell)
            if v in (np.inf, -np.inf):
                raise DataError(f"{table.name}: row {rows[i]}, {table.label(j)}: \"{cell}\" is too large for a number")
            out[i] = v
            numbers += 1
        elif bad is None:
            bad = (i, cell)
            meant_number = bool(NEAR_NUMBER.fullmatch(cell))
        elif not meant_number and NEAR_NUMBER.fullmatch(cell):
            meant_number = True
    if bad is None:
        return True, None
    if numbers == 0 and not meant_number:
        return False, (rows[bad[0]], bad[1])
    i, cell = bad
    hint = ""
    if NEAR_NUMBER.fullmatch(cell):
        hint = " (write numbers with a decimal point and no thousands separators, e.g. 12.5)"
    elif i == 0 and header_auto:
        hint = " (if this row is a header, set data.header = true)"
    raise DataError(f'{table.name}: row {rows[i]}, {table.label(j)}: "{_clip(cell)}" is not a number{hint}')


def _clip(cell: str, n: int = 40) -> str:
    return cell if len(cell) <= n else cell[: n - 3] + "..."


def time_stamps(values: tuple[str, ...]) -> np.ndarray | None:
    """ISO dates/times -> (n,) float64 Unix seconds (naive times read as UTC), or None if any cell is
    not one (a missing cell, a time column named "time" holding numbers)."""
    try:
        return np.array([_utc(datetime.fromisoformat(v)).timestamp() for v in values], dtype=np.float64)
    except (ValueError, TypeError, OverflowError, OSError):
        return None


def _spacing_note(values: tuple[str, ...], rows: list[int], label: str) -> str | None:
    """A note when ISO dates/times in the time column are not evenly spaced (gaps in the record)."""
    stamps = time_stamps(values)
    if stamps is None:
        return None
    if len(stamps) < 3:
        return None
    steps = np.diff(stamps)
    if np.any(steps <= 0):
        k = int(np.argmax(steps <= 0))
        return f"{label}: times do not increase at row {rows[k + 1]} ({values[k + 1]} after {values[k]})"
    common = Counter(steps.tolist()).most_common(1)[0][0]
    gaps = np.flatnonzero(steps != common)
    if gaps.size == 0:
        return None
    k = int(gaps[0])
    return (f"{label}: time steps are not evenly spaced: {gaps.size} step(s) differ from the usual "
            f"{_duration(common)}, first between {values[k]} and {values[k + 1]} (rows {rows[k]}-{rows[k + 1]}); "
            "rows are used as consecutive steps")


def _utc(dt: datetime) -> datetime:
    # Naive times read as UTC, so a daylight-saving change in the local zone is not seen as a gap.
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt


def _duration(seconds: float) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            n = int(seconds // size)
            return f"{n} {unit}" + ("s" if n != 1 else "")
    return f"{seconds:g} s"
