"""The dynamics analysis of a run: the ``dyn/`` trace keys (docs/trace-keys.md) from a trainer and
one of its traces, with the ``[dynamics]`` settings resolved for its network and sequence length.

Computed on request only (``rnn-viz run --dynamics``, the sweep's measures), never every update.
"""
from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..engine import network
from ..engine.dynamics import dynamics_trace
from ..engine.fixed_points import find_fixed_points, visited_states
from .dynamics_config import ResolvedDynamics, resolve

__all__ = ["analyse", "settings_for"]

# The finder's starts are drawn from their own stream: the same trace gives the same fixed points.
_FIXED_POINT_SEED = 0xF1C5


def settings_for(trainer, seq_len: int) -> ResolvedDynamics:
    """The trainer's ``[dynamics]`` settings for sequences of ``seq_len`` steps."""
    spec = trainer.spec
    return resolve(trainer.config.dynamics, spec.cell, spec.hidden_size, seq_len, spec.input_size)


def analyse(trainer, trace: Mapping[str, np.ndarray], fixed_points: bool = True) -> dict[str, np.ndarray]:
    """The ``dyn/`` keys for ``trace`` (its batch, at the parameters it was taken at).

    The flow sample is the trace's ``flow_sample`` if it has one, else the trainer's. Raises
    ConfigError naming ``dynamics.<key>`` for settings that do not fit this network.
    """
    from .loop import tr_params  # loop imports the config this module builds on

    spec = trainer.spec
    params = tr_params(trace, spec)
    inputs = np.asarray(trace["inputs"])
    B, T, _ = inputs.shape
    d = settings_for(trainer, T)
    sample = int(trace["flow_sample"]) if "flow_sample" in trace else min(trainer.config.training.flow_sample, B - 1)
    out = dynamics_trace(spec, params, inputs, np.asarray(trace["targets"]), np.asarray(trace["loss_mask"]),
                         trainer.loss, trainer.truncation, sample, d.exponents, d.transient, d.lag)
    if fixed_points:
        caches, _ = network.forward(spec, params, inputs.astype(params["Why"].dtype))
        out.update(find_fixed_points(spec, params, visited_states(spec, caches), np.array(d.fixed_point_input),
                                     d.fixed_point_starts, d.q_tolerance, d.dedupe_distance,
                                     np.random.default_rng(_FIXED_POINT_SEED), slow_q=d.slow_q))
    return out
