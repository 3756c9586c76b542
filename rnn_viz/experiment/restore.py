"""Restoring a Trainer from a checkpoint's arrays, every entry validated before anything is installed.

A checkpoint is untrusted input: its arrays have passed the archive reader's bounds
(rnn_viz/data/archive.py, via ``io.load_checkpoint``), and here each is checked against the model
the experiment builds: every parameter and optimizer buffer present with its exact shape, floats
only and finite, counts within ``[0, MAX_STEP]``, the random state one the generator accepts and
the live settings within the experiment's own bounds. Errors are RunFileError naming the file and
the entry; the trainer is changed only when every check has passed.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from rnn_viz.data.archive import ArchiveError, parse_json
from rnn_viz.engine import whh_spectra

from .config import ConfigError
from .io import MAX_STEP, RunFileError

__all__ = ["checkpoint_layout", "restore_state", "checkpoint_config_text"]

_LIVE_KEYS = ("learning_rate", "clip_norm", "clip_value")
# Second-moment buffers are running means of squares: a negative one would take sqrt of it.
_NON_NEGATIVE = ("v/",)


def checkpoint_layout(trainer) -> dict[str, tuple[int, ...]]:
    """{checkpoint key: shape} of every parameter and optimizer array ``trainer``'s model defines."""
    layout = {f"param/{k}": tuple(v.shape) for k, v in trainer.params.items()}
    layout.update({f"opt/{k}": tuple(np.shape(v)) for k, v in trainer.opt_state.items()})
    return layout


def _json(arrays: Mapping, key: str, source: str):
    value = arrays.get(key)
    if value is None:
        raise RunFileError(f"{source}: not an rnn-viz checkpoint: it has no '{key}' entry")
    value = np.asarray(value)
    if value.shape != () or value.dtype.kind != "U":
        raise RunFileError(f"{source}[{key}]: expected a 0-d string holding JSON, found {value.dtype} of shape {value.shape}")
    try:
        return parse_json(str(value[()]), f"{source}[{key}]")
    except ArchiveError as exc:
        raise RunFileError(str(exc)) from None


def checkpoint_config_text(arrays: Mapping, source: str) -> str:
    """The ``config`` entry's JSON text, after its size and depth bounds."""
    _json(arrays, "config", source)
    return str(np.asarray(arrays["config"])[()])


def _count(arrays: Mapping, key: str, source: str) -> int:
    value = arrays.get(key)
    if value is None:
        raise RunFileError(f"{source}: not an rnn-viz checkpoint: it has no '{key}' entry")
    value = np.asarray(value)
    if value.shape != () or value.dtype.kind not in "iu":
        raise RunFileError(f"{source}[{key}]: expected a whole number (0-d integer array), found "
                           f"{value.dtype} of shape {value.shape}")
    n = int(value[()])
    if not 0 <= n <= MAX_STEP:
        raise RunFileError(f"{source}[{key}]: {n} is out of range; allowed: 0 to {MAX_STEP}")
    return n


def _float_array(arrays: Mapping, key: str, shape: tuple[int, ...], dtype, source: str, what: str) -> np.ndarray:
    value = arrays.get(key)
    if value is None:
        raise RunFileError(f"{source}: the {what} '{key}' is missing; the model of this experiment needs it")
    value = np.asarray(value)
    if value.dtype.kind != "f":
        raise RunFileError(f"{source}[{key}]: holds {value.dtype} values; a {what} must be floats")
    if value.shape != shape:
        raise RunFileError(f"{source}[{key}]: has shape {value.shape}; the model needs {shape}")
    if not np.isfinite(value).all():
        bad = int(value.size - np.count_nonzero(np.isfinite(value)))
        raise RunFileError(f"{source}[{key}]: holds {bad} non-finite values (NaN or infinity)")
    if key.startswith("opt/") and key[4:].startswith(_NON_NEGATIVE) and (value < 0).any():
        raise RunFileError(f"{source}[{key}]: holds negative values; a running mean of squares cannot be negative")
    return np.array(value, dtype=dtype)


def _rng_state(trainer, arrays: Mapping, source: str) -> dict:
    state = _json(arrays, "rng", source)
    name = trainer.rng.bit_generator.state["bit_generator"]
    if not isinstance(state, dict) or state.get("bit_generator") != name:
        raise RunFileError(f"{source}[rng]: not a random state of the {name} generator rnn-viz uses")
    probe = type(trainer.rng.bit_generator)()
    try:
        probe.state = state
    except (TypeError, ValueError, KeyError, OverflowError) as exc:
        raise RunFileError(f"{source}[rng]: not a valid {name} state ({' '.join(str(exc).split())[:120]})") from None
    return state


def _live(trainer, arrays: Mapping, source: str) -> dict[str, float]:
    live = _json(arrays, "live", source)
    if not isinstance(live, dict):
        raise RunFileError(f"{source}[live]: expected a JSON object with {', '.join(_LIVE_KEYS)}")
    out = {}
    for key in _LIVE_KEYS:
        value = live.get(key)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise RunFileError(f"{source}[live]: {key} must be a number, found {value!r}"[:300])
        out[key] = float(value)
    try:  # the experiment's own bounds for these settings, with its messages
        dataclasses.replace(trainer.config.training, **out)
    except ConfigError as exc:
        raise RunFileError(f"{source}[live]: {exc}") from None
    return out


def restore_state(trainer, arrays: Mapping[str, np.ndarray], source: str = "checkpoint") -> None:
    """Install the checkpoint's weights, optimizer state, random stream, step and live settings
    into ``trainer`` (built from the same experiment). RunFileError naming ``source`` and the entry
    if any of them does not fit; then ``trainer`` is left as it was."""
    params = {k: _float_array(arrays, f"param/{k}", v.shape, v.dtype, source, "parameter")
              for k, v in trainer.params.items()}
    opt = {}
    for k, v in trainer.opt_state.items():
        if k == "t":
            opt[k] = np.array(_count(arrays, "opt/t", source), dtype=np.int64)
        else:
            opt[k] = _float_array(arrays, f"opt/{k}", np.shape(v), np.asarray(v).dtype, source, "optimizer state")
    step = _count(arrays, "step", source)
    rng = _rng_state(trainer, arrays, source)
    live = _live(trainer, arrays, source)
    # Everything checked: install.
    trainer.params, trainer.opt_state = params, opt
    trainer.rng.bit_generator.state = rng
    trainer.step_count = step
    trainer.set_learning_rate(live["learning_rate"])
    trainer.set_clipping(live["clip_norm"], live["clip_value"])
    trainer._spectra = whh_spectra(trainer.spec, trainer.params)  # the trainer's cache of its weights' spectra
