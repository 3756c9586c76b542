"""``[dynamics]``: the settings of the dynamics analysis (``rnn-viz run --dynamics``, the sweep).

Keys left out take defaults that depend on the network and the sequence, resolved by
:func:`resolve` once those are known: ``exponents`` min(H, 10) (at most the state size S), ``transient``
min(100, T // 4), ``lag`` T - 1. ``fixed_point_input`` is "zero" or one number per input channel.
"""
from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, fields

from ..engine.dynamics import default_exponents, default_transient
from ..engine.jacobians import state_size
from .errors import ConfigError
from .schema import Float, Int, check_known as _known, check_value as _check, show as _show

__all__ = ["DynamicsConfig", "DYNAMICS_KEYS", "ResolvedDynamics", "dynamics_from_table", "dynamics_to_dict", "resolve"]

DYNAMICS_KEYS = {
    "exponents": Int(1),
    "transient": Int(0),
    "lag": Int(1),
    "fixed_point_input": None,  # "zero" or a list of numbers: checked below
    "fixed_point_starts": Int(1, 100_000),
    "q_tolerance": Float(0.0, lo_open=True),
    "dedupe_distance": Float(0.0, lo_open=True),
    "slow_q": Float(0.0, lo_open=True),
}


@dataclass(frozen=True)
class DynamicsConfig:
    """``[dynamics]`` as written; None = the default that depends on H and T (see the module)."""

    exponents: int | None = None
    transient: int | None = None
    lag: int | None = None
    fixed_point_input: str | tuple[float, ...] = "zero"
    fixed_point_starts: int = 256
    q_tolerance: float = 1e-10
    dedupe_distance: float = 1e-3
    # Slow points: q in (q_tolerance, slow_q]. 1e-4 is a speed ||F(s) - s|| = sqrt(2 q) of at most
    # 0.014 per step, under 1.5% of tanh's range: the flow nearly stops there. <= q_tolerance: none.
    slow_q: float = 1e-4

    def __post_init__(self):
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "fixed_point_input":
                object.__setattr__(self, f.name, _check_input(value))
            elif value is not None:
                object.__setattr__(self, f.name, _check("dynamics", f.name, value, DYNAMICS_KEYS[f.name]))


@dataclass(frozen=True, slots=True)
class ResolvedDynamics:
    """Every setting as a number, for one network and sequence length."""

    exponents: int
    transient: int
    lag: int
    fixed_point_input: tuple[float, ...]
    fixed_point_starts: int
    q_tolerance: float
    dedupe_distance: float
    slow_q: float = 1e-4


def _check_input(value):
    if value == "zero":
        return value
    if isinstance(value, (list, tuple)) and value and all(
            isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) for v in value):
        return tuple(float(v) for v in value)
    raise ConfigError(f"{{key}} = {_show(value)} is not allowed; allowed: \"zero\" or a list of numbers, "
                      "one per input channel", "dynamics.fixed_point_input")


def dynamics_from_table(table: Mapping) -> DynamicsConfig:
    """The ``[dynamics]`` table -> DynamicsConfig; ConfigError names ``dynamics.<key>``."""
    _known("dynamics", table, DYNAMICS_KEYS)
    return DynamicsConfig(**table)


def dynamics_to_dict(cfg: DynamicsConfig) -> dict:
    """The keys that were given (defaults that depend on H and T left out), TOML-ready."""
    out = {}
    for f in fields(cfg):
        value = getattr(cfg, f.name)
        if value is not None:
            out[f.name] = list(value) if isinstance(value, tuple) else value
    return out


def resolve(cfg: DynamicsConfig | None, cell: str, hidden: int, seq_len: int, input_size: int) -> ResolvedDynamics:
    """The settings for a network of ``hidden`` units of ``cell`` on sequences of ``seq_len`` steps.

    Raises ConfigError naming ``dynamics.<key>`` when a given value does not fit (more exponents than
    state dimensions, a transient or lag longer than the sequence, an input of the wrong size).
    """
    cfg = cfg if cfg is not None else DynamicsConfig()
    S, T = state_size(cell, hidden), seq_len
    if T < 2:
        raise ConfigError(f"the dynamics analysis needs sequences of at least 2 steps, got data.seq_len = {T}",
                          "data.seq_len")
    exponents = min(default_exponents(hidden), S) if cfg.exponents is None else cfg.exponents
    transient = min(default_transient(T), T - 2) if cfg.transient is None else cfg.transient
    lag = T - 1 if cfg.lag is None else cfg.lag
    for key, value, hi, what in (("exponents", exponents, S, "the state size S"),
                                 ("transient", transient, T - 2, "T - 2"), ("lag", lag, T - 1, "T - 1")):
        if value > hi:
            raise ConfigError(f"{{key}} = {value} is not allowed here; allowed: at most {what} = {hi}",
                              f"dynamics.{key}")
    x = (0.0,) * input_size if cfg.fixed_point_input == "zero" else cfg.fixed_point_input
    if len(x) != input_size:
        raise ConfigError(f"{{key}} has {len(x)} value(s); allowed: \"zero\" or {input_size} number(s), one per "
                          "input channel", "dynamics.fixed_point_input")
    return ResolvedDynamics(exponents, transient, lag, x, cfg.fixed_point_starts, cfg.q_tolerance, cfg.dedupe_distance,
                            cfg.slow_q)
