"""PyTorch state-dict names <-> the engine's parameters, both ways.

A ``torch.nn.RNN``/``LSTM``/``GRU`` stores, per layer k, ``weight_ih_l{k}`` (G*H, I_k),
``weight_hh_l{k}`` (G*H, H) and optionally ``bias_ih_l{k}``, ``bias_hh_l{k}`` (G*H,), with the gate
order the engine uses (lstm i f g o, gru r z n). The engine keeps one bias per layer, ``bh.l``:
torch adds its two biases before every nonlinearity, so ``bh.l = b_ih + b_hh`` for rnn and lstm and
for gru's r and z gates; gru's n gate multiplies the hidden-side term by r, so ``bh.l`` takes only
``b_in`` there and ``bhn.l`` holds ``b_hn``. A ``torch.nn.Linear`` readout's ``weight`` (O, H) and
``bias`` (O,) are ``Why`` and ``by``.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np

from ..engine.cell_kinds import CELL_KINDS
from ..engine.network import GATES, MAX_LAYERS
from .config import ConfigError

__all__ = ["ImportedWeights", "map_state_dict", "to_state_dict", "recurrent_candidates", "linear_candidates",
           "NO_READOUT"]

NO_READOUT = "none"
_RECURRENT = re.compile(r"^(weight_ih|weight_hh|bias_ih|bias_hh)_l(\d+)$")
_CELL_BY_GATES = {g: c for c, g in GATES.items()}
_TORCH_CLASS = {"rnn": "nn.RNN", "lstm": "nn.LSTM", "gru": "nn.GRU"}


@dataclass(frozen=True)
class ImportedWeights:
    """What a state dict holds, mapped to the engine.

    ``params``: engine names -> arrays (every recurrent parameter, plus ``Why``/``by`` when a readout
    was imported); ``output_size`` None when none was. ``weights_module``/``readout_module``: the
    resolved prefixes without their dot ("" = top level; readout "none" = no readout imported).
    ``ignored``: keys outside both modules. ``raw``: the chosen modules' tensors under their torch
    names (no prefix), as the file holds them, for running the torch module itself.
    """

    path: str
    cell: str
    num_layers: int
    input_size: int
    hidden_size: int
    output_size: int | None
    bias: bool
    weights_module: str
    readout_module: str
    params: dict[str, np.ndarray]
    ignored: tuple[str, ...] = ()
    raw: dict[str, np.ndarray] = field(default_factory=dict)
    raw_readout: dict[str, np.ndarray] = field(default_factory=dict)

    def summary(self, activation: str | None) -> list[str]:
        """Lines for the user: what was found, what was assumed, what was left out."""
        where = f'"{self.weights_module}"' if self.weights_module else "top level"
        act = ""
        if CELL_KINDS[self.cell].takes_activation:
            act = f", activation {activation}" + (" (the file cannot tell tanh from relu; set model.activation)"
                                                  if activation == "tanh" else "")
        lines = [f"weights: {self.path}",
                 f"  {_TORCH_CLASS[self.cell]} at {where}: {self.num_layers} layer(s), input {self.input_size}, "
                 f"hidden {self.hidden_size}{act}{'' if self.bias else ', bias=False (biases held at 0)'}"]
        if self.output_size is None:
            lines.append("  readout: none in the file; a fresh one is made (seeded by training.seed)")
        else:
            lines.append(f'  readout: nn.Linear at "{self.readout_module}" ({self.hidden_size} -> {self.output_size})')
        if self.ignored:
            shown = ", ".join(self.ignored[:8]) + (", ..." if len(self.ignored) > 8 else "")
            lines.append(f"  ignored ({len(self.ignored)} keys outside these modules): {shown}")
        return lines


def _split(key: str) -> tuple[str, str]:
    """("encoder.rnn", "weight_ih_l0") for "encoder.rnn.weight_ih_l0"; ("", name) at top level."""
    module, _, name = key.rpartition(".")
    return module, name


def _members(state: Mapping[str, np.ndarray], module: str) -> dict[str, np.ndarray]:
    return {_split(k)[1]: v for k, v in state.items() if _split(k)[0] == module}


def recurrent_candidates(state: Mapping[str, np.ndarray]) -> list[str]:
    """Modules (prefixes without the dot) holding a ``weight_ih_l0``, in file order."""
    out = []
    for key in state:
        module, name = _split(key)
        if name.startswith("weight_ih_l") and module not in out:
            out.append(module)
    return out


def linear_candidates(state: Mapping[str, np.ndarray], exclude: str | None = None) -> list[str]:
    """Modules whose direct members are a 2-D ``weight`` (and a ``bias``): nn.Linear-like."""
    out = []
    for key, value in state.items():
        module, name = _split(key)
        if name == "weight" and np.ndim(value) == 2 and module != exclude and module not in out:
            out.append(module)
    return out


def _show(modules: list[str]) -> str:
    return ", ".join(f'"{m}"' for m in modules) if modules else "(none)"


def _fail(path: str, text: str) -> ConfigError:
    return ConfigError(text, source=path)


def _choose_recurrent(state, path: str, wanted: str | None) -> str:
    found = recurrent_candidates(state)
    if wanted is not None:
        if wanted not in found:
            raise _fail(path, f'model.weights_module = "{wanted}" holds no recurrent module '
                              f"(no {wanted + '.' if wanted else ''}weight_ih_l0); candidates: {_show(found)}")
        return wanted
    if len(found) != 1:
        what = "no recurrent module (no key ending in weight_ih_l0)" if not found else "several recurrent modules"
        raise _fail(path, f"{what}; choose one with model.weights_module; candidates: {_show(found)}")
    return found[0]


def _choose_readout(state, path: str, wanted: str | None, module: str, hidden: int) -> str:
    linears = linear_candidates(state, exclude=module)
    if wanted == NO_READOUT:
        return NO_READOUT
    if wanted is not None:
        if wanted not in linears:
            raise _fail(path, f'model.readout_module = "{wanted}" is not a Linear module (no '
                              f"{wanted + '.' if wanted else ''}weight); candidates: {_show(linears)} or \"none\"")
        return wanted
    fitting = [m for m in linears if np.shape(state[f"{m}.weight" if m else "weight"])[1] == hidden]
    if len(fitting) > 1:
        raise _fail(path, f"several Linear modules take the hidden size {hidden}; choose one with "
                          f'model.readout_module; candidates: {_show(fitting)} or "none"')
    return fitting[0] if fitting else NO_READOUT


def _key(module: str, name: str) -> str:
    return f"{module}.{name}" if module else name


def _check_shape(path: str, key: str, arr: np.ndarray, shape: tuple[int, ...], why: str) -> None:
    if arr.shape != shape:
        raise _fail(path, f"{key} has shape {arr.shape}; expected {shape} ({why})")


def _recurrent(path: str, module: str, members: dict[str, np.ndarray]):
    """(cell, layers, input_size, hidden, bias) from a recurrent module's tensors, every key checked."""
    layers: dict[int, set[str]] = {}
    for name in members:
        m = _RECURRENT.match(name)
        if m is None:
            why = "not a key of torch.nn.RNN/LSTM/GRU"
            if name.endswith("_reverse"):
                why = "bidirectional=True is not supported (one direction only)"
            elif name.startswith("weight_hr"):
                why = "LSTM proj_size > 0 is not supported"
            raise _fail(path, f"{_key(module, name)}: {why}")
        layers.setdefault(int(m.group(2)), set()).add(m.group(1))
    count = len(layers)
    if sorted(layers) != list(range(count)):
        raise _fail(path, f"layers of {module or 'the top-level module'} are {sorted(layers)}; expected 0 to {count - 1}")
    hh = members["weight_hh_l0"] if "weight_hh_l0" in members else None
    if hh is None or hh.ndim != 2:
        raise _fail(path, f"{_key(module, 'weight_hh_l0')} is missing or not 2-D")
    hidden = hh.shape[1]
    if hidden < 1 or hh.shape[0] % hidden or hh.shape[0] // hidden not in _CELL_BY_GATES:
        raise _fail(path, f"{_key(module, 'weight_hh_l0')} has shape {hh.shape}; expected (G*H, H) with G = 1 "
                          "(RNN), 3 (GRU) or 4 (LSTM)")
    gates = hh.shape[0] // hidden
    cell = _CELL_BY_GATES[gates]
    has_bias = "bias_ih" in layers[0]
    if count > MAX_LAYERS:
        raise _fail(path, f"{module or 'the module'} has {count} layers; at most {MAX_LAYERS} are supported")
    ih0 = members.get("weight_ih_l0")
    if ih0 is None or ih0.ndim != 2:
        raise _fail(path, f"{_key(module, 'weight_ih_l0')} is missing or not 2-D")
    inputs = ih0.shape[1]
    for k in range(count):
        want = {"weight_ih", "weight_hh"} | ({"bias_ih", "bias_hh"} if has_bias else set())
        if layers[k] != want:
            missing = sorted(want - layers[k]) or sorted(layers[k] - want)
            raise _fail(path, f"{_key(module, f'{missing[0]}_l{k}')} is "
                              f"{'missing' if want - layers[k] else 'unexpected'} (every layer needs "
                              f"{', '.join(sorted(want))})")
        size_in = inputs if k == 0 else hidden
        why = f"{_TORCH_CLASS[cell]} with hidden size {hidden}"
        _check_shape(path, _key(module, f"weight_ih_l{k}"), members[f"weight_ih_l{k}"], (gates * hidden, size_in), why)
        _check_shape(path, _key(module, f"weight_hh_l{k}"), members[f"weight_hh_l{k}"], (gates * hidden, hidden), why)
        if has_bias:
            for b in ("bias_ih", "bias_hh"):
                _check_shape(path, _key(module, f"{b}_l{k}"), members[f"{b}_l{k}"], (gates * hidden,), why)
    return cell, count, inputs, hidden, has_bias


def _combined(b_ih: np.ndarray, b_hh: np.ndarray) -> np.ndarray:
    # An exported file has b_hh = 0 there: copying keeps the bits (-0.0 + 0.0 would turn into +0.0).
    return b_ih.copy() if not np.any(b_hh) else b_ih + b_hh


def map_state_dict(state: Mapping[str, np.ndarray], path: str, weights_module: str | None = None,
                   readout_module: str | None = None, dtype=np.float64) -> ImportedWeights:
    """Find the recurrent module and readout in ``state`` and map them to engine parameters.

    ``weights_module``/``readout_module``: the user's choice (None = find automatically; readout
    "none" = no readout). Raises ConfigError naming ``path`` and the key for an ambiguous or missing
    module, a key torch's modules do not have, or a shape that does not fit.
    """
    module = _choose_recurrent(state, path, weights_module)
    members = _members(state, module)
    cell, layers, inputs, hidden, bias = _recurrent(path, module, members)
    readout = _choose_readout(state, path, readout_module, module, hidden)
    G, H = GATES[cell], hidden
    params: dict[str, np.ndarray] = {}
    for k in range(layers):
        params[f"Wxh.{k}"] = np.array(members[f"weight_ih_l{k}"], dtype=dtype)
        params[f"Whh.{k}"] = np.array(members[f"weight_hh_l{k}"], dtype=dtype)
        b_ih = np.asarray(members[f"bias_ih_l{k}"], dtype=dtype) if bias else np.zeros(G * H, dtype)
        b_hh = np.asarray(members[f"bias_hh_l{k}"], dtype=dtype) if bias else np.zeros(G * H, dtype)
        if cell == "gru":
            params[f"bh.{k}"] = np.concatenate([_combined(b_ih[: 2 * H], b_hh[: 2 * H]), b_ih[2 * H :]])
            params[f"bhn.{k}"] = b_hh[2 * H :].copy()
        else:
            params[f"bh.{k}"] = _combined(b_ih, b_hh)
    output = None
    raw_readout: dict[str, np.ndarray] = {}
    if readout != NO_READOUT:
        head = _members(state, readout)
        for name in head:
            if name not in ("weight", "bias"):
                raise _fail(path, f"{_key(readout, name)}: not a key of torch.nn.Linear (weight, bias)")
        w = head["weight"]
        if w.shape[1] != hidden:
            raise _fail(path, f"{_key(readout, 'weight')} has shape {w.shape}; a readout must take the hidden "
                              f"size {hidden} (expected (O, {hidden}))")
        if "bias" not in head:
            raise _fail(path, f'{_key(readout, "bias")} is missing: a readout without bias (nn.Linear(..., '
                              'bias=False)) is not supported; set model.readout_module = "none" for a fresh readout')
        _check_shape(path, _key(readout, "bias"), head["bias"], (w.shape[0],), "one bias per output")
        output = w.shape[0]
        params["Why"] = np.array(w, dtype=dtype)
        params["by"] = np.array(head["bias"], dtype=dtype)
        raw_readout = dict(head)
    used = {_key(module, n) for n in members} | {_key(readout, n) for n in raw_readout}
    ignored = tuple(k for k in state if k not in used)
    return ImportedWeights(path, cell, layers, inputs, hidden, output, bias, module, readout, params,
                           ignored, dict(members), raw_readout)


def to_state_dict(cell: str, num_layers: int, params: Mapping[str, np.ndarray], bias: bool = True,
                  weights_module: str = "rnn", readout_module: str = "readout") -> dict[str, np.ndarray]:
    """The engine's parameters as a torch state dict (arrays keep their dtype).

    The combined bias goes to ``bias_ih_l{k}`` and ``bias_hh_l{k}`` is zero, except gru's n-gate
    hidden bias (``bhn.l``), which keeps its place; ``bias=False`` writes no recurrent bias keys.
    ``readout_module`` "none" or "" with no name is written as ``readout``.
    """
    out: dict[str, np.ndarray] = {}
    H = params["Whh.0"].shape[1]
    for k in range(num_layers):
        out[_key(weights_module, f"weight_ih_l{k}")] = np.array(params[f"Wxh.{k}"])
        out[_key(weights_module, f"weight_hh_l{k}")] = np.array(params[f"Whh.{k}"])
        if bias:
            bh = np.array(params[f"bh.{k}"])
            b_hh = np.zeros_like(bh)
            if cell == "gru":
                b_hh[2 * H :] = params[f"bhn.{k}"]
            out[_key(weights_module, f"bias_ih_l{k}")] = bh
            out[_key(weights_module, f"bias_hh_l{k}")] = b_hh
    readout = "readout" if readout_module == NO_READOUT else readout_module
    out[_key(readout, "weight")] = np.array(params["Why"])
    out[_key(readout, "bias")] = np.array(params["by"])
    return out
