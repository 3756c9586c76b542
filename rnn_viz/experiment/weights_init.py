"""Starting a run from a user's trained PyTorch weights (``[model] weights``).

The file decides the architecture; the experiment may state any of it, and then must agree. What is
left out is filled in from the shapes, so the run's config.toml records the model completely (and a
resume, which never rereads the weights file, rebuilds it from there).
"""
from __future__ import annotations

import dataclasses
import os
from pathlib import Path

from ..data.weights import read_state_dict
from ..engine.cell_kinds import CELL_KINDS
from ..engine.network import DEFAULT_ACTIVATION, GATES, NetSpec
from .config import ConfigError, ModelConfig, TrainingConfig
from .torch_map import ImportedWeights, NO_READOUT, map_state_dict

__all__ = ["weights_path", "import_model", "trainable_names", "READOUT_PARAMS"]

READOUT_PARAMS = ("Why", "by")


def weights_path(raw: str, base_dir: Path | str | None) -> Path:
    """``model.weights`` as a full path: relative paths start at the experiment file's folder."""
    path = Path(os.path.expanduser(raw))
    if not path.is_absolute() and base_dir is not None:
        path = Path(base_dir) / path
    return path.resolve()


def _layer0(w: ImportedWeights, name: str) -> str:
    return f"{w.weights_module}.{name}" if w.weights_module else name


def import_model(mc: ModelConfig, base_dir, input_size: int, output_size: int, dtype) -> tuple[ModelConfig, ImportedWeights]:
    """Read ``mc.weights`` and check it against the experiment and the data.

    ``input_size``/``output_size``: the dataset's I and O. Returns the model settings with every key
    the file decides filled in (``weights`` absolute, the modules resolved) and the imported weights
    (``params`` in ``dtype``). Raises DataError for an unreadable or hostile file and ConfigError
    naming the file, the key and what it should be for anything that does not fit.
    """
    path = weights_path(mc.weights, base_dir)
    state = read_state_dict(path)
    w = map_state_dict(state, str(path), mc.weights_module, mc.readout_module, dtype)
    rows = GATES[w.cell] * w.hidden_size
    inferred = {"cell": w.cell, "hidden_size": w.hidden_size, "num_layers": w.num_layers, "bias": w.bias}
    shown = {"cell": f"{_layer0(w, 'weight_hh_l0')} has {rows} rows for hidden size {w.hidden_size}: {w.cell}",
             "hidden_size": f"{_layer0(w, 'weight_hh_l0')} has {w.hidden_size} columns",
             "num_layers": f"it holds layers 0 to {w.num_layers - 1}",
             "bias": f"it has {'' if w.bias else 'no '}bias_ih/bias_hh keys"}
    for key, value in inferred.items():
        given = getattr(mc, key)
        if given is not None and given != value:
            raise ConfigError(f"{{key}} = {_toml(given)} contradicts the weights file: {shown[key]} "
                              f"(model.{key} = {_toml(value)}); leave model.{key} out or change it",
                              f"model.{key}", str(path))
    activation = mc.activation
    if not CELL_KINDS[w.cell].takes_activation and activation is not None:
        raise ConfigError(f"{{key}} = {_toml(activation)} is not allowed: the weights are a {w.cell}, whose "
                          "nonlinearities are fixed; leave it out", "model.activation", str(path))
    if CELL_KINDS[w.cell].takes_activation:
        activation = activation or DEFAULT_ACTIVATION
    if w.input_size != input_size:
        raise ConfigError(f"{_layer0(w, 'weight_ih_l0')} has shape ({rows}, {w.input_size}): the model takes {w.input_size} inputs, the data gives {input_size} "
                          "per step (choose data.inputs to match)", source=str(path))
    if w.output_size is not None and w.output_size != output_size:
        head = f"{w.readout_module}.weight" if w.readout_module else "weight"
        raise ConfigError(f"{head} has shape ({w.output_size}, {w.hidden_size}); expected ({output_size}, "
                          f"{w.hidden_size}) for the data's {output_size} outputs (or set model.readout_module = "
                          '"none" for a fresh readout)', source=str(path))
    resolved = dataclasses.replace(
        mc, cell=w.cell, activation=activation, hidden_size=w.hidden_size, num_layers=w.num_layers,
        bias=None if w.bias else False, weights=str(path), weights_module=w.weights_module,
        readout_module=w.readout_module if w.output_size is not None else NO_READOUT)
    return resolved, w


def trainable_names(spec: NetSpec, mc: ModelConfig, tc: TrainingConfig) -> tuple[str, ...] | None:
    """The parameters an update changes, or None for all of them.

    ``training.train = "readout"`` learns only ``Why`` and ``by``; ``model.bias = false`` holds the
    recurrent biases (``bh.l``, ``bhn.l``) at 0.
    """
    names = tuple(spec.param_shapes())
    if tc.train == "readout":
        names = READOUT_PARAMS
    if mc.bias is False:
        names = tuple(n for n in names if not n.startswith(("bh.", "bhn.")))
    return None if len(names) == len(spec.param_shapes()) else names


def _toml(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f'"{value}"'
    return repr(value)

