"""Experiment TOML read as untrusted input: bounded size, nesting depth and number size.

``read_toml(path)`` and ``parse_toml(text, source)`` give the table ``tomllib`` would, or a
one-line ConfigError naming the file (and the key where there is one). Python's TOML parser
recurses once per nested array or inline table (5,000 of them end in RecursionError) and turns a
5,000-digit integer into a ValueError, so both are bounded before it runs; the result is walked
again for depth (dotted keys nest without brackets) and for integers beyond TOML's 64 bits.
A UTF-8 byte order mark, as Windows editors write it, is accepted.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

from rnn_viz.data.reading import FileProblem, open_regular

from .config import ConfigError

__all__ = ["read_toml", "parse_toml", "parse_value", "MAX_TOML_BYTES", "MAX_TOML_DEPTH", "MAX_NUMBER_CHARS"]

MAX_TOML_BYTES = 1024**2   # the largest preset is 3 KB
MAX_TOML_DEPTH = 16        # an experiment nests 3 deep ([compare.training] and a list)
MAX_NUMBER_CHARS = 400     # the longest float literal with any meaning is ~25 characters
_INT64 = (-(2**63), 2**63 - 1)

# Strings and comments, whose brackets and digits are not TOML structure.
_OPAQUE = re.compile(r'"""(?:[^\\]|\\.)*?"""|\'\'\'.*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|#[^\n]*', re.S)
_NUMBER = re.compile(r"[0-9_.eE+\-xobXOB]{%d,}" % (MAX_NUMBER_CHARS + 1))


def _line_of(text: str, offset: int) -> int:
    return text.count("\n", 0, offset) + 1


def _prescan(text: str, source: str) -> None:
    code = _OPAQUE.sub(lambda m: '""' + "\n" * m.group(0).count("\n"), text)
    depth = deepest = 0
    for m in re.finditer(r"[\[\]{}]", code):
        depth += 1 if m.group(0) in "[{" else -1
        if depth > deepest:
            deepest = depth
            if deepest > MAX_TOML_DEPTH:
                raise ConfigError(f"line {_line_of(code, m.start())}: values nested more than {MAX_TOML_DEPTH} "
                                  "levels deep (arrays or inline tables); an experiment needs 3", source=source)
    m = _NUMBER.search(code)
    if m:
        raise ConfigError(f"line {_line_of(code, m.start())}: a number of {len(m.group(0))} characters; at most "
                          f"{MAX_NUMBER_CHARS} are allowed", source=source)


def _walk(table: dict, source: str) -> None:
    """Depth and integer range of the parsed result, without recursion."""
    stack: list[tuple[str, Any, int]] = [("", table, 0)]
    while stack:
        key, value, depth = stack.pop()
        if depth > MAX_TOML_DEPTH:
            raise ConfigError(f"{key[:80]}...: keys nested more than {MAX_TOML_DEPTH} levels deep", source=source)
        if isinstance(value, dict):
            stack.extend((f"{key}.{k}" if key else str(k), v, depth + 1) for k, v in value.items())
        elif isinstance(value, list):
            stack.extend((f"{key}[{i}]", v, depth + 1) for i, v in enumerate(value))
        elif isinstance(value, int) and not isinstance(value, bool) and not _INT64[0] <= value <= _INT64[1]:
            raise ConfigError(f"{key}: the integer {value} is outside TOML's 64-bit range "
                              f"({_INT64[0]} to {_INT64[1]})", source=source)


def parse_toml(text: str, source: str) -> dict[str, Any]:
    """``tomllib.loads(text)`` within the bounds above; ConfigError naming ``source`` otherwise."""
    text = text.removeprefix("\ufeff")
    _prescan(text, source)
    try:
        table = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message ends with "(at line L, column C)".
        raise ConfigError(f"TOML syntax error: {exc}", source=source) from None
    except (ValueError, RecursionError) as exc:  # what the prescan should have caught first
        raise ConfigError(f"cannot be read as TOML ({' '.join(str(exc).split())[:160]})", source=source) from None
    _walk(table, source)
    return table


_OPEN_WORDS = {
    "missing": "no such file", "folder": "is a directory, not an experiment file",
}


def read_toml(path: str | Path, source: str | None = None) -> dict[str, Any]:
    """An experiment file's table: a regular file of at most MAX_TOML_BYTES, UTF-8 (BOM allowed)."""
    name = str(path) if source is None else source
    try:
        with open_regular(Path(path), name) as f:
            data = f.read(MAX_TOML_BYTES + 1)
    except FileProblem as exc:
        words = _OPEN_WORDS.get(exc.kind)
        raise ConfigError(words or str(exc).removeprefix(f"{name}: "), source=name) from None
    except OSError as exc:
        raise ConfigError(f"cannot read: {exc.strerror or exc}", source=name) from None
    if len(data) > MAX_TOML_BYTES:
        raise ConfigError(f"larger than {MAX_TOML_BYTES // 1024} KB; an experiment file is a few KB of settings",
                          source=name)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"not UTF-8 text (byte {exc.start})", source=name) from None
    return parse_toml(text, name)


def parse_value(text: str, source: str = "--set") -> Any:
    """A ``--set`` value: a TOML literal within the same bounds, or else the bare text as a string
    (``truncated``, ``data/series.csv``)."""
    text = text.strip()
    try:
        return parse_toml(f"v = {text}", source)["v"]
    except ConfigError as exc:
        if "TOML syntax error" in exc.template:
            return text
        raise ConfigError(f"{text[:40]}{'...' if len(text) > 40 else ''}: {exc.template}", source=source) from None
