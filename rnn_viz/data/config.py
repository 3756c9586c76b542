"""The ``[data]`` table of an experiment file: every key, its default and what it allows.

``resolve_data_section`` is pure (no file I/O): it checks the keys and values a user wrote and fills
in the defaults of the chosen source, so the resolved table says everything the data depends on.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import DataError

DATA_SOURCES = ("sine", "adding", "copy", "temporal_order", "impulse", "flip_flop", "text", "file")
MISSING_POLICIES = ("interpolate", "ffill", "drop")
DELIMITERS = ("auto", ",", ";", "\t", "|")
LAYOUTS = ("long", "wide")
MAX_SEQ_LEN = 100_000
MAX_BATCH = 65_536
# Letters name the copy task's symbols, so the alphabet cannot outgrow them.
MAX_ALPHABET = 26


@dataclass(frozen=True)
class Key:
    """One documented key: ``kind`` is int, float, bool, str, choice, header or columns."""

    name: str
    kind: str
    default: Any
    lo: float | None = None
    hi: float | None = None
    choices: tuple = ()
    doc: str = ""


def _common(seq_len: int | None) -> list[Key]:
    return [
        Key("source", "choice", "sine", choices=DATA_SOURCES, doc="which task or file kind"),
        Key("seq_len", "int", seq_len, 1, MAX_SEQ_LEN, doc="time steps T of each training sequence"),
        Key("batch_size", "int", 32, 1, MAX_BATCH, doc="sequences per training batch"),
    ]


_VAL_SIZE = Key("val_size", "int", 256, 0, 65_536, doc="sequences in the fixed validation batch (0 = none)")

SCHEMAS: dict[str, list[Key]] = {
    "sine": _common(50) + [
        Key("components", "int", 2, 1, 16, doc="number of sines summed in each sequence"),
        Key("min_period", "float", 8.0, 2.0, 1e6, doc="shortest period, in time steps"),
        Key("max_period", "float", 40.0, 2.0, 1e6, doc="longest period, in time steps"),
        Key("noise", "float", 0.05, 0.0, 10.0, doc="standard deviation of the added Gaussian noise"),
        Key("amplitude", "float", 1.0, 0.0, 1e6, doc="scale of the whole signal, noise included (1 = as drawn)"),
        _VAL_SIZE,
    ],
    "adding": _common(100) + [_VAL_SIZE],
    "copy": _common(None) + [
        Key("length", "int", 5, 1, 1000, doc="symbols to remember"),
        Key("alphabet", "int", 8, 2, MAX_ALPHABET, doc="distinct symbols (classes)"),
        Key("delay", "int", 10, 0, MAX_SEQ_LEN, doc="blank steps between the string and its recall"),
        _VAL_SIZE,
    ],
    "temporal_order": _common(100) + [
        Key("distractors", "int", 4, 1, 64, doc="distinct noise symbols between the two relevant ones"),
        _VAL_SIZE,
    ],
    "impulse": _common(100) + [_VAL_SIZE],
    "flip_flop": _common(100) + [
        Key("bits", "int", 3, 1, 16, doc="input channels, each a memory bit"),
        Key("pulse_probability", "float", 0.05, 0.0, 1.0, doc="chance of a +-1 pulse per channel and step"),
        _VAL_SIZE,
    ],
    "text": _common(50) + [
        Key("path", "str", "", doc='text file; "" = the built-in text'),
        Key("val_fraction", "float", 0.1, 0.0, 0.9, doc="last part of the text held out for validation"),
    ],
    "file": _common(50) + [
        Key("path", "str", None, doc="the file (.csv, .tsv, .npy, .npz, .txt), relative to the experiment file"),
        Key("inputs", "columns", [], doc="input columns by name or index from 0 ([] = every numeric column)"),
        Key("targets", "columns", [], doc="target columns ([] = the input columns)"),
        Key("horizon", "int", 1, 0, 10_000, doc="predict the targets this many steps ahead"),
        Key("stride", "int", 1, 1, MAX_SEQ_LEN, doc="steps between the starts of training windows"),
        Key("val_fraction", "float", 0.2, 0.0, 0.9, doc="last part held out for validation (chronological)"),
        Key("missing", "choice", "interpolate", choices=MISSING_POLICIES, doc="how to fill missing values"),
        Key("normalize", "bool", True, doc="z-score each column with statistics of the training split"),
        Key("header", "header", "auto", doc='"auto", true or false: is the first row of a table a header?'),
        Key("delimiter", "choice", "auto", choices=DELIMITERS, doc='table separator ("auto": by extension and content)'),
        Key("layout", "choice", "long", choices=LAYOUTS,
            doc='"long": rows are steps; "wide": a period per row, sub-periods as columns, read row by row'),
    ],
}

MIN_SEQ_LEN = {"adding": 2, "temporal_order": 10}

# Keys a task derives from others (source -> {derived key: the keys it follows}); the one place
# the copy task's rule T = length + delay + length is stated: validation below applies it, the
# settings panel greys the derived key out and drops it when one of its inputs is edited.
DERIVED_KEYS: dict[str, dict[str, tuple[str, ...]]] = {"copy": {"seq_len": ("length", "delay")}}


def derived_keys(source: str | None) -> dict[str, tuple[str, ...]]:
    """{derived key: the keys it is computed from} for the task ``source`` (empty for most)."""
    return DERIVED_KEYS.get(source or "", {})


def _show(value: Any) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\t", "\\t") + '"'
    return repr(value)


def _range(key: Key) -> str:
    lo = int(key.lo) if key.kind == "int" else key.lo
    hi = int(key.hi) if key.kind == "int" else key.hi
    return f"from {lo} to {hi}"


def _bad(key: Key, value: Any, allowed: str) -> DataError:
    # The message style of every setting (as rnn_viz.experiment.schema words it):
    # "<key> = <value> is not allowed; allowed: <what>".
    return DataError(f"data.{key.name} = {_show(value)} is not allowed; allowed: {allowed}")


def _check(key: Key, value: Any) -> Any:
    where = f"data.{key.name}"
    if key.kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            if isinstance(value, float) and value.is_integer():
                value = int(value)
            else:
                raise _bad(key, value, f"a whole number {_range(key)}")
        if not key.lo <= value <= key.hi:
            raise _bad(key, value, f"a whole number {_range(key)}")
        return value
    if key.kind == "float":
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise _bad(key, value, f"a number {_range(key)}")
        if not key.lo <= value <= key.hi:
            raise _bad(key, value, f"a number {_range(key)}")
        return float(value)
    if key.kind == "bool":
        if not isinstance(value, bool):
            raise _bad(key, value, "true or false")
        return value
    if key.kind == "str":
        if not isinstance(value, str):
            raise _bad(key, value, "a file path in quotes")
        return value
    if key.kind == "choice":
        if value not in key.choices:
            raise _bad(key, value, ", ".join(_show(c) for c in key.choices))
        return value
    if key.kind == "header":
        if isinstance(value, bool) or value == "auto":
            return value
        raise _bad(key, value, '"auto", true or false')
    if key.kind == "columns":
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            value = [value]
        if not isinstance(value, (list, tuple)):
            raise _bad(key, value, "a list of column names or indices from 0")
        out = []
        for item in value:
            if isinstance(item, bool) or not isinstance(item, (str, int)) or (isinstance(item, int) and item < 0):
                raise DataError(f"{where}: {_show(item)} is not a column name or an index from 0")
            if item in out:
                raise DataError(f"{where}: column {_show(item)} is listed twice")
            out.append(item)
        return out
    raise AssertionError(key.kind)  # a schema typo, not a user error


def resolve_data_section(section: Mapping[str, Any] | None) -> dict[str, Any]:
    """The ``[data]`` table -> a new dict with every key of its source, defaults filled in.

    Raises DataError naming ``data.<key>`` and what it allows for an unknown key or a bad value.
    Idempotent: resolving a resolved table gives the same table.
    """
    if section is None:
        section = {}
    if not isinstance(section, Mapping):
        raise DataError(f"[data] must be a table of keys, got {_show(section)}")
    source = section.get("source", "sine")
    if source not in DATA_SOURCES:
        allowed = ", ".join(_show(s) for s in DATA_SOURCES)
        raise DataError(f"data.source: unknown source {_show(source)}; allowed: {allowed}")
    schema = {k.name: k for k in SCHEMAS[source]}
    for name in section:
        if name not in schema:
            known = ", ".join(schema)
            where = "data." + str(name)
            raise DataError(f'{where}: not a key of data.source = "{source}"; its keys are: {known}')
    out: dict[str, Any] = {}
    for name, key in schema.items():
        if name in section:
            out[name] = _check(key, section[name])
        elif key.default is None and name == "path":
            raise DataError(f'data.path: required for data.source = "file" (a .csv, .tsv, .npy, .npz or .txt file)')
        else:
            out[name] = list(key.default) if isinstance(key.default, list) else key.default
    if source == "file" and not out["path"].strip():
        raise DataError('data.path: required for data.source = "file" (a .csv, .tsv, .npy, .npz or .txt file)')
    lo = MIN_SEQ_LEN.get(source)
    if lo is not None and out["seq_len"] < lo:
        raise DataError(f'data.seq_len: the {source} task needs at least {lo} steps, got {out["seq_len"]}')
    if source == "sine" and out["min_period"] > out["max_period"]:
        raise DataError(
            f"data.min_period: {out['min_period']} is longer than data.max_period = {out['max_period']}; "
            "the shortest period must not exceed the longest"
        )
    if "seq_len" in derived_keys(source):
        _resolve_copy_length(section, out)
    return out


def _resolve_copy_length(section: Mapping[str, Any], out: dict[str, Any]) -> None:
    """T = length + delay + length. seq_len is derived; given alone it sets the delay instead."""
    length = out["length"]
    if "seq_len" in section and "delay" not in section:
        delay = out["seq_len"] - 2 * length
        if delay < 0:
            raise DataError(
                f"data.seq_len: the copy task needs seq_len = length + delay + length, at least "
                f"2 * {length} = {2 * length} for data.length = {length}; got {out['seq_len']}"
            )
        out["delay"] = delay
    total = 2 * length + out["delay"]
    if total > MAX_SEQ_LEN:
        raise DataError(f"data.delay: length + delay + length = {total} exceeds the longest sequence, {MAX_SEQ_LEN}")
    if "seq_len" in section and out["seq_len"] != total:
        raise DataError(
            f"data.seq_len: for the copy task seq_len = length + delay + length = {length} + {out['delay']} + "
            f"{length} = {total}, but data.seq_len = {out['seq_len']}; leave data.seq_len out or set it to {total}"
        )
    out["seq_len"] = total
