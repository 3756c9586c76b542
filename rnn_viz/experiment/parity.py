"""Does the engine compute what the user's PyTorch module computes? (only when torch is importable)

The imported tensors, exactly as the file holds them (two biases per layer), go into a fresh
``torch.nn.RNN``/``LSTM``/``GRU`` (and ``nn.Linear``) in float64; its outputs on a batch are compared
with the engine's. torch is never a dependency: without it the check says "not checked".
"""
from __future__ import annotations

import numpy as np

from .torch_map import ImportedWeights

__all__ = ["torch_parity", "parity_line", "PARITY_LIMIT"]

# The engine follows torch's equations term by term; in float64 only rounding separates them.
PARITY_LIMIT = {"float64": 1e-10, "float32": 1e-4}


def _torch():
    try:
        import torch
    except ImportError:
        return None
    return torch


def torch_parity(w: ImportedWeights, activation: str | None, inputs: np.ndarray, outputs: np.ndarray,
                 top_hidden: np.ndarray) -> float | None:
    """max|y_torch - y| / max|y_torch| on one batch, or None without torch.

    inputs (B, T, I); outputs (B, T, O) the engine's readout outputs (compared when the readout was
    imported); top_hidden (B, T, H) the engine's last layer (compared otherwise).
    """
    torch = _torch()
    if torch is None:
        return None
    cls = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[w.cell]
    kwargs = {"nonlinearity": activation} if w.cell == "rnn" else {}
    with torch.no_grad():
        module = cls(w.input_size, w.hidden_size, num_layers=w.num_layers, bias=w.bias, batch_first=True,
                     dtype=torch.float64, **kwargs)
        module.load_state_dict({k: torch.from_numpy(np.asarray(v, dtype=np.float64)) for k, v in w.raw.items()},
                               strict=True)
        h, _ = module(torch.from_numpy(np.asarray(inputs, dtype=np.float64)))
        expected = h.numpy()
        got = top_hidden
        if w.output_size is not None:
            head = torch.nn.Linear(w.hidden_size, w.output_size, dtype=torch.float64)
            head.load_state_dict({k: torch.from_numpy(np.asarray(v, dtype=np.float64))
                                  for k, v in w.raw_readout.items()}, strict=True)
            expected, got = head(h).numpy(), outputs
    scale = float(np.max(np.abs(expected), initial=0.0))
    diff = float(np.max(np.abs(expected - np.asarray(got, dtype=np.float64)), initial=0.0))
    return diff / scale if scale > 0 else diff


def parity_line(parity: float | None, dtype: str) -> tuple[str, bool]:
    """The line ``rnn-viz run`` prints, and whether it is a warning (above PARITY_LIMIT)."""
    if parity is None:
        return "parity with torch: not checked (install torch to compare with it)", False
    if parity > PARITY_LIMIT[dtype]:
        return (f"warning: parity with torch: {parity:.1e}, above the {PARITY_LIMIT[dtype]:g} expected in {dtype}; "
                "the engine does not reproduce this module's outputs"), True
    return f"parity with torch: {parity:.1e}", False
