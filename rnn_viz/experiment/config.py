"""The experiment file: TOML <-> frozen, validated dataclasses.

An experiment has the tables ``[data]`` (validated by the data layer), ``[model]``, ``[training]``,
optionally ``[preset]`` (a guided experiment's title and explanation) and ``[compare]`` (overrides for a
second run). Every key, its default and what it allows is listed in docs/file-formats.md. A bad key
or value raises :class:`ConfigError`, whose message names the file, the key and what is allowed.
"""
from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import tomli_w

from rnn_viz.data import DataError, resolve_data_section

__all__ = [
    "ConfigError", "ExperimentConfig", "ModelConfig", "TrainingConfig", "PresetConfig", "FrozenDict",
    "load_config", "config_from_dict", "to_dict", "to_toml", "to_json", "from_json",
    "apply_overrides", "compare_config", "compare_label", "default_config", "SECTIONS",
]

SECTIONS = ("preset", "data", "model", "training", "compare")
GATED_CELLS = ("lstm", "gru")


class ConfigError(ValueError):
    """A bad experiment: unknown key, bad value or unreadable file.

    ``key`` is the dotted key at fault (``"training.k2"``) or None; ``source`` the file (or ``--set``).
    The message template holds ``{key}`` where the key goes, so a ``[compare]`` error can name
    ``compare.training.k2`` although it was found while validating the merged ``training`` table.
    """

    def __init__(self, template: str, key: str | None = None, source: str | None = None):
        self.template, self.key, self.source = template, key, source
        text = template.replace("{key}", key or "")
        super().__init__(f"{source}: {text}" if source else text)

    def located(self, source: str | None = None, prefix: str = "") -> ConfigError:
        """The same error attributed to ``source`` with ``prefix`` put before the key."""
        key = prefix + self.key if self.key is not None else None
        return ConfigError(self.template, key, source if source is not None else self.source)


class FrozenDict(dict):
    """A read-only dict (nested tables frozen too): a config can be shared by threads and still be
    handed to code that expects a plain ``dict`` (json, tomli_w, ``dict(...)``)."""

    def __init__(self, *args, **kwargs):
        items = dict(*args, **kwargs)
        super().__init__({k: FrozenDict(v) if isinstance(v, Mapping) else v for k, v in items.items()})

    def _read_only(self, *args, **kwargs):
        raise TypeError("experiment settings are read-only; use dataclasses.replace or apply_overrides")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = _read_only
    __ior__ = _read_only

    def __reduce__(self):
        return (FrozenDict, (_thaw(self),))

    def __copy__(self):
        return self

    def __deepcopy__(self, memo):
        return self


def _thaw(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {k: _thaw(v) for k, v in value.items()}
    return value


# --- what each key allows ------------------------------------------------------------------------

def _show(value: Any) -> str:
    """A value as it would be written in TOML, for messages."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Mapping):
        return "a table"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    return repr(value)


@dataclass(frozen=True)
class _Choice:
    values: tuple[str, ...]

    @property
    def allowed(self) -> str:
        return ", ".join(_show(v) for v in self.values)

    def check(self, value):
        if isinstance(value, str) and value in self.values:
            return value
        return None


@dataclass(frozen=True)
class _Int:
    lo: int
    hi: int | None = None

    @property
    def allowed(self) -> str:
        if self.hi is None:
            return f"an integer >= {self.lo}"
        return f"an integer from {self.lo} to {self.hi}"

    def check(self, value):
        if isinstance(value, bool) or not isinstance(value, int):
            return None
        if value < self.lo or (self.hi is not None and value > self.hi):
            return None
        return value


@dataclass(frozen=True)
class _Float:
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
class _Text:
    allowed: str = "a non-empty string"

    def check(self, value):
        return value if isinstance(value, str) and value.strip() else None


@dataclass(frozen=True)
class _Name:
    allowed: str = 'a module name such as "encoder.rnn" ("" = top level)'

    def check(self, value):
        return value if isinstance(value, str) and value == value.strip() else None


@dataclass(frozen=True)
class _Bool:
    allowed: str = "true or false"

    def check(self, value):
        return value if isinstance(value, bool) else None


_UNIT = _Float(0.0, 1.0)  # [0, 1): momentum-like coefficients

MODEL_KEYS: dict[str, Any] = {
    "cell": _Choice(("rnn", "lstm", "gru")),
    "activation": _Choice(("tanh", "relu", "linear")),
    "hidden_size": _Int(1, 4096),
    "num_layers": _Int(1, 4),
    "init": _Choice(("orthogonal", "gaussian", "identity")),
    "spectral_radius": _Float(0.0),
    "bias": _Bool(),
    "weights": _Text("a path to a .safetensors, .pt, .pth or .npz state dict"),
    "weights_module": _Name(),
    "readout_module": _Name('a Linear module name such as "head" ("" = top level, "none" = a fresh readout)'),
}
# Keys a weights file decides: left out, they come from its shapes (see experiment/torch_map.py).
FROM_WEIGHTS = ("cell", "activation", "hidden_size", "num_layers", "bias")
WEIGHTS_ONLY = ("weights_module", "readout_module")
NOT_WITH_WEIGHTS = ("init", "spectral_radius")
TRAIN_CHOICES = ("all", "readout")

TRAINING_KEYS: dict[str, Any] = {
    "bptt": _Choice(("full", "truncated")),
    "k1": _Int(1),
    "k2": _Int(1),
    "optimizer": _Choice(("sgd", "momentum", "adam", "rmsprop")),
    "learning_rate": _Float(0.0, lo_open=True),
    "momentum": _UNIT,
    "beta1": _UNIT,
    "beta2": _UNIT,
    "eps": _Float(0.0, lo_open=True),
    "decay": _UNIT,
    "clip_norm": _Float(0.0),
    "clip_value": _Float(0.0),
    "loss": _Choice(("auto", "mse", "cross_entropy")),
    "seed": _Int(0, 2**63 - 1),
    "dtype": _Choice(("float64", "float32")),
    "flow_sample": _Int(0),
    "val_every": _Int(1),
    "train": _Choice(TRAIN_CHOICES),
}

PRESET_KEYS: dict[str, Any] = {
    "title": _Text(),
    "explanation": _Text(),
    "look_at": _Text(),
    "equation": _Text(),
}


def _check(section: str, key: str, value: Any, spec) -> Any:
    checked = spec.check(value)
    if checked is None:
        raise ConfigError(f"{{key}} = {_show(value)} is not allowed; allowed: {spec.allowed}", f"{section}.{key}")
    return checked


def _validate_fields(obj, section: str, specs: Mapping[str, Any], skip_none: bool = False) -> None:
    """Check and normalise (int -> float where a float is meant) every field of a frozen dataclass."""
    for f in fields(obj):
        value = getattr(obj, f.name)
        if skip_none and value is None:
            continue
        object.__setattr__(obj, f.name, _check(section, f.name, value, specs[f.name]))


# --- the records ---------------------------------------------------------------------------------

@dataclass(frozen=True)
class ModelConfig:
    """``[model]``. ``activation`` is the rnn cell's nonlinearity ("tanh" when not given) and None
    for lstm/gru, whose nonlinearities are fixed; giving one for a gated cell is an error.

    With ``weights`` (a PyTorch state dict), the keys of FROM_WEIGHTS left out stay None until the
    trainer reads the file and fills them in from its shapes; ``init``/``spectral_radius`` are then
    not allowed. Without it they take their defaults (rnn, 32 units, 1 layer, orthogonal, 1.0).
    ``bias`` None means true (left out of the written file); false holds every bias at 0, untrained."""

    cell: str | None = None
    activation: str | None = None
    hidden_size: int | None = None
    num_layers: int | None = None
    init: str | None = None
    spectral_radius: float | None = None
    bias: bool | None = None
    weights: str | None = None
    weights_module: str | None = None
    readout_module: str | None = None

    def __post_init__(self):
        _validate_fields(self, "model", MODEL_KEYS, skip_none=True)
        if self.weights is not None:
            for key in NOT_WITH_WEIGHTS:
                if getattr(self, key) is not None:
                    raise ConfigError(f"{{key}} cannot be used with model.weights (the weights file holds the "
                                      "trained recurrent matrices); leave it out", f"model.{key}")
        else:
            for key in WEIGHTS_ONLY:
                if getattr(self, key) is not None:
                    raise ConfigError("{key} needs model.weights (a state dict to choose the module from)",
                                      f"model.{key}")
            for key, default in (("cell", "rnn"), ("hidden_size", 32), ("num_layers", 1), ("init", "orthogonal"),
                                 ("spectral_radius", 1.0)):
                if getattr(self, key) is None:
                    object.__setattr__(self, key, default)
        if self.cell is None:
            return
        if self.cell in GATED_CELLS and self.activation is not None:
            raise ConfigError(
                f"{{key}} = {_show(self.activation)} is not allowed for model.cell = {_show(self.cell)}; "
                "allowed: only for cell \"rnn\" (lstm and gru have fixed nonlinearities), so leave it out",
                "model.activation",
            )
        if self.cell == "rnn" and self.activation is None:
            object.__setattr__(self, "activation", "tanh")


@dataclass(frozen=True)
class TrainingConfig:
    """``[training]``: BPTT mode, optimiser, clipping, loss, seed and bookkeeping.

    ``clip_norm``/``clip_value`` of 0 mean off; ``loss = "auto"`` takes the task's loss (an explicit
    loss the task cannot take is rejected when the dataset is built); ``flow_sample`` is the batch
    sample the flow matrix and Jacobian norms are for; ``val_every`` counts updates."""

    bptt: str = "full"
    k1: int = 1
    k2: int = 5
    optimizer: str = "adam"
    learning_rate: float = 0.01
    momentum: float = 0.9
    beta1: float = 0.9
    beta2: float = 0.999
    eps: float = 1e-8
    decay: float = 0.99
    clip_norm: float = 0.0
    clip_value: float = 0.0
    loss: str = "auto"
    seed: int = 0
    dtype: str = "float64"
    flow_sample: int = 0
    val_every: int = 10
    train: str = "all"

    def __post_init__(self):
        _validate_fields(self, "training", TRAINING_KEYS)
        if self.k1 > self.k2:
            raise ConfigError(
                f"{{key}} = {self.k1} is not allowed with training.k2 = {self.k2}; "
                "allowed: 1 <= k1 <= k2", "training.k1")


@dataclass(frozen=True)
class PresetConfig:
    """``[preset]``: a guided experiment's title and explanation (what to look at, the equation)."""

    title: str
    explanation: str
    look_at: str | None = None
    equation: str | None = None

    def __post_init__(self):
        _validate_fields(self, "preset", PRESET_KEYS, skip_none=True)


@dataclass(frozen=True)
class ExperimentConfig:
    """One experiment. ``data`` is the resolved ``[data]`` table (read-only), ``compare`` the raw
    ``[compare]`` overrides (read-only; see :func:`compare_config`) or None."""

    data: Mapping[str, Any]
    model: ModelConfig = field(default_factory=ModelConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    preset: PresetConfig | None = None
    compare: Mapping[str, Any] | None = None

    def __post_init__(self):
        object.__setattr__(self, "data", FrozenDict(self.data))
        if self.compare is not None:
            object.__setattr__(self, "compare", FrozenDict(self.compare))


# --- dict <-> records ----------------------------------------------------------------------------

def _table(d: Mapping, name: str) -> Mapping:
    value = d.get(name, {})
    if not isinstance(value, Mapping):
        raise ConfigError(f"{{key}} = {_show(value)} is not allowed; allowed: a table", name)
    return value


def _known(section: str, table: Mapping, specs: Iterable[str]) -> None:
    specs = tuple(specs)
    for key in table:
        if key not in specs:
            raise ConfigError(f"unknown key {{key}}; allowed: {', '.join(specs)}", f"{section}.{key}")


def _resolve_data(table: Mapping) -> dict:
    try:
        return dict(resolve_data_section(_thaw(table)))
    except DataError as exc:
        # The data layer's message already names the key (data.<key>) and what it allows.
        raise ConfigError(str(exc)) from exc


def _build(d: Mapping, check_compare: bool) -> ExperimentConfig:
    if not isinstance(d, Mapping):
        raise ConfigError("an experiment must be a table of sections; allowed: " + _sections_text())
    for name in d:
        if name not in SECTIONS:
            raise ConfigError(f"unknown section [{name}]; allowed: {_sections_text()}")
    model_t, training_t = _table(d, "model"), _table(d, "training")
    _known("model", model_t, MODEL_KEYS)
    _known("training", training_t, TRAINING_KEYS)
    model = ModelConfig(**model_t)
    training = TrainingConfig(**training_t)
    data = _resolve_data(_table(d, "data"))
    batch = data.get("batch_size")
    if isinstance(batch, int) and training.flow_sample >= batch:
        raise ConfigError(f"{{key}} = {training.flow_sample} is not allowed with data.batch_size = {batch}; "
                          f"allowed: an integer from 0 to {batch - 1}", "training.flow_sample")
    preset = None
    if "preset" in d:
        preset_t = _table(d, "preset")
        _known("preset", preset_t, PRESET_KEYS)
        for required in ("title", "explanation"):
            if required not in preset_t:
                raise ConfigError(f"{{key}} is missing; allowed: {PRESET_KEYS[required].allowed}",
                                  f"preset.{required}")
        preset = PresetConfig(**preset_t)
    compare = None
    if "compare" in d:
        compare = _table(d, "compare")
        _known("compare", compare, ("label", "data", "model", "training"))
        if "label" in compare:
            _check("compare", "label", compare["label"], _Text())
        for name in ("data", "model", "training"):
            try:
                _table(compare, name)
            except ConfigError as exc:
                raise exc.located(prefix="compare.") from None
    cfg = ExperimentConfig(data=data, model=model, training=training, preset=preset, compare=compare)
    if check_compare and compare is not None:
        compare_config(cfg)
    return cfg


def _sections_text() -> str:
    return ", ".join(f"[{s}]" for s in SECTIONS)


def config_from_dict(d: Mapping[str, Any], source: str = "<experiment>") -> ExperimentConfig:
    """Validate a parsed experiment (sections as nested dicts) into an :class:`ExperimentConfig`.

    Missing keys take their defaults; ``[compare]`` is checked by building run B from it.
    Raises ConfigError naming ``source``, the key and what is allowed.
    """
    try:
        return _build(d, check_compare=True)
    except ConfigError as exc:
        raise exc.located(source) from exc.__cause__


def to_dict(cfg: ExperimentConfig) -> dict[str, Any]:
    """Plain nested dicts, sections in file order, unset optional keys left out."""
    out: dict[str, Any] = {}
    if cfg.preset is not None:
        out["preset"] = {f.name: getattr(cfg.preset, f.name) for f in fields(cfg.preset)
                         if getattr(cfg.preset, f.name) is not None}
    out["data"] = _thaw(cfg.data)
    out["model"] = {f.name: getattr(cfg.model, f.name) for f in fields(cfg.model)
                    if getattr(cfg.model, f.name) is not None}
    out["training"] = {f.name: getattr(cfg.training, f.name) for f in fields(cfg.training)}
    if cfg.compare is not None:
        out["compare"] = _thaw(cfg.compare)
    return out


def to_toml(cfg: ExperimentConfig) -> str:
    """The experiment as TOML text; ``load_config`` of it gives back an equal config."""
    return tomli_w.dumps(to_dict(cfg))


def to_json(cfg: ExperimentConfig) -> str:
    """The experiment as one line of JSON (stored as ``config`` in trace.npz and checkpoints)."""
    return json.dumps(to_dict(cfg), ensure_ascii=False)


def from_json(text: str, source: str = "<json>") -> ExperimentConfig:
    """Inverse of :func:`to_json`; raises ConfigError naming ``source`` for bad JSON or settings."""
    try:
        d = json.loads(text)
    except (TypeError, ValueError, RecursionError) as exc:  # callers reading files bound it first (data/archive.py)
        raise ConfigError(f"the stored experiment is not valid JSON ({exc})", source=source) from None
    return config_from_dict(d, source)


def load_config(path: str | Path) -> ExperimentConfig:
    """Read and validate an experiment TOML file.

    Raises ConfigError naming the file: unreadable file, TOML syntax error (with line and column),
    unknown key or bad value (with the key and what is allowed).
    """
    from .tomlfile import read_toml  # bounded size, depth and numbers; imports this module

    name = str(path)
    d = read_toml(path, name)
    return _weights_from_folder(config_from_dict(d, name), Path(path).parent)


def _weights_from_folder(cfg: ExperimentConfig, folder: Path) -> ExperimentConfig:
    """``model.weights`` is relative to the experiment file: made absolute as soon as it is read, so
    whoever builds the run (CLI, app, notebook, a test) reads the file the experiment means."""
    raw = cfg.model.weights
    if raw is None or Path(raw).expanduser().is_absolute():
        return cfg
    model = replace(cfg.model, weights=str((folder / Path(raw).expanduser()).resolve()))
    return replace(cfg, model=model)


# --- overrides and the second run ----------------------------------------------------------------

def _merge(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``base`` (a :func:`to_dict`) with ``over``'s keys replaced, section by section.

    Two keys depend on others: a new ``data.source`` starts its table afresh (the old task's keys
    mean nothing to the new one), and a new ``model.cell`` drops the old activation unless one is
    given (gated cells take none; a vanilla rnn falls back to tanh).
    """
    merged = {k: _thaw(v) for k, v in base.items()}
    for section, table in over.items():
        if not isinstance(table, Mapping) or not isinstance(merged.get(section, {}), Mapping):
            merged[section] = _thaw(table)
            continue
        old = merged.get(section, {})
        if section == "data" and "source" in table and table["source"] != old.get("source"):
            old = {}
        if section == "data" and old.get("source") == "copy":
            # The copy task's seq_len is length + delay + length: whichever side was not given is
            # recomputed by the data layer, so the base's stale value must not contradict it.
            if ("length" in table or "delay" in table) and "seq_len" not in table:
                old = {k: v for k, v in old.items() if k != "seq_len"}
            elif "seq_len" in table and "delay" not in table:
                old = {k: v for k, v in old.items() if k != "delay"}
        if section == "model" and "cell" in table and "activation" not in table:
            old = {k: v for k, v in old.items() if k != "activation"}
        if section == "model" and table.get("weights") not in (None, old.get("weights")):
            # New weights define the architecture: the old model's keys (its defaults included)
            # would contradict them. Only what is given with them is compared with the file.
            old = {}
        if section == "compare":
            merged[section] = _merge(old, table)
            continue
        merged[section] = {**old, **_thaw(table)}
    return merged


def _parse_value(text: str) -> Any:
    from .tomlfile import parse_value  # a TOML literal within bounds, or a bare word such as truncated

    return parse_value(text)


def apply_overrides(cfg: ExperimentConfig, assignments: Iterable[str], source: str = "--set") -> ExperimentConfig:
    """``cfg`` with ``section.key=value`` assignments applied (``--set`` syntax), validated.

    Values are TOML literals (``10``, ``1e-3``, ``true``, ``"text"``) or else bare strings. Keys may
    reach into ``[compare]``: ``compare.training.bptt=truncated``, ``compare.label="B"``.
    """
    over: dict[str, Any] = {}
    for item in assignments:
        key, sep, value = item.partition("=")
        parts = [p.strip() for p in key.split(".")]
        if not sep or len(parts) < 2 or not all(parts):
            raise ConfigError(f"{_show(item)} is not allowed; allowed: section.key=value, "
                              "e.g. training.k2=10", source=source)
        if parts[0] not in SECTIONS:
            raise ConfigError(f"unknown section [{parts[0]}] in {_show(item)}; allowed: {_sections_text()}",
                              source=source)
        node = over
        for part in parts[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError(f"{_show(item)} sets a key inside a value", source=source)
        node[parts[-1]] = _parse_value(value)
    if not over:
        return cfg
    return config_from_dict(_merge(to_dict(cfg), over), source)


def compare_config(cfg: ExperimentConfig, source: str | None = None) -> ExperimentConfig | None:
    """Run B of a ``[compare]`` experiment: the main settings with its overrides applied (no preset,
    no compare of its own), or None without a ``[compare]`` section. Errors name ``compare.<key>``."""
    if cfg.compare is None:
        return None
    over = {k: v for k, v in cfg.compare.items() if k != "label"}
    base = {k: v for k, v in to_dict(cfg).items() if k in ("data", "model", "training")}
    try:
        return _build(_merge(base, over), check_compare=False)
    except ConfigError as exc:
        if exc.key is None:
            raise ConfigError("[compare] " + exc.template, None, source) from exc.__cause__
        raise exc.located(source, prefix="compare.") from exc.__cause__


def compare_label(cfg: ExperimentConfig) -> str | None:
    """The ``[compare]`` run's label, or a short description of what it changes."""
    if cfg.compare is None:
        return None
    if "label" in cfg.compare:
        return cfg.compare["label"]
    changes = [f"{section}.{k} = {_show(v)}" for section, table in cfg.compare.items()
               if isinstance(table, Mapping) for k, v in table.items()]
    return ", ".join(changes) or "same settings"


def default_config() -> ExperimentConfig:
    """The documented default experiment (resources/presets/default.toml without its [preset])."""
    return config_from_dict({"data": {"source": "sine"}}, "defaults")
