"""``rnn-viz export-torch``: a checkpoint's weights as a PyTorch state dict.

Imported models go back under the prefixes they came from, so ``load_state_dict(..., strict=True)``
takes them into the user's own module; others go under ``rnn.`` and ``readout.`` for

    class M(nn.Module):
        def __init__(self):
            super().__init__()
            self.rnn = nn.LSTM(I, H, num_layers=L, batch_first=True)
            self.readout = nn.Linear(H, O)
"""
from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np

from ..engine.network import DEFAULT_ACTIVATION, NetSpec
from .config import ConfigError, from_json
from .io import load_checkpoint
from .torch_map import NO_READOUT, to_state_dict

__all__ = ["FORMATS", "export_format", "checkpoint_state_dict", "write_state_dict", "export_torch"]

FORMATS = {"safetensors": (".safetensors",), "npz": (".npz",), "pt": (".pt", ".pth")}


def export_format(out: Path, fmt: str | None) -> str:
    """The format to write: ``fmt`` if given (it must agree with OUT's suffix), else OUT's suffix."""
    suffix = out.suffix.lower()
    by_suffix = next((name for name, suffixes in FORMATS.items() if suffix in suffixes), None)
    if fmt is None:
        if by_suffix is None:
            raise ConfigError(f"{out}: cannot tell the format from the suffix {suffix or '(none)'!r}; use "
                              ".safetensors, .npz, .pt or .pth, or --format safetensors|npz|pt")
        return by_suffix
    if fmt not in FORMATS:
        raise ConfigError(f"--format {fmt}: allowed: {', '.join(FORMATS)}")
    if by_suffix is not None and by_suffix != fmt:
        raise ConfigError(f"{out}: the suffix {suffix} says {by_suffix}, --format says {fmt}; make them agree")
    return fmt


def checkpoint_state_dict(checkpoint: str | Path) -> tuple[dict[str, np.ndarray], str]:
    """The checkpoint's parameters under torch's names, and the torch class line for messages.

    Raises RunFileError for an unreadable checkpoint and ConfigError for a model torch cannot hold
    (activation "linear") or a checkpoint whose parameters do not fit its own config.
    """
    arrays = load_checkpoint(checkpoint)
    cfg = from_json(str(arrays["config"][()]), str(checkpoint))
    mc = cfg.model
    if mc.cell == "rnn" and mc.activation == "linear":
        raise ConfigError('model.activation = "linear" has no torch equivalent (nn.RNN takes tanh or relu); '
                          "nothing written", source=str(checkpoint))
    params = {k[len("param/"):]: v for k, v in arrays.items() if k.startswith("param/")}
    for name in ("Wxh.0", "by"):
        if name not in params or np.ndim(params[name]) != (2 if name == "Wxh.0" else 1):
            raise ConfigError(f"checkpoint has no usable param/{name}", source=str(checkpoint))
    # The model the checkpoint's own config describes; every parameter must have exactly its shape.
    spec = NetSpec(mc.cell, params["Wxh.0"].shape[1], mc.hidden_size, params["by"].shape[0], mc.num_layers,
                   mc.activation or DEFAULT_ACTIVATION)
    for name, shape in spec.param_shapes().items():
        got = np.shape(params[name]) if name in params else None
        if got != shape:
            raise ConfigError(f"param/{name} is {'missing' if got is None else f'of shape {got}'}; its "
                              f"{mc.num_layers}-layer {mc.cell} of hidden size {mc.hidden_size} needs {shape}",
                              source=str(checkpoint))
    imported = mc.weights is not None
    state = to_state_dict(mc.cell, mc.num_layers, params, bias=mc.bias is not False,
                          weights_module=mc.weights_module if imported else "rnn",
                          readout_module=mc.readout_module if imported and mc.readout_module != NO_READOUT else "readout")
    return state, mc.cell


def write_state_dict(out: Path, state: dict[str, np.ndarray], fmt: str) -> None:
    """Write ``state`` to ``out`` via a temporary file renamed into place (no half-written OUT)."""
    tmp = out.with_name(f".{out.name}.tmp-{os.getpid()}")
    try:
        if fmt == "safetensors":
            from safetensors.numpy import save

            data = save({k: np.ascontiguousarray(v) for k, v in state.items()})
        elif fmt == "npz":
            buf = io.BytesIO()
            np.savez(buf, **state)
            data = buf.getvalue()
        else:
            try:
                import torch
            except ImportError:
                raise ConfigError(f"{out}: writing .pt needs PyTorch (pip install torch); or write "
                                  ".safetensors, which torch reads with safetensors.torch.load_file") from None
            buf = io.BytesIO()
            torch.save({k: torch.from_numpy(np.ascontiguousarray(v)) for k, v in state.items()}, buf)
            data = buf.getvalue()
        tmp.write_bytes(data)
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def export_torch(checkpoint: str | Path, out: str | Path, fmt: str | None = None, force: bool = False) -> dict[str, np.ndarray]:
    """Write the checkpoint's weights to ``out``; returns the state dict written."""
    out = Path(out)
    fmt = export_format(out, fmt)
    if out.is_dir():
        raise ConfigError(f"{out}: is a directory; give a file name such as model.{fmt}")
    if out.exists() and not force:
        raise ConfigError(f"{out}: already exists; add --force to overwrite it")
    state, _ = checkpoint_state_dict(checkpoint)
    write_state_dict(out, state, fmt)
    return state
