"""One schema for every ``[model]`` and ``[training]`` setting: name, kind, default, bounds, choices,
a one-line doc, whether it applies live, and which optimizer, cell or BPTT mode uses it.

Each setting is declared once, as a field of ModelConfig or TrainingConfig (``setting(...)`` puts
its Setting in the field's metadata). Validation (config.py), ``--set``, the live keys
(live.py), the app's settings panel (ui/controls.py) and the tables in docs/file-formats.md are all
read from here, so adding a key is one ``setting(...)`` line plus the code that uses it. The
choices and bounds the engine defines (cells, activations, inits, optimizers, losses, the maximum
number of layers) come from the engine itself.
"""
from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .errors import ConfigError

__all__ = ["Setting", "setting", "settings_of", "show", "Choice", "Int", "Float", "Bool", "Text", "Name",
           "markdown_table", "check_value", "check_known", "MAX_INT"]

MAX_INT = 2**63 - 1  # what a TOML integer can hold


def show(value: Any) -> str:
    """A value as it would be written in TOML, for messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(show(v) for v in value) + "]"
    return repr(value)


# --- what a value may be: each kind checks and normalises, or returns None -----------------------

@dataclass(frozen=True)
class Choice:
    values: tuple

    @property
    def allowed(self) -> str:
        return ", ".join(show(v) for v in self.values)

    def check(self, value):
        return value if isinstance(value, str) and value in self.values else None


@dataclass(frozen=True)
class Int:
    lo: int
    hi: int | None = None  # None: as large as a TOML integer (MAX_INT)

    @property
    def allowed(self) -> str:
        if self.hi is None:
            return f"an integer >= {self.lo}"
        return f"an integer from {self.lo} to {self.hi}"

    @property
    def top(self) -> int:
        return MAX_INT if self.hi is None else self.hi

    def check(self, value):
        if isinstance(value, bool) or not isinstance(value, int):
            return None
        return value if self.lo <= value <= self.top else None


@dataclass(frozen=True)
class Float:
    lo: float
    hi: float | None = None
    lo_open: bool = False
    hi_open: bool = True

    @property
    def allowed(self) -> str:
        low = f"> {self.lo:g}" if self.lo_open else f">= {self.lo:g}"
        if self.hi is None:
            return f"a finite number {low}"
        return f"a number in {'(' if self.lo_open else '['}{self.lo:g}, {self.hi:g}{')' if self.hi_open else ']'}"

    def check(self, value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return None
        value = float(value)
        if not math.isfinite(value):
            return None
        if value < self.lo or (self.lo_open and value == self.lo):
            return None
        if self.hi is not None and (value > self.hi or (self.hi_open and value == self.hi)):
            return None
        return value


@dataclass(frozen=True)
class Bool:
    allowed: str = "true or false"

    def check(self, value):
        return value if isinstance(value, bool) else None


@dataclass(frozen=True)
class Text:
    allowed: str = "a non-empty string"

    def check(self, value):
        return value if isinstance(value, str) and value.strip() else None


@dataclass(frozen=True)
class Name:
    """A module name of a state dict: any string without surrounding spaces ("" = the top level)."""

    allowed: str = 'a module name such as "encoder.rnn" ("" = top level)'

    def check(self, value):
        return value if isinstance(value, str) and value == value.strip() else None


# --- one setting ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class Setting:
    """One key of ``[section]``.

    ``allows``: a Choice, Int, Float or Bool. ``widget``: how the panel edits it ("choice", "int",
    "float", "log" for values spanning decades, "bool"). ``optional``: None is allowed (left out
    of the file). ``live``: applies from the next update, without a new model. ``when``: the other
    settings it is used with, e.g. ``{"optimizer": ("momentum",)}`` (empty: always used).
    """

    section: str
    name: str
    allows: Any
    default: Any
    label: str
    doc: str
    widget: str
    live: bool = False
    optional: bool = False
    when: Mapping[str, tuple] = dataclasses.field(default_factory=dict)
    note: str = ""  # what the docs table adds to ``allows`` (a rule involving another key)
    filled_by: str = ""  # the key whose file decides this one when it is left out (e.g. "weights")
    fallback: Any = None  # the value it takes when that key is not set either

    @property
    def key(self) -> str:
        return f"{self.section}.{self.name}"

    def check(self, value: Any) -> Any:
        """The value normalised (an int where a float is meant becomes a float), or ConfigError in the
        one message style: ``<key> = <value> is not allowed; allowed: <what>``."""
        if value is None and self.optional:
            return None
        checked = self.allows.check(value)
        if checked is None:
            raise ConfigError(f"{{key}} = {show(value)} is not allowed; allowed: {self.allows.allowed}", self.key)
        return checked

    def used_with(self, values: Mapping[str, Any]) -> bool:
        """True if this setting matters given the section's other ``values``."""
        return all(values.get(k) in allowed for k, allowed in self.when.items())


def setting(allows, default, label: str, doc: str, *, widget: str | None = None, live: bool = False,
            optional: bool = False, when: Mapping[str, tuple] | None = None, note: str = "",
            filled_by: str = ""):
    """A dataclass field that carries its Setting (section and name are filled in by settings_of).

    ``filled_by``: a key (say "weights") whose file decides this setting when it is left out: the
    field then starts as None, so the record can tell "not given" from a value, and ``default``
    becomes the Setting's ``fallback``, the value the record fills in when that key is not set."""
    if widget is None:
        widget = {Choice: "choice", Int: "int", Float: "float", Bool: "bool"}[type(allows)]
    fallback = default if filled_by else None
    default = None if filled_by else default
    meta = Setting("", "", allows, default, label, doc, widget, live, optional or bool(filled_by), dict(when or {}),
                   note, filled_by, fallback)
    return dataclasses.field(default=default, metadata={"setting": meta})


def settings_of(cls, section: str) -> tuple[Setting, ...]:
    """The Settings of a config dataclass, in field order."""
    out = []
    for f in dataclasses.fields(cls):
        meta = f.metadata.get("setting")
        if meta is not None:
            out.append(dataclasses.replace(meta, section=section, name=f.name))
    return tuple(out)


def without_unused(settings: tuple[Setting, ...], table: Mapping[str, Any]) -> dict[str, Any]:
    """``table`` without the optional settings its other values do not use (the one place of rules
    such as "a gated cell takes no activation": ``activation`` is used only ``when`` cell is rnn)."""
    out = dict(table)
    for s in settings:
        if s.optional and s.name in out and not s.used_with(out):
            del out[s.name]
    return out


def check_value(section: str, key: str, value: Any, allows) -> Any:
    """``value`` checked by ``allows`` (a Choice, Int, Float, Bool or Text) for the keys that are no
    Setting ([preset], [compare], [dynamics]); ConfigError in the one message style otherwise."""
    checked = allows.check(value)
    if checked is None:
        raise ConfigError(f"{{key}} = {show(value)} is not allowed; allowed: {allows.allowed}", f"{section}.{key}")
    return checked


def check_known(section: str, table: Mapping, keys) -> None:
    """ConfigError naming the first key of ``table`` that is not one of ``keys``."""
    keys = tuple(keys)
    for key in table:
        if key not in keys:
            raise ConfigError(f"unknown key {{key}}; allowed: {', '.join(keys)}", f"{section}.{key}")


def markdown_table(settings: tuple[Setting, ...]) -> str:
    """The docs table of ``settings`` (docs/file-formats.md holds it between schema markers)."""
    rows = ["| key | default | allowed | applies | meaning |", "|---|---|---|---|---|"]
    for s in settings:
        allowed = s.allows.allowed + (f"; {s.note}" if s.note else "")
        used = "; ".join(f"only with {k} = " + " or ".join(show(v) for v in vs) for k, vs in s.when.items())
        meaning = s.doc + (f" ({used})" if used else "")
        default = "not set" if s.default is None else f"`{show(s.default)}`"
        if s.filled_by:
            default = f"`{show(s.fallback)}` without {s.filled_by}"
        cells = (f"`{s.name}`", default, allowed, "live" if s.live else "on Reset", meaning)
        rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    return "\n".join(rows) + "\n"


def replace_tables(text: str, tables: Mapping[str, str]) -> str:
    """``text`` with each ``<!-- schema:NAME -->`` ... ``<!-- /schema:NAME -->`` block replaced by
    ``tables[NAME]`` (how docs/file-formats.md keeps its tables equal to the schema)."""
    for name, table in tables.items():
        start, end = f"<!-- schema:{name} -->\n", f"<!-- /schema:{name} -->"
        i, j = text.index(start) + len(start), text.index(end)
        text = text[:i] + table + text[j:]
    return text
