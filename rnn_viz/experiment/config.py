"""The experiment file: TOML <-> frozen, validated dataclasses.

An experiment has the tables ``[data]`` (validated by the data layer), ``[model]``, ``[training]``,
optionally ``[preset]`` (a guided experiment's title and explanation), ``[dynamics]`` (settings of the
dynamics analysis, ``dynamics_config.py``) and ``[compare]`` (overrides for a second run). Every
key, its default and what it allows is listed in docs/file-formats.md. A bad key or value raises
:class:`ConfigError`, whose message names the file, the key and what is allowed.
"""
from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import tomli_w

from rnn_viz.data import DataError, resolve_data_section
from rnn_viz.engine import ACTIVATIONS, CELLS, INITS, LOSSES, OPTIMIZERS
from rnn_viz.engine.cell_kinds import CELL_KINDS
from rnn_viz.engine.network import DEFAULT_ACTIVATION, MAX_LAYERS

from .errors import ConfigError
from .schema import Bool, Choice, Float, Int, Name, Setting, Text, setting, settings_of, show
from .schema import check_known as _known, check_value as _check  # [preset], [compare], [dynamics]

__all__ = [
    "ConfigError", "ExperimentConfig", "ModelConfig", "TrainingConfig", "PresetConfig", "FrozenDict",
    "load_config", "config_from_dict", "to_dict", "to_toml", "to_json", "from_json",
    "apply_overrides", "compare_config", "compare_label", "default_config", "SECTIONS",
]

SECTIONS = ("preset", "data", "model", "training", "dynamics", "compare")
# the cells whose hidden nonlinearity is a setting (rnn): model.activation is used only with these
ACTIVATION_CELLS = tuple(name for name, kind in CELL_KINDS.items() if kind.takes_activation)


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


# --- the records: every [model] and [training] key is one setting(...) field (see schema.py) ------

_show = show
_UNIT = Float(0.0, 1.0)  # [0, 1): momentum-like coefficients


# Keys a weights file decides: left out, they come from its shapes (see experiment/torch_map.py).
FROM_WEIGHTS = ("cell", "activation", "hidden_size", "num_layers", "bias")
WEIGHTS_ONLY = ("weights_module", "readout_module")
NOT_WITH_WEIGHTS = ("init", "spectral_radius", "gain")
TRAIN_CHOICES = ("all", "readout")
_MODULE = Name('a module name such as "encoder.rnn" ("" = top level)')


def _validate_fields(obj, settings: tuple[Setting, ...]) -> None:
    """Check and normalise (int -> float where a float is meant) every field of a frozen dataclass."""
    for s in settings:
        object.__setattr__(obj, s.name, s.check(getattr(obj, s.name)))


@dataclass(frozen=True)
class ModelConfig:
    """``[model]``. ``activation`` is the rnn cell's nonlinearity ("tanh" when not given) and None
    for lstm/gru, whose nonlinearities are fixed; giving one for a gated cell is an error.
    ``gain`` g (None = not used) draws W_hh ~ N(0, g^2/H) unscaled: only with init "gaussian", and
    it replaces ``spectral_radius`` (a file may not give both).

    With ``weights`` (a PyTorch state dict), the keys of FROM_WEIGHTS left out stay None until the
    trainer reads the file and fills them in from its shapes; ``init``/``spectral_radius``/``gain``
    are then not allowed. Without it they take the schema's defaults (rnn, 32 units, 1 layer,
    orthogonal, 1.0). ``bias`` None means true (left out of the written file); false holds every
    bias at 0, untrained."""

    cell: str | None = setting(Choice(CELLS), "rnn", "Cell",
                               "rnn: h_t = act(W_hh h_{t-1} + W_xh x_t + b_h); lstm and gru (PyTorch's equations "
                               "and gate order) add gates that can keep the gradient alive", filled_by="weights")
    activation: str | None = setting(Choice(ACTIVATIONS), None, "Activation",
                                     'the rnn cell\'s nonlinearity ("tanh" when not given); lstm and gru have fixed '
                                     "ones, so giving one for them is an error", optional=True, when={"cell": ACTIVATION_CELLS})
    hidden_size: int | None = setting(Int(1, 4096), 32, "Hidden units", "units H in each layer's hidden state h_t",
                                      filled_by="weights")
    num_layers: int | None = setting(Int(1, MAX_LAYERS), 1, "Layers",
                                     "stacked recurrent layers; layer l > 0 reads layer l-1's hidden state", filled_by="weights")
    init: str | None = setting(Choice(INITS), "orthogonal", "Recurrent init",
                               "how W_hh starts, scaled to the spectral radius (input weights are Glorot-uniform)",
                               filled_by="weights", note="not with weights")
    spectral_radius: float | None = setting(Float(0.0), 1.0, "Spectral radius",
                                            "largest |eigenvalue| of every Whh.<l> (each gate block for lstm/gru) at "
                                            "init: below 1 gradients tend to vanish, above 1 to explode", filled_by="weights",
                                            note="not with weights")
    gain: float | None = setting(Float(0.0), None, "Gain",
                                 "every gate block of Whh.<l> is drawn N(0, gain^2/H) and not rescaled (its spectral "
                                 "radius is about gain by the circular law; experiment 7)", optional=True,
                                 when={"init": ("gaussian",)},
                                 note="not together with spectral_radius (--set of one drops the other); not with weights")
    bias: bool | None = setting(Bool(), True, "Bias", "false: every recurrent bias (bh.<l>, bhn.<l>) is held at 0 and "
                                "never trained, like PyTorch's bias=False", filled_by="weights")
    weights: str | None = setting(Text("a path to a .safetensors, .pt, .pth or .npz state dict"), None, "Weights",
                                  "start from a PyTorch state dict (see below); relative to the experiment file; "
                                  "cell, hidden_size, num_layers and bias left out come from its shapes",
                                  widget="text", optional=True)
    weights_module: str | None = setting(_MODULE, None, "Weights module",
                                         "which recurrent module of the file (needed when it has several; "
                                         "found otherwise)", widget="text",
                                         optional=True, note="only with weights")
    readout_module: str | None = setting(
        Name('a Linear module name such as "head" ("" = top level, "none" = a fresh readout)'), None,
        "Readout module", "which nn.Linear is the readout (found otherwise); \"none\": a fresh readout",
        widget="text",
        optional=True, note="only with weights")

    def __post_init__(self):
        _validate_fields(self, MODEL_SETTINGS)
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
            for s in MODEL_SETTINGS:  # no file to fill them in: the schema's fallbacks (bias: None = true)
                if s.filled_by and getattr(self, s.name) is None and s.name != "bias":
                    object.__setattr__(self, s.name, s.fallback)
        if self.gain is not None and self.init != "gaussian":
            raise ConfigError(f"{{key}} is not allowed with model.init = {_show(self.init)}; allowed: only with "
                              'init = "gaussian" (W_hh ~ N(0, gain^2/H))', "model.gain")
        if self.cell is None:
            return
        if self.cell not in ACTIVATION_CELLS and self.activation is not None:
            raise ConfigError(
                f"{{key}} = {_show(self.activation)} is not allowed for model.cell = {_show(self.cell)}; "
                "allowed: only for cell \"rnn\" (lstm and gru have fixed nonlinearities), so leave it out",
                "model.activation",
            )
        if self.cell in ACTIVATION_CELLS and self.activation is None:
            object.__setattr__(self, "activation", DEFAULT_ACTIVATION)


_TRUNCATED = {"bptt": ("truncated",)}


@dataclass(frozen=True)
class TrainingConfig:
    """``[training]``: BPTT mode, optimiser, clipping, loss, seed and bookkeeping.

    ``clip_norm``/``clip_value`` of 0 mean off; ``loss = "auto"`` takes the task's loss (an explicit
    loss the task cannot take is rejected when the dataset is built); ``flow_sample`` is the batch
    sample the flow matrix and Jacobian norms are for; ``val_every`` counts updates."""

    bptt: str = setting(Choice(("full", "truncated")), "full", "BPTT",
                        "full: the exact gradient; truncated: Williams & Peng's TBPTT(k1, k2), each error "
                        "travels back at most k2 steps")
    k1: int = setting(Int(1), 1, "k1", "truncated BPTT: steps per block (backpropagate every k1 steps)",
                      when=_TRUNCATED, note="and k1 <= k2")
    k2: int = setting(Int(1), 5, "k2", "truncated BPTT: how far back each block's losses reach, their own step "
                      "included (the source text: about 5)", when=_TRUNCATED)
    optimizer: str = setting(Choice(OPTIMIZERS), "adam", "Optimizer", "the update rule, defined as in PyTorch")
    learning_rate: float = setting(Float(0.0, lo_open=True), 0.01, "Learning rate", "step size of each update",
                                   widget="log", live=True)
    momentum: float = setting(_UNIT, 0.9, "Momentum", "weight of the previous update direction",
                              when={"optimizer": ("momentum",)})
    nesterov: bool = setting(Bool(), False, "Nesterov", "Nesterov momentum (PyTorch's nesterov=True)",
                             when={"optimizer": ("momentum",)}, note="true needs momentum > 0")
    beta1: float = setting(_UNIT, 0.9, "Adam beta1", "decay of the running mean of gradients",
                           when={"optimizer": ("adam",)})
    beta2: float = setting(_UNIT, 0.999, "Adam beta2", "decay of the running mean of squared gradients",
                           when={"optimizer": ("adam",)})
    eps: float = setting(Float(0.0, lo_open=True), 1e-8, "Epsilon", "added to the denominator for stability",
                         widget="log", when={"optimizer": ("adam", "rmsprop")})
    decay: float = setting(_UNIT, 0.99, "RMSprop decay", "decay of the running mean of squared gradients "
                           "(PyTorch's alpha)", when={"optimizer": ("rmsprop",)})
    clip_norm: float = setting(Float(0.0), 0.0, "Clip norm", "rescale the gradient when its global norm exceeds "
                               "this (0 = off; Pascanu et al. 2013)", live=True)
    clip_value: float = setting(Float(0.0), 0.0, "Clip value", "clamp every gradient entry to +-this (0 = off)",
                                live=True)
    loss: str = setting(Choice(("auto", *LOSSES)), "auto", "Loss", "auto: the task's own loss; a loss the task "
                        "cannot take is an error when the data is loaded")
    seed: int = setting(Int(0, 2**63 - 1), 0, "Seed", "one seed for the initial weights, the batches and the validation "
                        "set: the same seed gives the same run")
    dtype: str = setting(Choice(("float64", "float32")), "float64", "Precision",
                         "float64 (the numbers to trust) or float32 (faster)")
    flow_sample: int = setting(Int(0), 0, "Flow sample", "the batch sample the flow matrix and Jacobian norms are "
                               "for (the sample selector changes it)", live=True,
                               note="and at most data.batch_size - 1")
    val_every: int = setting(Int(1), 10, "Validate every", "updates between validation losses (and at update 1)")
    spectra_every: int = setting(Int(1), 10, "Spectra every", "metrics.csv's sigma_max/rho (W_hh's spectrum, "
                                 "an eigen-solve) after update 1, every N-th update and the last; other rows "
                                 "leave them empty", live=True)
    train: str = setting(Choice(TRAIN_CHOICES), "all", "Train", 'what learns: "readout" trains only Why and by (the '
                         "echo-state / reservoir setting) and keeps no optimizer state for the rest; grad/*, "
                         "grad_norm and clipping still cover every parameter")

    def __post_init__(self):
        _validate_fields(self, TRAINING_SETTINGS)
        if self.k1 > self.k2:
            raise ConfigError(
                f"{{key}} = {self.k1} is not allowed with training.k2 = {self.k2}; "
                "allowed: 1 <= k1 <= k2", "training.k1")
        if self.nesterov and (self.optimizer != "momentum" or self.momentum == 0):
            raise ConfigError(
                f"{{key}} = true is not allowed with training.optimizer = {_show(self.optimizer)} and "
                f"training.momentum = {self.momentum:g}; allowed: only with optimizer \"momentum\" and "
                "momentum > 0", "training.nesterov")


MODEL_SETTINGS = settings_of(ModelConfig, "model")
TRAINING_SETTINGS = settings_of(TrainingConfig, "training")
# name -> Setting, for the code that looks keys up
MODEL_KEYS: dict[str, Setting] = {s.name: s for s in MODEL_SETTINGS}
TRAINING_KEYS: dict[str, Setting] = {s.name: s for s in TRAINING_SETTINGS}

PRESET_KEYS: dict[str, Any] = {
    "title": Text(),
    "explanation": Text(),
    "look_at": Text(),
    "equation": Text(),
}


@dataclass(frozen=True)
class PresetConfig:
    """``[preset]``: a guided experiment's title and explanation (what to look at, the equation)."""

    title: str
    explanation: str
    look_at: str | None = None
    equation: str | None = None

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if value is not None:
                object.__setattr__(self, f.name, _check("preset", f.name, value, PRESET_KEYS[f.name]))


@dataclass(frozen=True)
class ExperimentConfig:
    """One experiment. ``data`` is the resolved ``[data]`` table (read-only), ``compare`` the raw
    ``[compare]`` overrides (read-only; see :func:`compare_config`) or None."""

    data: Mapping[str, Any]
    model: ModelConfig = field(default_factory=ModelConfig)
    training: TrainingConfig = field(default_factory=TrainingConfig)
    preset: PresetConfig | None = None
    compare: Mapping[str, Any] | None = None
    dynamics: Any = None  # a dynamics_config.DynamicsConfig, or None for its defaults

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
    if "gain" in model_t and "spectral_radius" in model_t:
        raise ConfigError("{key} is not allowed together with model.spectral_radius; allowed: one of the two "
                          "(gain draws W_hh ~ N(0, gain^2/H) without rescaling it)", "model.gain")
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
            _check("compare", "label", compare["label"], Text())
        for name in ("data", "model", "training"):
            try:
                _table(compare, name)
            except ConfigError as exc:
                raise exc.located(prefix="compare.") from None
    dynamics = None
    if "dynamics" in d:
        from .dynamics_config import dynamics_from_table  # it builds on this module's checks

        dynamics = dynamics_from_table(_table(d, "dynamics"))
    cfg = ExperimentConfig(data=data, model=model, training=training, preset=preset, compare=compare,
                           dynamics=dynamics)
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
    if cfg.model.gain is not None:
        del out["model"]["spectral_radius"]  # gain replaces it
    out["training"] = {f.name: getattr(cfg.training, f.name) for f in fields(cfg.training)}
    if cfg.dynamics is not None:
        from .dynamics_config import dynamics_to_dict

        out["dynamics"] = dynamics_to_dict(cfg.dynamics)
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
        # gain and spectral_radius exclude each other: setting one drops the other
        for given, dropped in (("gain", "spectral_radius"), ("spectral_radius", "gain")):
            if section == "model" and given in table and dropped not in table:
                old = {k: v for k, v in old.items() if k != dropped}
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
    # run B is analysed with the same [dynamics] settings, so the two runs' dyn/ keys compare
    base = {k: v for k, v in to_dict(cfg).items() if k in ("data", "model", "training", "dynamics")}
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
