"""Small random torch modules saved the ways users save them, for the weights import tests."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from safetensors.torch import save_file

TORCH_CLASS = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}


class Encoder(torch.nn.Module):
    """A user's model: the recurrent module under a prefix, a readout beside it, and an unrelated
    layer whose keys the import must ignore."""

    def __init__(self, rnn: torch.nn.Module, head: torch.nn.Module | None):
        super().__init__()
        self.net = torch.nn.Module()
        self.net.rnn = rnn
        if head is not None:
            self.head = head
        self.embed = torch.nn.Embedding(3, 5)


def make_module(cell: str, activation: str | None, layers: int, bias: bool, inputs: int = 2, hidden: int = 3,
                outputs: int | None = 2, seed: int = 0) -> torch.nn.Module:
    """A float64 module with random weights (biases too, so every bias path is exercised)."""
    torch.manual_seed(seed)
    kwargs = {"nonlinearity": activation} if cell == "rnn" else {}
    rnn = TORCH_CLASS[cell](inputs, hidden, num_layers=layers, bias=bias, batch_first=True, dtype=torch.float64,
                            **kwargs)
    head = torch.nn.Linear(hidden, outputs, dtype=torch.float64) if outputs is not None else None
    with torch.no_grad():
        for p in rnn.parameters():
            p.uniform_(-0.8, 0.8)
    return Encoder(rnn, head) if head is not None else rnn


def save(module: torch.nn.Module, folder: Path, fmt: str, name: str = "model") -> Path:
    """``module.state_dict()`` saved as .safetensors, .pt (torch.save) or .npz."""
    state = module.state_dict()
    path = Path(folder) / f"{name}.{fmt}"
    if fmt == "safetensors":
        save_file({k: v.contiguous() for k, v in state.items()}, str(path))
    elif fmt == "pt":
        torch.save(state, path)
    else:
        np.savez(path, **{k: v.numpy() for k, v in state.items()})
    return path


def rnn_of(module: torch.nn.Module) -> torch.nn.Module:
    return module.net.rnn if isinstance(module, Encoder) else module


def experiment(folder: Path, weights: str | None, model: str = "", training: str = "", extra: str = "") -> Path:
    """An adding-task experiment (2 inputs, 1 output) beside its weights file, tiny and fast."""
    lines = ['[data]', 'source = "adding"', "seq_len = 6", "batch_size = 3", "val_size = 4", "", "[model]"]
    if weights is not None:
        lines.append(f'weights = "{weights}"')
    lines += [model, "", "[training]", 'optimizer = "sgd"', "learning_rate = 0.1", training, extra]
    path = Path(folder) / "exp.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
